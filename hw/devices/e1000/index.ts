// Intel 82540EM gigabit Ethernet controller ("e1000", MMIO BAR0).
export * from './regs';
export { E1000, type E1000Options } from './device';
export { E1000Stats, type RingRegs } from './rings';
