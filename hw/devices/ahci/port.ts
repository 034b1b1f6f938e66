// One AHCI port with an ATA drive: its registers (PxCLB … PxCI) and its command engine.
//
// When software sets PxCI bits while PxCMD.ST is on, the port fetches each new slot once
// (header and command FIS, copied), decodes it with the drive and queues it. A non-queued
// command owns the port until it ends; NCQ commands (FPDMA QUEUED, tag = slot) run side by
// side: the drive accepts them at once (PxCI clears) and reports each completion with a Set
// Device Bits FIS (PxSACT clears). Other commands end with a D2H Register FIS (or a PIO Setup
// FIS for IDENTIFY), written to the received-FIS area when PxCMD.FRE is on.
//
// Errors: a drive error gives PxTFD.ERR and PxIS.TFES; a PRDT too short for a read gives
// PxIS.OFS. Either halts the engine until software clears and sets PxCMD.ST, as the spec asks.
import type { DmaMemory } from '../bus';
import { SECTOR_BYTES } from '../bus';
import { addr64, gather, putU32, scatter, type SgList } from '../dma';
import type { AtaCommand, AtaDrive, AtaResult, MediaCommand } from '../ata/device';
import { DIAG_PASSED, ERR_ABRT, ST_BSY, ST_DRDY, ST_DRQ, ST_ERR, ST_READY } from '../ata/regs';
import { d2hFis, fetchCommand, pioSetupFis, sdbFis, walkPrdt, type CommandHeader } from './fis';
import {
  CLB_ALIGN_MASK, CMD_CCS_SHIFT, CMD_CLO, CMD_CR, CMD_FR, CMD_FRE, CMD_HEADER_BYTES, CMD_POD, CMD_SLOTS, CMD_ST, CMD_SUD,
  CONTROL_SRST, FB_ALIGN_MASK, IS_DHRS, IS_DPS, IS_OFS, IS_PSS, IS_SDBS, IS_TFES, IS_VALID, PX_CI, PX_CLB, PX_CLBU,
  PX_CMD, PX_FB, PX_FBU, PX_IE, PX_IS, PX_SACT, PX_SCTL, PX_SERR, PX_SIG, PX_SSTS, PX_TFD, RFIS_PSFIS, RFIS_RFIS,
  RFIS_SDBFIS, SCTL_DET_RESET, SIG_ATA, SSTS_UP,
} from './regs';

export class AhciStats {
  commands = 0;
  ncqCommands = 0;
  bytesToMemory = 0;
  bytesFromMemory = 0;
  taskFileErrors = 0;
  /** PRDTs too short for a read (PxIS.OFS). */
  overflows = 0;
  /** PxCI/PxSACT while the engine is stopped, read-only registers, unimplemented offsets. */
  ignoredWrites = 0;
  /** Accesses not aligned to their size (answered all-ones / dropped). */
  misaligned = 0;
  staleCompletions = 0;
  resets = 0;
}

/** What the port needs from its HBA. */
export interface PortHost {
  /** GHC.AE: the HBA is in AHCI mode. */
  ahciEnabled(): boolean;
  /** PxIS or PxIE changed: recompute IS and the interrupt line. */
  changed(): void;
}

/** A fetched, decoded command slot. */
interface Slot {
  readonly slot: number;
  readonly header: CommandHeader;
  /** The command list base when it was fetched (where PRDBC goes back). */
  readonly clb: number;
  readonly cmd: AtaCommand | { readonly kind: 'control'; readonly control: number } | { readonly kind: 'bad-fis' };
}

interface Running {
  readonly slot: Slot;
  readonly media: MediaCommand;
  readonly gen: number;
  readonly ncq: boolean;
  readonly sg: SgList;
  readonly dps: boolean;
}

const TFD_SIGNATURE = (DIAG_PASSED << 8) | ST_READY;

export class AhciPort {
  private clb = 0;
  private clbu = 0;
  private fb = 0;
  private fbu = 0;
  private is = 0;
  private ie = 0;
  private cmd = CMD_SUD | CMD_POD;
  private tfd = TFD_SIGNATURE;
  private ssts = SSTS_UP;
  private sctl = 0;
  private serr = 0;
  private sact = 0;
  private ci = 0;
  private queue: Slot[] = [];
  private readonly running = new Map<number, Running>();
  private halted = false;
  private softReset = false;
  private gen = 0;

