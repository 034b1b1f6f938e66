// The unmodified kernel's AHCI driver (in the manner of Linux libahci): at probe it enables
// AHCI mode, stops the port's command engine, points it at a command list and a received-FIS
// area, clears stale status, starts FIS reception and the engine, enables interrupts and runs
// IDENTIFY through a command slot. Per request everything is built in memory (command header,
// command FIS, PRDT) and the registers see only (REFERENCE §6.3):
//
//   issue      [PxSACT for NCQ,] PxCI                                     1 (2)
//   interrupt  read IS, read PxIS, write PxIS, read PxCI (PxSACT), write IS 5
//
// so 6 accesses per request, 7 with NCQ. Without NCQ one request is outstanding at a time, in
// slot 0 (`read`, `write`). With NCQ (the default when the drive supports it, as libata does)
// the kernel queues up to 32, one per tag (`start`), each in its own command table, and the
// interrupt handler (`service`) completes every tag whose PxSACT bit has cleared since.
import { DriverIo, type GuestIo, type IoStep } from './io';
import {
  ATA_BSY, ATA_CMD_FPDMA_READ, ATA_CMD_FPDMA_WRITE, ATA_CMD_IDENTIFY, ATA_CMD_READ_DMA_EXT, ATA_CMD_WRITE_DMA_EXT,
  ATA_DRQ, ATA_LBA, ATA_SECT_SIZE, badRequest, parseIdentify, POLL_DELAY_NS, POLL_LIMIT, requestOk,
  type AtaDiskInfo, type DiskResult,
} from './ata';
import { compute } from '../../hypervisor/public/guest';

export interface AhciConfig {
  /** BAR5 of the HBA, as PCI enumeration found it. */
  readonly abar: number;
  readonly irq: number;
  /** Use FPDMA QUEUED commands when the drive supports NCQ. */
  readonly ncq: boolean;
}

export const AHCI_DEFAULT: AhciConfig = { abar: 0xfebf_0000, irq: 11, ncq: true };
/** NCQ tags the driver uses: all 32 command slots (libata's ATA_MAX_QUEUE). */
export const AHCI_NCQ_TAGS = 32;

/** The driver's register names: host block, then port 0's block at 0x100. */
const HOST = { cap: 0x00, ghc: 0x04, is: 0x08, pi: 0x0c, vs: 0x10 } as const;
const P = { clb: 0x00, clbu: 0x04, fb: 0x08, fbu: 0x0c, is: 0x10, ie: 0x14, cmd: 0x18, tfd: 0x20, sig: 0x24, ssts: 0x28, serr: 0x30, sact: 0x34, ci: 0x38 } as const;
const PORT0 = 0x100;
const GHC_AE = 0x8000_0000;
const GHC_IE = 0x02;
const CMD_ST = 0x0001;
const CMD_FRE = 0x0010;
const CMD_FR = 0x4000;
const CMD_CR = 0x8000;
const CMD_CLO = 0x0008;
const PORT_IRQ_DHRS = 1 << 0;
const PORT_IRQ_PSS = 1 << 1;
const PORT_IRQ_SDBS = 1 << 3;
const PORT_IRQ_DPS = 1 << 5;
const PORT_IRQ_FATAL = ((1 << 30) | (1 << 29) | (1 << 28) | (1 << 27) | (1 << 24)) >>> 0;
const PORT_IRQ_MASK = (PORT_IRQ_DHRS | PORT_IRQ_PSS | PORT_IRQ_SDBS | PORT_IRQ_DPS | PORT_IRQ_FATAL) >>> 0;
const SIG_ATA = 0x0000_0101;
/** Layout of the driver's one DMA page: command list, received FISes, slot 0's command table. */
const CLB_OFF = 0x000;
const FB_OFF = 0x400;
const CT_OFF = 0x800;
const CT_PRDT = 0x80;
const PAGE = 0x1000;
const PRDT_MAX_ENTRIES = (PAGE - CT_OFF - CT_PRDT) / 16;
/** One PRDT entry describes at most 4 MiB (a 22-bit byte count minus one). */
const PRDT_MAX_BYTES = 0x40_0000;
const CFL_H2D = 5;
const HDR_WRITE = 1 << 6;
const FIS_H2D = 0x27;
const FIS_C = 0x80;
const SLOT = 0;
const MAX_STRAY_IRQS = 16;

