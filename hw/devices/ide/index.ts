// Legacy IDE (PIIX-style) primary channel with bus-master DMA.
export * from './regs';
export { IdeChannel, IdeStats, type IdeOptions } from './device';
export { BusMaster, type PrdWalk } from './bmdma';