  constructor(
    private readonly drive: AtaDrive,
    private readonly mem: DmaMemory,
    private readonly host: PortHost,
    readonly stats: AhciStats,
  ) {}

  get pending(): boolean {
    return (this.is & this.ie) !== 0;
  }

  inspect(): { clb: number; fb: number; is: number; ie: number; cmd: number; tfd: number; ci: number; sact: number } {
    return { clb: this.clbAddr, fb: this.fbAddr, is: this.is, ie: this.ie, cmd: this.cmd, tfd: this.tfd, ci: this.ci, sact: this.sact };
  }

  read(off: number): number {
    switch (off) {
      case PX_CLB: return this.clb;
      case PX_CLBU: return this.clbu;
      case PX_FB: return this.fb;
      case PX_FBU: return this.fbu;
      case PX_IS: return this.is;
      case PX_IE: return this.ie;
      case PX_CMD: return this.cmd;
      case PX_TFD: return this.tfd;
      case PX_SIG: return SIG_ATA;
      case PX_SSTS: return this.ssts;
      case PX_SCTL: return this.sctl;
      case PX_SERR: return this.serr;
      case PX_SACT: return this.sact;
      case PX_CI: return this.ci;
      default: return 0;
    }
  }

  /** A write of the bytes selected by `mask` (a sub-dword access writes only its bytes). */
  write(off: number, v: number, mask: number): void {
    const w = (v & mask) >>> 0;
    const merge = (old: number) => ((old & ~mask) | w) >>> 0;
    switch (off) {
      case PX_CLB: this.clb = (merge(this.clb) & ~CLB_ALIGN_MASK) >>> 0; return;
      case PX_CLBU: this.clbu = merge(this.clbu); return;
      case PX_FB: this.fb = (merge(this.fb) & ~FB_ALIGN_MASK) >>> 0; return;
      case PX_FBU: this.fbu = merge(this.fbu); return;
      case PX_IS: this.is = (this.is & ~w) >>> 0; return this.host.changed();
      case PX_IE: this.ie = (merge(this.ie) & IS_VALID) >>> 0; return this.host.changed();
      case PX_CMD: return this.writeCmd(merge(this.cmd), w);
      case PX_SCTL: return this.writeSctl(merge(this.sctl));
      case PX_SERR: this.serr = (this.serr & ~w) >>> 0; return;
      case PX_SACT:
        if (this.cmd & CMD_ST) this.sact = (this.sact | w) >>> 0;
        else this.stats.ignoredWrites++;
        return;
      case PX_CI: return this.writeCi(w);
      default: this.stats.ignoredWrites++;
    }
  }

  /** HBA reset (GHC.HR): everything but the list and FIS bases returns to power-on values. */
  reset(): void {
    this.abandon();
    this.is = this.ie = this.sctl = this.serr = 0;
    this.cmd = CMD_SUD | CMD_POD;
    this.tfd = TFD_SIGNATURE;
    this.ssts = SSTS_UP;
    this.softReset = false;
  }

  private get clbAddr(): number {
    return addr64(this.clb, this.clbu);
  }

  private get fbAddr(): number {
    return addr64(this.fb, this.fbu);
  }

  private writeCmd(next: number, written: number): void {
    const old = this.cmd;
    let cmd = (next & (CMD_ST | CMD_FRE)) | CMD_SUD | CMD_POD | (old & (CMD_CR | (0x1f << CMD_CCS_SHIFT)));
    if (old & CMD_ST && !(cmd & CMD_ST)) {
      this.abandon();
      cmd &= ~(CMD_CR | (0x1f << CMD_CCS_SHIFT));
    } else if (!(old & CMD_ST) && cmd & CMD_ST) {
      this.halted = false;
      cmd |= CMD_CR;
    }
    cmd = cmd & CMD_FRE ? cmd | CMD_FR : cmd & ~CMD_FR;
    this.cmd = cmd >>> 0;
    if (written & CMD_CLO) this.tfd &= ~(ST_BSY | ST_DRQ);
  }