type Kind = { readonly command: number; readonly write: boolean; readonly ncq: boolean };

export class AhciDriver {
  readonly dio: DriverIo;
  info: AtaDiskInfo | undefined;
  private page = 0;
  /** NCQ: one page per tag, each a command table (allocated at probe when NCQ is on). */
  private tables = 0;
  /** NCQ: tags issued and not yet seen complete. */
  private active = 0;

  constructor(io: GuestIo, private readonly cfg: AhciConfig = AHCI_DEFAULT) {
    const names: Record<number, string> = {};
    for (const [k, v] of Object.entries(HOST)) names[v] = k.toUpperCase();
    for (const [k, v] of Object.entries(P)) names[PORT0 + v] = `Px${k.toUpperCase()}`;
    this.dio = new DriverIo(io, (_s, a) => names[a - cfg.abar] ?? 'unknown');
  }

  *probe(): IoStep<AtaDiskInfo | undefined> {
    const d = this.dio;
    d.begin();
    this.page = d.io.allocDma(PAGE);
    yield* d.mmr(this.host(HOST.cap));
    const ghc = yield* d.mmr(this.host(HOST.ghc));
    if (!(ghc & GHC_AE)) yield* d.mmw(this.host(HOST.ghc), ghc | GHC_AE);
    const pi = yield* d.mmr(this.host(HOST.pi));
    if (!(pi & 1) || !(yield* this.stopEngine())) return this.fail();
    yield* d.mmw(this.port(P.clb), this.page + CLB_OFF);
    yield* d.mmw(this.port(P.clbu), 0);
    yield* d.mmw(this.port(P.fb), this.page + FB_OFF);
    yield* d.mmw(this.port(P.fbu), 0);
    yield* d.mmw(this.port(P.serr), 0xffff_ffff);
    yield* d.mmw(this.port(P.is), 0xffff_ffff);
    yield* d.mmw(this.host(HOST.is), 1);
    const cmd = yield* d.mmr(this.port(P.cmd));
    yield* d.mmw(this.port(P.cmd), cmd | CMD_FRE);
    const ssts = yield* d.mmr(this.port(P.ssts));
    const sig = yield* d.mmr(this.port(P.sig));
    if ((ssts & 0xf) !== 3 || sig !== SIG_ATA || !(yield* this.waitIdle())) return this.fail();
    yield* this.startEngine();
    yield* d.mmw(this.port(P.ie), PORT_IRQ_MASK);
    yield* d.mmw(this.host(HOST.ghc), (yield* d.mmr(this.host(HOST.ghc))) | GHC_IE);
    this.info = yield* this.identify();
    if (this.queued) this.tables = d.io.allocDma(AHCI_NCQ_TAGS * PAGE);
    d.end('probe');
    return this.info;
  }

  /** The interrupt line the HBA raises. */
  get irq(): number {
    return this.cfg.irq;
  }

  /** Whether requests are queued with NCQ: the driver asks for it and the drive offers it. */
  get queued(): boolean {
    return this.cfg.ncq && this.info?.ncq === true && this.info.lba48;
  }

  /** NCQ: starts a read or write on `tag` (its PxSACT bit, then its PxCI bit) and returns at
   *  once; false, with nothing issued, for a request the drive cannot take. */
  *start(write: boolean, lba: number, count: number, gpa: number, tag: number): IoStep<boolean> {
    const d = this.dio;
    if (!this.queued || !requestOk(this.info, lba, count) || tag < 0 || tag >= AHCI_NCQ_TAGS || this.active & (1 << tag)) return false;
    d.begin();
    this.buildCommand({ command: write ? ATA_CMD_FPDMA_WRITE : ATA_CMD_FPDMA_READ, write, ncq: true }, lba, count, gpa, count * ATA_SECT_SIZE, tag);
    const bit = (1 << tag) >>> 0;
    this.active = (this.active | bit) >>> 0;
    yield* d.mmw(this.port(P.sact), bit);
    yield* d.mmw(this.port(P.ci), bit);
    d.end('issue');
    return true;
  }

