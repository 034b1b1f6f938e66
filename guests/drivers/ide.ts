// The unmodified kernel's legacy IDE driver (in the manner of Linux libata's SFF/BMDMA path
// with ata_piix): a soft reset and a PIO IDENTIFY at probe, then each request by bus-master
// DMA with the register sequence REFERENCE §6.3 counts:
//
//   issue      device select with waits  status, Device, altstatus, status           4
//              taskfile load             [5 HOB writes,] feature, nsect, lbal, lbam,
//                                        lbah, Device, idle status read              7 (12)
//              BMDMA setup               PRD address, BM cmd r/w, Command, altstatus  5
//              BMDMA start               BM cmd r/w                                  2
//   interrupt  BM status                                                             1
//              BMDMA stop                BM cmd r/w, altstatus                       3
//              IRQ status                altstatus, status                           2
//              IRQ clear                 BM status r/w                               2
//
// 26 accesses for an LBA28 request, 31 for LBA48. Data moves by DMA straight to or from
// the caller's buffer in guest memory, described by a PRD table the driver builds at probe.
import { DriverIo, type GuestIo, type IoStep } from './io';
import {
  ATA_BSY, ATA_CMD_IDENTIFY, ATA_CMD_READ_DMA, ATA_CMD_READ_DMA_EXT, ATA_CMD_WRITE_DMA, ATA_CMD_WRITE_DMA_EXT,
  ATA_DEVICE_OBS, ATA_DRQ, ATA_ERR, ATA_LBA, ATA_SECT_SIZE, badRequest, needsLba48, parseIdentify, POLL_DELAY_NS,
  POLL_LIMIT, requestOk, type AtaDiskInfo, type DiskResult,
} from './ata';
import { compute } from '../../hypervisor/public/guest';

export interface IdeConfig {
  readonly cmdBase: number;
  readonly ctlPort: number;
  /** BAR4 of the IDE function, as PCI enumeration found it. */
  readonly bmBase: number;
  readonly irq: number;
}

export const IDE_PRIMARY: IdeConfig = { cmdBase: 0x1f0, ctlPort: 0x3f6, bmBase: 0xc000, irq: 14 };

/** The driver's own register names (offsets from the command block / BMIDE base). */
const R = { data: 0, feature: 1, error: 1, nsect: 2, lbal: 3, lbam: 4, lbah: 5, device: 6, status: 7, command: 7 } as const;
const BM = { cmd: 0, status: 2, prd: 4 } as const;
const BM_START = 0x01;
const BM_WR = 0x08; // the bus master writes memory: a device read
const BM_INTR = 0x04;
const BM_ERR = 0x02;
const CTL_SRST = 0x04;
/** Device control the driver runs with: the obsolete bit 3 set, interrupts enabled. */
const CTL_NORMAL = 0x08;
/** ATA-6: wait at least 2 ms after clearing SRST before looking at BSY. */
const AFTER_RESET_NS = 2_000_000;
const PRD_TABLE_BYTES = 4096;
const PRD_EOT = 0x8000_0000;
const PRD_MAX_CHUNK = 0x10000;
/** Interrupts tolerated that are not ours (a shared line) before giving up. */
const MAX_STRAY_IRQS = 16;

const NAMES = ['data', 'error/feature', 'nsect', 'lbal', 'lbam', 'lbah', 'device', 'status/command'];

export class IdeDriver {
  readonly dio: DriverIo;
  info: AtaDiskInfo | undefined;
  private prdTable = 0;

  constructor(io: GuestIo, private readonly cfg: IdeConfig = IDE_PRIMARY) {
    this.dio = new DriverIo(io, (_space, a) => {
      if (a >= cfg.cmdBase && a < cfg.cmdBase + 8) return NAMES[a - cfg.cmdBase]!;
      if (a === cfg.ctlPort) return 'altstatus/devctl';
      const bm = ['bm-cmd', '', 'bm-status', '', 'bm-prd'][a - cfg.bmBase];
      return bm || 'unknown';
    });
  }

