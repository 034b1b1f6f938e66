// The ATA drive behind both host adapters: it decodes a taskfile, once, into a typed command
// or a typed rejection (with the error register bits a real drive would set), and runs media
// commands on the BlockBackend. It knows nothing of ports, FISes or DMA: the IDE channel and
// the AHCI port move the bytes; the drive says what to move and how it ended.
import { SECTOR_BYTES, type BlockBackend, type BlockResult } from '../bus';
import { identifyData } from './identify';
import {
  CMD, DEV_LBA, ERR_ABRT, ERR_IDNF, ERR_UNC, LBA28_MAX_COUNT, LBA48_MAX_COUNT, SETFEAT_XFER_MODE,
  type Taskfile,
} from './regs';

export type AtaRejectReason = 'unsupported-command' | 'chs-addressing' | 'out-of-range' | 'bad-feature' | 'ncq-not-here';

export type MediaCommand =
  | { readonly kind: 'dma'; readonly dir: 'read' | 'write'; readonly lba: number; readonly count: number; readonly ncqTag?: number }
  | { readonly kind: 'flush' };

export type AtaCommand =
  | MediaCommand
  | { readonly kind: 'identify' }
  /** Completes at once with no data; `mode` is a transfer mode SET FEATURES selects. */
  | { readonly kind: 'nodata'; readonly mode?: { readonly udma?: number; readonly mwdma?: number } }
  | { readonly kind: 'reject'; readonly error: number; readonly reason: AtaRejectReason };

export type AtaResult = { readonly ok: true; readonly data?: Uint8Array } | { readonly ok: false; readonly error: number };

export interface AtaDriveOptions {
  readonly model?: string;
  readonly serial?: string;
  readonly firmware?: string;
  /** A SATA drive (behind AHCI) also accepts NCQ commands and says so in IDENTIFY. */
  readonly sata?: boolean;
}

export class AtaStats {
  commands = 0;
  rejected = 0;
  sectorsRead = 0;
  sectorsWritten = 0;
  flushes = 0;
  /** Media commands the backend failed. */
  mediaErrors = 0;
  readonly rejects: Partial<Record<AtaRejectReason, number>> = {};
}

/** Highest supported modes, as IDENTIFY words 63 and 88 advertise them. */
const MAX_UDMA = 5;
const MAX_MWDMA = 2;

export class AtaDrive {
  readonly stats = new AtaStats();
  private udmaMode: number | undefined;
  private mwdmaMode: number | undefined;

  constructor(
    readonly backend: BlockBackend,
    private readonly opts: AtaDriveOptions = {},
  ) {}

  get sizeSectors(): number {
    return this.backend.sizeSectors;
  }

  get sata(): boolean {
    return this.opts.sata ?? false;
  }

  identify(): Uint8Array {
    return identifyData({
      sizeSectors: this.backend.sizeSectors,
      model: this.opts.model ?? 'PVLAB HARDDISK',
      serial: this.opts.serial ?? 'PL0000000001',
      firmware: this.opts.firmware ?? '1.0',
      sata: this.sata,
      udmaMode: this.udmaMode,
      mwdmaMode: this.mwdmaMode,
    });
  }

  /** Decodes a command. Pure apart from counting: nothing is started. */
  decode(tf: Taskfile): AtaCommand {
    this.stats.commands++;
    const cmd = this.decodeTaskfile(tf);
    if (cmd.kind === 'reject') {
      this.stats.rejected++;
      this.stats.rejects[cmd.reason] = (this.stats.rejects[cmd.reason] ?? 0) + 1;
    }
    return cmd;
  }

  /** Applies a no-data command's side effects (a transfer mode). */
  applyNoData(cmd: Extract<AtaCommand, { kind: 'nodata' }>): void {
    if (cmd.mode?.udma !== undefined) [this.udmaMode, this.mwdmaMode] = [cmd.mode.udma, undefined];
    if (cmd.mode?.mwdma !== undefined) [this.udmaMode, this.mwdmaMode] = [undefined, cmd.mode.mwdma];
  }

  /** Runs a media command on the backend; `done` follows through the engine. A write's `data`
   *  is exactly count × 512 bytes, already gathered from guest memory by the adapter. */
  run(cmd: MediaCommand, data: Uint8Array | undefined, done: (r: AtaResult) => void): void {
    if (cmd.kind === 'flush') {
      this.stats.flushes++;
      this.backend.submit({ op: 'flush', sector: 0, count: 0 }, (r) => done(this.outcome(r, ERR_ABRT, 0)));
      return;
    }
    if (cmd.dir === 'read') {
      this.backend.submit({ op: 'read', sector: cmd.lba, count: cmd.count }, (r) => {
        const res = this.outcome(r, ERR_UNC, cmd.count * SECTOR_BYTES);
        if (res.ok) this.stats.sectorsRead += cmd.count;
        done(res);
      });
      return;
    }
    this.backend.submit({ op: 'write', sector: cmd.lba, count: cmd.count, data }, (r) => {
      const res = this.outcome(r, ERR_ABRT, 0);
      if (res.ok) this.stats.sectorsWritten += cmd.count;
      done(res);
    });
  }