  /** COMRESET: DET = 1 takes the link down; leaving it brings the drive back with its signature. */
  private writeSctl(v: number): void {
    const wasReset = (this.sctl & 0xf) === SCTL_DET_RESET;
    this.sctl = v;
    const isReset = (v & 0xf) === SCTL_DET_RESET;
    if (isReset && !wasReset) {
      this.stats.resets++;
      this.abandon();
      this.ssts = 0;
      this.tfd = ST_BSY;
    } else if (wasReset && !isReset) {
      this.ssts = SSTS_UP;
      this.signature();
    }
  }

  /** Drops every queued and running command; their late completions are ignored. */
  private abandon(): void {
    this.gen++;
    this.running.clear();
    this.queue = [];
    this.ci = 0;
    this.sact = 0;
    this.halted = false;
  }

  private signature(): void {
    this.tfd = TFD_SIGNATURE;
    this.postFis(RFIS_RFIS, d2hFis(ST_READY, DIAG_PASSED, false, true));
  }

  private writeCi(bits: number): void {
    if (!(this.cmd & CMD_ST) || !this.host.ahciEnabled()) {
      this.stats.ignoredWrites++;
      return;
    }
    const fresh = (bits & ~this.ci) >>> 0;
    this.ci = (this.ci | fresh) >>> 0;
    for (let s = 0; s < CMD_SLOTS; s++) if (fresh & (1 << s)) this.queue.push(this.fetch(s));
    this.pump();
  }

  private fetch(slot: number): Slot {
    const clb = this.clbAddr;
    const f = fetchCommand(this.mem, clb, slot);
    this.stats.commands++;
    if (f.kind !== 'command') return { slot, header: f.header, clb, cmd: f.kind === 'control' ? { kind: 'control', control: f.control } : { kind: 'bad-fis' } };
    return { slot, header: f.header, clb, cmd: this.drive.decode(f.tf) };
  }

  /** Starts queued commands as far as the queued / non-queued rule allows. */
  private pump(): void {
    while (!this.halted && this.queue.length > 0) {
      const s = this.queue[0]!;
      const ncq = s.cmd.kind === 'dma' && s.cmd.ncqTag !== undefined;
      const exclusiveRunning = [...this.running.values()].some((r) => !r.ncq);
      if (exclusiveRunning || (!ncq && this.running.size > 0)) return;
      this.queue.shift();
      this.issue(s);
    }
  }

  private issue(s: Slot): void {
    const c = s.cmd;
    switch (c.kind) {
      case 'bad-fis':
      case 'reject':
        return this.taskFileError(s.slot, c.kind === 'reject' ? c.error : ERR_ABRT, false);
      case 'control':
        return this.control(s.slot, c.control);
      case 'identify':
        return this.identify(s);
      case 'nodata':
        this.drive.applyNoData(c);
        return this.completeRegister(s.slot, 0);
      case 'flush':
        return this.start(s, c, [], false);
      case 'dma': {
        if (c.ncqTag !== undefined && c.ncqTag !== s.slot) return this.taskFileError(s.slot, ERR_ABRT, false);
        const walk = walkPrdt(this.mem, s.header, c.count * SECTOR_BYTES);
        if (!walk.ok) return c.dir === 'read' ? this.overflow(s.slot) : this.taskFileError(s.slot, ERR_ABRT, false);
        return this.start(s, c, walk.sg, walk.interrupt);
      }
    }
  }

  private start(s: Slot, media: MediaCommand, sg: SgList, dps: boolean): void {
    const ncq = media.kind === 'dma' && media.ncqTag !== undefined;
    const r: Running = { slot: s, media, gen: this.gen, ncq, sg, dps };
    this.running.set(s.slot, r);
    if (ncq) {
      this.stats.ncqCommands++;
      this.ci = (this.ci & ~(1 << s.slot)) >>> 0; // the drive accepted it: the slot is free
      this.tfd = ST_READY;
      this.postFis(RFIS_RFIS, d2hFis(ST_READY, 0, false));
    } else {
      this.tfd = ST_BSY | ST_DRDY;
    }
    let data: Uint8Array | undefined;
    if (media.kind === 'dma' && media.dir === 'write') {
      data = gather(this.mem, sg, media.count * SECTOR_BYTES);
      this.stats.bytesFromMemory += data.length;
    }
    this.drive.run(media, data, (res) => this.finished(r, res));
  }