  /** Soft reset, signature check and PIO IDENTIFY. Undefined when no ATA disk answers. */
  *probe(): IoStep<AtaDiskInfo | undefined> {
    const d = this.dio;
    d.begin();
    this.prdTable = d.io.allocDma(PRD_TABLE_BYTES);
    yield* d.out8(this.cfg.ctlPort, CTL_NORMAL | CTL_SRST);
    yield compute(POLL_DELAY_NS, 'kernel');
    yield* d.out8(this.cfg.ctlPort, CTL_NORMAL);
    yield compute(AFTER_RESET_NS, 'kernel');
    const ready = yield* this.waitNotBusy();
    // Stop the bus master and clear its latched interrupt and error, as a reset leaves them.
    yield* d.out8(this.cfg.bmBase + BM.cmd, 0);
    yield* d.out8(this.cfg.bmBase + BM.status, (yield* d.in8(this.cfg.bmBase + BM.status)) | BM_INTR | BM_ERR);
    const sig = [yield* d.in8(this.reg(R.nsect)), yield* d.in8(this.reg(R.lbal)), yield* d.in8(this.reg(R.lbam)), yield* d.in8(this.reg(R.lbah))];
    if (!ready || sig.join() !== '1,1,0,0') {
      d.end('probe');
      return undefined;
    }
    this.info = yield* this.identify();
    d.end('probe');
    return this.info;
  }

  /** Reads `count` sectors at `lba` into guest memory at `gpa` by bus-master DMA. */
  read(lba: number, count: number, gpa: number): IoStep<DiskResult> {
    return this.dma(false, lba, count, gpa);
  }

  /** Writes `count` sectors from guest memory at `gpa` to `lba`. */
  write(lba: number, count: number, gpa: number): IoStep<DiskResult> {
    return this.dma(true, lba, count, gpa);
  }

  private *dma(write: boolean, lba: number, count: number, gpa: number): IoStep<DiskResult> {
    const d = this.dio;
    d.begin();
    if (!requestOk(this.info, lba, count)) return badRequest();
    const lba48 = needsLba48(lba, count);
    this.buildPrd(gpa, count * ATA_SECT_SIZE);
    yield* this.devSelect();
    yield* this.tfLoad(lba, count, lba48);
    const command = write ? (lba48 ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_WRITE_DMA) : (lba48 ? ATA_CMD_READ_DMA_EXT : ATA_CMD_READ_DMA);
    yield* this.bmdmaSetup(write, command);
    yield* this.bmdmaStart();
    const r = yield* this.interrupt();
    d.end(write ? 'write' : 'read');
    return r;
  }

  private reg(off: number): number {
    return this.cfg.cmdBase + off;
  }

  /** Select device 0, waiting for the channel to be idle before and after (4 accesses). */
  private *devSelect(): IoStep<void> {
    yield* this.dio.in8(this.reg(R.status));
    yield* this.dio.out8(this.reg(R.device), ATA_DEVICE_OBS);
    yield* this.dio.in8(this.cfg.ctlPort);
    yield* this.dio.in8(this.reg(R.status));
  }

  /** Loads the taskfile: HOB bytes first for LBA48, then the current ones, then an idle wait. */
  private *tfLoad(lba: number, count: number, lba48: boolean): IoStep<void> {
    const d = this.dio;
    const byte = (v: number, i: number) => Math.floor(v / 2 ** (8 * i)) & 0xff;
    if (lba48) {
      yield* d.out8(this.reg(R.feature), 0);
      yield* d.out8(this.reg(R.nsect), byte(count, 1));
      yield* d.out8(this.reg(R.lbal), byte(lba, 3));
      yield* d.out8(this.reg(R.lbam), byte(lba, 4));
      yield* d.out8(this.reg(R.lbah), byte(lba, 5));
    }
    yield* d.out8(this.reg(R.feature), 0);
    yield* d.out8(this.reg(R.nsect), byte(count, 0));
    yield* d.out8(this.reg(R.lbal), byte(lba, 0));
    yield* d.out8(this.reg(R.lbam), byte(lba, 1));
    yield* d.out8(this.reg(R.lbah), byte(lba, 2));
    yield* d.out8(this.reg(R.device), ATA_DEVICE_OBS | ATA_LBA | (lba48 ? 0 : byte(lba, 3) & 0x0f));
    yield* d.in8(this.reg(R.status));
  }

