// The ATA drive shared by the IDE and AHCI host adapters.
export * from './regs';
export { identifyData, NCQ_DEPTH, type IdentifyOptions } from './identify';
export {
  AtaDrive, AtaStats, type AtaCommand, type AtaDriveOptions, type AtaRejectReason, type AtaResult, type MediaCommand,
} from './device';