  /** NCQ: the interrupt handler, after the line fired: the tags that completed since the last
   *  call (their PxSACT bits cleared), or, after a fatal error, every tag in flight as failed
   *  (the engine restarted, as libata's error handler does before it retries). */
  *service(): IoStep<{ done: number; failed: number }> {
    const d = this.dio;
    d.begin();
    const hostIs = yield* d.mmr(this.host(HOST.is));
    if (!(hostIs & 1)) {
      d.end('interrupt');
      return { done: 0, failed: 0 };
    }
    const status = yield* d.mmr(this.port(P.is));
    yield* d.mmw(this.port(P.is), status);
    const sact = yield* d.mmr(this.port(P.sact));
    yield* d.mmw(this.host(HOST.is), hostIs);
    if (status & PORT_IRQ_FATAL) {
      yield* this.recover();
      const failed = this.active;
      this.active = 0;
      d.end('interrupt');
      return { done: 0, failed };
    }
    const done = (this.active & ~sact) >>> 0;
    this.active = (this.active & sact) >>> 0;
    d.end('interrupt');
    return { done, failed: 0 };
  }

  read(lba: number, count: number, gpa: number): IoStep<DiskResult> {
    return this.rw(false, lba, count, gpa);
  }

  write(lba: number, count: number, gpa: number): IoStep<DiskResult> {
    return this.rw(true, lba, count, gpa);
  }

  private *rw(write: boolean, lba: number, count: number, gpa: number): IoStep<DiskResult> {
    const d = this.dio;
    d.begin();
    if (!requestOk(this.info, lba, count) || !this.info?.lba48) return badRequest();
    const ncq = this.cfg.ncq && this.info.ncq;
    const command = ncq ? (write ? ATA_CMD_FPDMA_WRITE : ATA_CMD_FPDMA_READ) : (write ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_READ_DMA_EXT);
    this.buildCommand({ command, write, ncq }, lba, count, gpa, count * ATA_SECT_SIZE);
    const r = yield* this.issue(ncq);
    d.end(write ? 'write' : 'read');
    return r;
  }

  private host(off: number): number {
    return this.cfg.abar + off;
  }

  private port(off: number): number {
    return this.cfg.abar + PORT0 + off;
  }

  private fail(): undefined {
    this.dio.end('probe');
    return undefined;
  }

  /** Sets the slot's bit (and its SActive bit for NCQ), then handles interrupts until the
   *  slot is done: 5 accesses per interrupt. */
  private *issue(ncq: boolean): IoStep<DiskResult> {
    const d = this.dio;
    const bit = 1 << SLOT;
    if (ncq) yield* d.mmw(this.port(P.sact), bit);
    yield* d.mmw(this.port(P.ci), bit);
    for (let stray = 0; stray < MAX_STRAY_IRQS; stray++) {
      yield* d.waitIrq(this.cfg.irq);
      const hostIs = yield* d.mmr(this.host(HOST.is));
      if (!(hostIs & 1)) continue;
      const status = yield* d.mmr(this.port(P.is));
      yield* d.mmw(this.port(P.is), status);
      const active = yield* d.mmr(this.port(ncq ? P.sact : P.ci));
      yield* d.mmw(this.host(HOST.is), hostIs);
      if (status & PORT_IRQ_FATAL) return yield* this.recover();
      if (!(active & bit)) return { ok: true };
    }
    return { ok: false, reason: 'timeout', status: 0, error: 0 };
  }

  /** After a fatal error: read the taskfile, restart the engine (clearing BSY if stuck). */
  private *recover(): IoStep<DiskResult> {
    const tfd = yield* this.dio.mmr(this.port(P.tfd));
    yield* this.stopEngine();
    yield* this.dio.mmw(this.port(P.serr), 0xffff_ffff);
    if (tfd & (ATA_BSY | ATA_DRQ)) yield* this.dio.mmw(this.port(P.cmd), (yield* this.dio.mmr(this.port(P.cmd))) | CMD_CLO);
    yield* this.startEngine();
    return { ok: false, reason: tfd & 0x01 ? 'device-error' : 'dma-error', status: tfd & 0xff, error: (tfd >>> 8) & 0xff };
  }