  private outcome(r: BlockResult, error: number, readBytes: number): AtaResult {
    const ok = r.status === 'ok' && (readBytes === 0 || r.data?.length === readBytes);
    if (ok) return readBytes > 0 ? { ok: true, data: r.data } : { ok: true };
    this.stats.mediaErrors++;
    return { ok: false, error };
  }

  private decodeTaskfile(tf: Taskfile): AtaCommand {
    switch (tf.command) {
      case CMD.READ_DMA:
      case CMD.WRITE_DMA:
        if (!(tf.device & DEV_LBA)) return reject(ERR_ABRT, 'chs-addressing');
        return this.media(tf.command === CMD.READ_DMA ? 'read' : 'write', lba28(tf), tf.count || LBA28_MAX_COUNT);
      case CMD.READ_DMA_EXT:
      case CMD.WRITE_DMA_EXT:
        return this.media(tf.command === CMD.READ_DMA_EXT ? 'read' : 'write', lba48(tf), ((tf.countExp << 8) | tf.count) || LBA48_MAX_COUNT);
      case CMD.READ_FPDMA_QUEUED:
      case CMD.WRITE_FPDMA_QUEUED: {
        if (!this.sata) return reject(ERR_ABRT, 'ncq-not-here');
        if (!(tf.device & DEV_LBA)) return reject(ERR_ABRT, 'chs-addressing');
        const count = ((tf.featureExp << 8) | tf.feature) || LBA48_MAX_COUNT;
        return this.media(tf.command === CMD.READ_FPDMA_QUEUED ? 'read' : 'write', lba48(tf), count, (tf.count >> 3) & 0x1f);
      }
      case CMD.IDENTIFY_DEVICE:
        return { kind: 'identify' };
      case CMD.FLUSH_CACHE:
      case CMD.FLUSH_CACHE_EXT:
        return { kind: 'flush' };
      case CMD.SET_FEATURES:
        return setFeatures(tf);
      case CMD.IDLE_IMMEDIATE:
      case CMD.STANDBY_IMMEDIATE:
        return { kind: 'nodata' };
      default:
        return reject(ERR_ABRT, 'unsupported-command');
    }
  }

  private media(dir: 'read' | 'write', lba: number, count: number, ncqTag?: number): AtaCommand {
    if (lba + count > this.backend.sizeSectors) return reject(ERR_IDNF, 'out-of-range');
    return ncqTag === undefined ? { kind: 'dma', dir, lba, count } : { kind: 'dma', dir, lba, count, ncqTag };
  }
}

function reject(error: number, reason: AtaRejectReason): AtaCommand {
  return { kind: 'reject', error, reason };
}

function lba28(tf: Taskfile): number {
  return tf.lbaLow | (tf.lbaMid << 8) | (tf.lbaHigh << 16) | ((tf.device & 0x0f) << 24);
}

function lba48(tf: Taskfile): number {
  const low = (tf.lbaLow | (tf.lbaMid << 8) | (tf.lbaHigh << 16)) >>> 0;
  const high = (tf.lbaLowExp | (tf.lbaMidExp << 8) | (tf.lbaHighExp << 16)) >>> 0;
  return high * 0x100_0000 + low;
}

/** SET FEATURES: transfer mode (validated against what IDENTIFY offers), write cache and
 *  read look-ahead switches (accepted, nothing to change); anything else is aborted. */
function setFeatures(tf: Taskfile): AtaCommand {
  switch (tf.feature) {
    case SETFEAT_XFER_MODE: {
      const kind = tf.count & 0xf8;
      const n = tf.count & 0x07;
      if (kind === 0x40 && n <= MAX_UDMA) return { kind: 'nodata', mode: { udma: n } };
      if (kind === 0x20 && n <= MAX_MWDMA) return { kind: 'nodata', mode: { mwdma: n } };
      if (kind === 0x08 || tf.count <= 0x01) return { kind: 'nodata' };
      return reject(ERR_ABRT, 'bad-feature');
    }
    case 0x02: // enable write cache
    case 0x82: // disable write cache
    case 0xaa: // enable read look-ahead
    case 0x55: // disable read look-ahead
      return { kind: 'nodata' };
    default:
      return reject(ERR_ABRT, 'bad-feature');
  }
}