  private finished(r: Running, res: AtaResult): void {
    const slot = r.slot.slot;
    if (r.gen !== this.gen || this.running.get(slot) !== r) {
      this.stats.staleCompletions++;
      return;
    }
    this.running.delete(slot);
    if (!res.ok) return this.taskFileError(slot, res.error, r.ncq);
    let bytes = 0;
    if (r.media.kind === 'dma') {
      bytes = r.media.count * SECTOR_BYTES;
      if (r.media.dir === 'read' && res.data) {
        scatter(this.mem, r.sg, res.data);
        this.stats.bytesToMemory += bytes;
      }
    }
    if (r.dps) this.is |= IS_DPS;
    if (r.ncq) {
      this.sact = (this.sact & ~(1 << slot)) >>> 0;
      this.tfd = ST_READY;
      this.postFis(RFIS_SDBFIS, sdbFis(ST_READY, 0, (1 << slot) >>> 0));
      this.is |= IS_SDBS;
      this.host.changed();
    } else {
      this.writePrdbc(r.slot, bytes);
      this.completeRegister(slot, 0);
    }
    this.pump();
  }

  private identify(s: Slot): void {
    const walk = walkPrdt(this.mem, s.header, SECTOR_BYTES);
    if (!walk.ok) return this.overflow(s.slot);
    scatter(this.mem, walk.sg, this.drive.identify());
    this.stats.bytesToMemory += SECTOR_BYTES;
    this.writePrdbc(s, SECTOR_BYTES);
    this.tfd = ST_READY;
    this.ci = (this.ci & ~(1 << s.slot)) >>> 0;
    this.postFis(RFIS_PSFIS, pioSetupFis(ST_READY | ST_DRQ, ST_READY, SECTOR_BYTES));
    this.is |= IS_PSS | (walk.interrupt ? IS_DPS : 0);
    this.host.changed();
  }

  /** A device control FIS: SRST set, then cleared, resets the drive (no interrupt). */
  private control(slot: number, control: number): void {
    this.ci = (this.ci & ~(1 << slot)) >>> 0;
    if (control & CONTROL_SRST) {
      this.softReset = true;
      this.tfd = ST_BSY;
    } else if (this.softReset) {
      this.softReset = false;
      this.signature();
    }
  }

  /** Ends a non-queued command with a D2H Register FIS (I = 1). */
  private completeRegister(slot: number, error: number): void {
    const status = ST_READY | (error ? ST_ERR : 0);
    this.tfd = (error << 8) | status;
    this.ci = (this.ci & ~(1 << slot)) >>> 0;
    this.postFis(RFIS_RFIS, d2hFis(status, error, true));
    this.is |= IS_DHRS;
    this.host.changed();
  }

  /** The drive refused or failed a command: ERR in PxTFD, PxIS.TFES, and the engine halts
   *  with PxCMD.CCS naming the slot (its PxCI or PxSACT bit stays set for the error handler). */
  private taskFileError(slot: number, error: number, ncq: boolean): void {
    this.stats.taskFileErrors++;
    const status = ST_READY | ST_ERR;
    this.tfd = (error << 8) | status;
    this.postFis(ncq ? RFIS_SDBFIS : RFIS_RFIS, ncq ? sdbFis(status, error, 0) : d2hFis(status, error, true));
    this.is = (this.is | IS_TFES | (ncq ? 0 : IS_DHRS)) >>> 0;
    this.halt(slot);
  }

  private overflow(slot: number): void {
    this.stats.overflows++;
    this.is = (this.is | IS_OFS) >>> 0;
    this.halt(slot);
  }

  private halt(slot: number): void {
    this.gen++;
    this.running.clear();
    this.queue = [];
    this.halted = true;
    this.cmd = ((this.cmd & ~(0x1f << CMD_CCS_SHIFT)) | (slot << CMD_CCS_SHIFT)) >>> 0;
    this.host.changed();
  }

  private writePrdbc(s: Slot, bytes: number): void {
    const b = new Uint8Array(4);
    putU32(b, 0, bytes);
    this.mem.write(s.clb + s.slot * CMD_HEADER_BYTES + 4, b);
  }

  private postFis(offset: number, fis: Uint8Array): void {
    if (this.cmd & CMD_FRE) this.mem.write(this.fbAddr + offset, fis);
  }
}