  private *identify(): IoStep<AtaDiskInfo | undefined> {
    const buf = this.dio.io.allocDma(ATA_SECT_SIZE);
    this.buildCommand({ command: ATA_CMD_IDENTIFY, write: false, ncq: false }, 0, 0, buf, ATA_SECT_SIZE);
    const r = yield* this.issue(false);
    return r.ok ? parseIdentify(this.dio.memory.read(buf, ATA_SECT_SIZE)) : undefined;
  }

  /** Writes a slot's command header, command FIS and PRDT: slot 0's table is in the DMA page,
   *  an NCQ tag's in its own page. */
  private buildCommand(k: Kind, lba: number, count: number, gpa: number, bytes: number, slot = SLOT): void {
    const mem = this.dio.memory;
    const ct = k.ncq && this.tables !== 0 ? this.tables + slot * PAGE : this.page + CT_OFF;
    const prdt = new Uint8Array(PRDT_MAX_ENTRIES * 16);
    const pv = new DataView(prdt.buffer);
    let n = 0;
    for (let addr = gpa, left = bytes; left > 0 && n < PRDT_MAX_ENTRIES; n++) {
      const chunk = Math.min(left, PRDT_MAX_BYTES);
      pv.setUint32(n * 16, addr >>> 0, true);
      pv.setUint32(n * 16 + 12, chunk - 1, true);
      addr += chunk;
      left -= chunk;
    }
    mem.write(ct + CT_PRDT, prdt.subarray(0, n * 16));
    mem.write(ct, h2dFis(k, lba, count, slot));
    const hdr = new Uint8Array(32);
    const hv = new DataView(hdr.buffer);
    hv.setUint32(0, (CFL_H2D | (k.write ? HDR_WRITE : 0) | (n << 16)) >>> 0, true);
    hv.setUint32(8, ct >>> 0, true);
    mem.write(this.page + CLB_OFF + slot * 32, hdr);
  }

  private *stopEngine(): IoStep<boolean> {
    const d = this.dio;
    let cmd = yield* d.mmr(this.port(P.cmd));
    if (cmd & (CMD_ST | CMD_CR)) {
      yield* d.mmw(this.port(P.cmd), cmd & ~CMD_ST);
      if (!(yield* this.pollClear(CMD_CR))) return false;
      cmd = yield* d.mmr(this.port(P.cmd));
    }
    if (cmd & (CMD_FRE | CMD_FR)) {
      yield* d.mmw(this.port(P.cmd), cmd & ~CMD_FRE);
      if (!(yield* this.pollClear(CMD_FR))) return false;
    }
    return true;
  }

  private *startEngine(): IoStep<void> {
    const cmd = yield* this.dio.mmr(this.port(P.cmd));
    yield* this.dio.mmw(this.port(P.cmd), cmd | CMD_FRE | CMD_ST);
  }

  private *pollClear(bit: number): IoStep<boolean> {
    for (let i = 0; i < POLL_LIMIT; i++) {
      if (!((yield* this.dio.mmr(this.port(P.cmd))) & bit)) return true;
      yield compute(POLL_DELAY_NS, 'kernel');
    }
    return false;
  }

  /** Waits for the drive's taskfile to show neither BSY nor DRQ. */
  private *waitIdle(): IoStep<boolean> {
    for (let i = 0; i < POLL_LIMIT; i++) {
      if (!((yield* this.dio.mmr(this.port(P.tfd))) & (ATA_BSY | ATA_DRQ))) return true;
      yield compute(POLL_DELAY_NS, 'kernel');
    }
    return false;
  }
}

/** A Register Host-to-Device FIS. NCQ puts the count in the features and the tag in count. */
function h2dFis(k: Kind, lba: number, count: number, tag: number): Uint8Array {
  const f = new Uint8Array(20);
  const byte = (v: number, i: number) => Math.floor(v / 2 ** (8 * i)) & 0xff;
  f[0] = FIS_H2D;
  f[1] = FIS_C;
  f[2] = k.command;
  f[7] = k.command === ATA_CMD_IDENTIFY ? 0 : ATA_LBA;
  for (let i = 0; i < 3; i++) {
    f[4 + i] = byte(lba, i);
    f[8 + i] = byte(lba, 3 + i);
  }
  if (k.ncq) {
    [f[3], f[11]] = [byte(count, 0), byte(count, 1)];
    f[12] = tag << 3;
  } else {
    [f[12], f[13]] = [byte(count, 0), byte(count, 1)];
  }
  return f;
}
