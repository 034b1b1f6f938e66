// Realtek RTL8139C Fast Ethernet controller ("rtl8139", I/O BAR), in C mode.
export * from './regs';
export { Rtl8139, Rtl8139Stats, type Rtl8139Options } from './device';
