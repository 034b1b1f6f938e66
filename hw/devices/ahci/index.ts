// AHCI host bus adapter with one SATA port (MMIO at ABAR).
export * from './regs';
export { AhciHba, type AhciOptions } from './device';
export { AhciPort, AhciStats, type PortHost } from './port';
export { fetchCommand, readHeader, walkPrdt, type CommandHeader, type FetchedCommand, type PrdtWalk } from './fis';