  /** Points the bus master at the PRD table, sets its direction, issues the command (5). */
  private *bmdmaSetup(write: boolean, command: number): IoStep<void> {
    const d = this.dio;
    yield* d.out32(this.cfg.bmBase + BM.prd, this.prdTable);
    let ctl = yield* d.in8(this.cfg.bmBase + BM.cmd);
    ctl &= ~(BM_WR | BM_START);
    if (!write) ctl |= BM_WR;
    yield* d.out8(this.cfg.bmBase + BM.cmd, ctl);
    yield* d.out8(this.reg(R.command), command);
    yield* d.in8(this.cfg.ctlPort);
  }

  private *bmdmaStart(): IoStep<void> {
    const ctl = yield* this.dio.in8(this.cfg.bmBase + BM.cmd);
    yield* this.dio.out8(this.cfg.bmBase + BM.cmd, ctl | BM_START);
  }

  /** Waits for the completion interrupt and runs the handler (8 accesses). */
  private *interrupt(): IoStep<DiskResult> {
    const d = this.dio;
    for (let stray = 0; stray < MAX_STRAY_IRQS; stray++) {
      yield* d.waitIrq(this.cfg.irq);
      const host = yield* d.in8(this.cfg.bmBase + BM.status);
      if (!(host & BM_INTR)) continue; // not ours
      const ctl = yield* d.in8(this.cfg.bmBase + BM.cmd);
      yield* d.out8(this.cfg.bmBase + BM.cmd, ctl & ~BM_START);
      yield* d.in8(this.cfg.ctlPort);
      yield* d.in8(this.cfg.ctlPort);
      const status = yield* d.in8(this.reg(R.status));
      const bmStatus = yield* d.in8(this.cfg.bmBase + BM.status);
      yield* d.out8(this.cfg.bmBase + BM.status, bmStatus);
      if (status & ATA_ERR) return { ok: false, reason: 'device-error', status, error: yield* d.in8(this.reg(R.error)) };
      if (host & BM_ERR) return { ok: false, reason: 'dma-error', status, error: 0 };
      return { ok: true };
    }
    return { ok: false, reason: 'timeout', status: 0, error: 0 };
  }

  /** IDENTIFY DEVICE by PIO: the 256 data words are 256 register reads. */
  private *identify(): IoStep<AtaDiskInfo | undefined> {
    const d = this.dio;
    yield* this.devSelect();
    yield* this.tfLoad(0, 0, false);
    yield* d.out8(this.reg(R.command), ATA_CMD_IDENTIFY);
    yield* d.in8(this.cfg.ctlPort);
    yield* d.waitIrq(this.cfg.irq);
    yield* d.in8(this.cfg.ctlPort);
    const status = yield* d.in8(this.reg(R.status));
    if (!(status & ATA_DRQ) || status & ATA_ERR) return undefined;
    const id = new Uint8Array(ATA_SECT_SIZE);
    for (let i = 0; i < ATA_SECT_SIZE; i += 2) {
      const w = yield* d.in16(this.reg(R.data));
      id[i] = w & 0xff;
      id[i + 1] = w >>> 8;
    }
    yield* d.in8(this.reg(R.status));
    return parseIdentify(id);
  }

  private *waitNotBusy(): IoStep<boolean> {
    for (let i = 0; i < POLL_LIMIT; i++) {
      const s = yield* this.dio.in8(this.reg(R.status));
      if (!(s & ATA_BSY)) return true;
      yield compute(POLL_DELAY_NS, 'kernel');
    }
    return false;
  }

  /** Describes [gpa, gpa + bytes) in PRD entries of at most 64 KiB that never cross a 64 KiB
   *  boundary (the PIIX rule), the last one marked End Of Table. */
  private buildPrd(gpa: number, bytes: number): void {
    const table = new Uint8Array(PRD_TABLE_BYTES);
    const view = new DataView(table.buffer);
    let off = 0;
    for (let addr = gpa, left = bytes; left > 0 && off < PRD_TABLE_BYTES; off += 8) {
      const chunk = Math.min(left, PRD_MAX_CHUNK - (addr % PRD_MAX_CHUNK));
      left -= chunk;
      view.setUint32(off, addr >>> 0, true);
      view.setUint32(off + 4, ((chunk & 0xffff) | (left === 0 ? PRD_EOT : 0)) >>> 0, true);
      addr += chunk;
    }
    this.dio.memory.write(this.prdTable, table.subarray(0, off));
  }
}
