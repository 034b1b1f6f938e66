// The shadow command block of an IDE channel: the registers the host loads before writing a
// command. Features, count and the three LBA registers are two deep (ATA-6 §6.2, 48-bit
// addressing): each write pushes the current byte into "previous", and reading with
// Device Control HOB set returns "previous". The device register is one deep.
import { emptyTaskfile, signatureTaskfile, type Taskfile } from '../ata/regs';
import { REG_COUNT, REG_DEVICE, REG_ERROR, REG_LBA_HIGH, REG_LBA_LOW, REG_LBA_MID } from './regs';

export class TaskfileRegs {
  private tf: Taskfile = signatureTaskfile();

  /** Loads the register-offset `off` (1–6) with byte `b`. */
  write(off: number, b: number): void {
    const t = this.tf;
    switch (off) {
      case REG_ERROR: [t.featureExp, t.feature] = [t.feature, b]; break;
      case REG_COUNT: [t.countExp, t.count] = [t.count, b]; break;
      case REG_LBA_LOW: [t.lbaLowExp, t.lbaLow] = [t.lbaLow, b]; break;
      case REG_LBA_MID: [t.lbaMidExp, t.lbaMid] = [t.lbaMid, b]; break;
      case REG_LBA_HIGH: [t.lbaHighExp, t.lbaHigh] = [t.lbaHigh, b]; break;
      case REG_DEVICE: t.device = b; break;
      default: break;
    }
  }

  /** Reads offsets 2–6 (the error register is the device's, not the taskfile's). */
  read(off: number, hob: boolean): number {
    const t = this.tf;
    switch (off) {
      case REG_COUNT: return hob ? t.countExp : t.count;
      case REG_LBA_LOW: return hob ? t.lbaLowExp : t.lbaLow;
      case REG_LBA_MID: return hob ? t.lbaMidExp : t.lbaMid;
      case REG_LBA_HIGH: return hob ? t.lbaHighExp : t.lbaHigh;
      case REG_DEVICE: return t.device;
      default: return 0xff;
    }
  }

  get device(): number {
    return this.tf.device;
  }

  /** A private copy with the command byte, for the drive to decode. */
  snapshot(command: number): Taskfile {
    return { ...this.tf, command };
  }

  /** After a reset: the device signature (count 1, LBA 1, 0, 0). */
  reset(): void {
    this.tf = signatureTaskfile();
  }

  clear(): void {
    this.tf = emptyTaskfile();
  }
}
