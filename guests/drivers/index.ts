// Native drivers of the unmodified guest kernel, written against GuestIo.
export { DriverIo, formatAccess, type GuestIo, type IoStep, type OpTally, type RegAccess, type RegNamer } from './io';
export { parseIdentify, type AtaDiskInfo, type DiskResult } from './ata';
export { IdeDriver, IDE_PRIMARY, type IdeConfig } from './ide';
export { AhciDriver, AHCI_DEFAULT, type AhciConfig } from './ahci';
export { UartDriver, COM1, type UartConfig } from './uart';
