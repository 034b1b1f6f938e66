// A PIIX-style IDE primary channel with one ATA drive (device 0) and no device 1: the
// command block at 0x1F0–0x1F7, device control / alternate status at 0x3F6, and the
// bus-master IDE registers in BAR4. Commands: IDENTIFY DEVICE (PIO data-in), READ/WRITE DMA
// (LBA28) and READ/WRITE DMA EXT (LBA48), FLUSH CACHE (EXT), SET FEATURES; others abort.
//
// A DMA command runs when the drive has its command and the bus master has been started, in
// either order: a read is fetched from the backend at once and moved to memory when both are
// ready; a write's bytes are gathered from memory at that moment and then written. At the end
// the drive shows DRDY (or ERR with the error register), asserts INTRQ unless nIEN is set or
// device 1 is selected, and the rising edge latches BM status Interrupt.
//
// Who calls it: an IoSpace (native machine or dom0's device model). Nothing a guest writes
// makes it throw; every odd access is answered like hardware and counted in `stats`.
import { allOnes, IrqOutput, readBytes, SECTOR_BYTES, writeBytes, type AddressSpace, type BlockBackend, type DmaMemory, type IoSize, type IrqLine, type PortDevice, type PortRange } from '../bus';
import { gather, scatter } from '../dma';
import { AtaDrive, type AtaDriveOptions, type AtaResult, type MediaCommand } from '../ata/device';
import { DEV_DEV1, DEV_OBSOLETE, DIAG_PASSED, ERR_ABRT, ST_BSY, ST_DRDY, ST_DRQ, ST_ERR, ST_READY } from '../ata/regs';
import { BusMaster } from './bmdma';
import { TaskfileRegs } from './taskfile';
import {
  BM_CHANNEL_BYTES, BM_PORTS, CMD_BLOCK_PORTS, CTL_HOB, CTL_NIEN, CTL_SRST, DEFAULT_BM_BASE, PRIMARY_CMD_BASE,
  PRIMARY_CTL_PORT, REG_DATA, REG_DEVICE, REG_ERROR, REG_STATUS,
} from './regs';

export interface IdeOptions {
  readonly cmdBase?: number;
  readonly ctlPort?: number;
  /** Where BAR4 (the bus-master block) was placed. */
  readonly bmBase?: number;
  readonly drive?: AtaDriveOptions;
}

export class IdeStats {
  commands = 0;
  dmaTransfers = 0;
  bytesToMemory = 0;
  bytesFromMemory = 0;
  /** PRD tables too short for the transfer, or a direction bit contradicting the command. */
  dmaErrors = 0;
  /** Writes dropped: taskfile or command while BSY/DRQ, command to absent device 1, data port
   *  with no PIO transfer, secondary bus-master registers. */
  ignoredWrites = 0;
  /** Data port reads with no PIO transfer in progress (answered 0xFFFF). */
  idleDataReads = 0;
  /** Backend completions for a command a reset had already abandoned. */
  staleCompletions = 0;
  resets = 0;
}

/** The DMA or flush command in flight. */
interface InFlight {
  readonly cmd: MediaCommand;
  readonly gen: number;
  /** A read's bytes, once the backend returned them. */
  data?: Uint8Array;
  /** The bytes have moved between memory and the drive. */
  moved: boolean;
  exact: boolean;
}

export class IdeChannel implements PortDevice {
  readonly name = 'ide';
  readonly ports: PortRange[];
  readonly stats = new IdeStats();
  readonly drive: AtaDrive;
  private readonly cmdBase: number;
  private readonly ctlPort: number;
  private readonly bmBase: number;
  private readonly tf = new TaskfileRegs();
  private readonly bm = new BusMaster((started) => { if (started) this.tryDma(); });
  private readonly irq: IrqOutput;
  private status = ST_READY;
  private error = DIAG_PASSED;
  private control = 0;
  /** INTRQ pending inside the drive (cleared by a status read, a command, a reset). */
  private intrq = false;
  private pio: { readonly buf: Uint8Array; pos: number } | undefined;
  private op: InFlight | undefined;
  /** Bumped by a reset, so completions of abandoned commands are recognised. */
  private gen = 0;

  constructor(backend: BlockBackend, irq: IrqLine, private readonly mem: DmaMemory, opts: IdeOptions = {}) {
    this.cmdBase = opts.cmdBase ?? PRIMARY_CMD_BASE;
    this.ctlPort = opts.ctlPort ?? PRIMARY_CTL_PORT;
    this.bmBase = opts.bmBase ?? DEFAULT_BM_BASE;
    this.ports = [
      { base: this.cmdBase, count: CMD_BLOCK_PORTS },
      { base: this.ctlPort, count: 1 },
      { base: this.bmBase, count: BM_PORTS },
    ];
    this.drive = new AtaDrive(backend, { ...opts.drive, sata: false });
    this.irq = new IrqOutput(irq);
  }

  /** Register state for tests and traces (no side effects). */
  inspect(): { status: number; error: number; control: number; prdt: number; bmStatus: number; busy: boolean } {
    return { status: this.status, error: this.error, control: this.control, prdt: this.bm.table, bmStatus: this.bm.statusBits, busy: this.op !== undefined };
  }

  read(addr: number, size: IoSize, space: AddressSpace): number {
    if (space !== 'pio') return allOnes(size);
    if (addr === this.cmdBase + REG_DATA) {
      if (size === 4) return (this.dataWord() | (this.dataWord() << 16)) >>> 0;
      return size === 2 ? this.dataWord() : this.dataWord() & 0xff;
    }
    return readBytes(addr, size, (a) => this.readByte(a));
  }

  write(addr: number, size: IoSize, value: number, space: AddressSpace): void {
    if (space !== 'pio') return;
    if (addr === this.cmdBase + REG_DATA) {
      this.stats.ignoredWrites++; // no PIO data-out command is implemented
      return;
    }
    writeBytes(addr, size, value, (a, b) => this.writeByte(a, b));
  }

  private readByte(a: number): number {
    const off = a - this.cmdBase;
    if (off === REG_DATA) return this.dataWord() & 0xff;
    if (off > REG_DATA && off < CMD_BLOCK_PORTS) return this.readCommandBlock(off);
    if (a === this.ctlPort) return this.dev1Selected() ? 0 : this.status;
    const bo = a - this.bmBase;
    if (bo >= 0 && bo < BM_CHANNEL_BYTES) return this.bm.readByte(bo);
    if (bo >= BM_CHANNEL_BYTES && bo < BM_PORTS) return 0; // secondary channel: idle, no drives
    return 0xff;
  }

  private readCommandBlock(off: number): number {
    if (off === REG_STATUS) {
      if (this.dev1Selected()) return 0;
      const s = this.status;
      this.intrq = false;
      this.updateIrq();
      return s;
    }
    if (off === REG_ERROR) return this.dev1Selected() ? 0 : this.error;
    if (off === REG_DEVICE) return this.tf.device | DEV_OBSOLETE;
    return this.tf.read(off, (this.control & CTL_HOB) !== 0);
  }

  private writeByte(a: number, b: number): void {
    const off = a - this.cmdBase;
    if (off > REG_DATA && off < CMD_BLOCK_PORTS) return this.writeCommandBlock(off, b);
    if (a === this.ctlPort) return this.writeControl(b);
    const bo = a - this.bmBase;
    if (bo >= 0 && bo < BM_CHANNEL_BYTES) return this.bm.writeByte(bo, b);
    this.stats.ignoredWrites++;
  }

  private writeCommandBlock(off: number, b: number): void {
    this.control &= ~CTL_HOB; // any command block write clears HOB (ATA-6)
    if (this.status & (ST_BSY | ST_DRQ)) {
      this.stats.ignoredWrites++;
      return;
    }
    if (off !== REG_STATUS) {
      this.tf.write(off, b);
      if (off === REG_DEVICE) this.updateIrq();
      return;
    }
    if (this.dev1Selected()) {
      this.stats.ignoredWrites++;
      return;
    }
    this.execute(b);
  }

  private writeControl(b: number): void {
    const was = this.control;
    this.control = b;
    if (b & CTL_SRST && !(was & CTL_SRST)) {
      this.stats.resets++;
      this.gen++;
      this.op = undefined;
      this.pio = undefined;
      this.intrq = false;
      this.status = ST_BSY;
    } else if (!(b & CTL_SRST) && was & CTL_SRST) {
      this.tf.reset();
      this.status = ST_READY;
      this.error = DIAG_PASSED;
    }
    this.updateIrq();
  }

  private execute(command: number): void {
    this.stats.commands++;
    this.intrq = false;
    this.updateIrq();
    const cmd = this.drive.decode(this.tf.snapshot(command));
    switch (cmd.kind) {
      case 'reject':
        return this.complete(cmd.error);
      case 'identify':
        this.pio = { buf: this.drive.identify(), pos: 0 };
        this.status = ST_READY | ST_DRQ;
        this.error = 0;
        this.intrq = true;
        return this.updateIrq();
      case 'nodata':
        this.drive.applyNoData(cmd);
        return this.complete(0);
      case 'flush':
      case 'dma':
        if (cmd.kind === 'dma' && cmd.ncqTag !== undefined) return this.complete(ERR_ABRT);
        return this.startMedia(cmd);
    }
  }

  private startMedia(cmd: MediaCommand): void {
    const op: InFlight = { cmd, gen: this.gen, moved: false, exact: false };
    this.op = op;
    this.status = ST_BSY | ST_DRDY;
    this.error = 0;
    if (cmd.kind === 'flush' || cmd.dir === 'read') {
      this.drive.run(cmd, undefined, (r) => this.mediaDone(op, r));
    }
    this.tryDma();
  }

  private mediaDone(op: InFlight, r: AtaResult): void {
    if (op.gen !== this.gen || this.op !== op) {
      this.stats.staleCompletions++;
      return;
    }
    if (!r.ok) return this.complete(r.error);
    if (op.cmd.kind === 'dma' && op.cmd.dir === 'read' && !op.moved) {
      op.data = r.data;
      return this.tryDma();
    }
    this.complete(0);
  }

  /** Moves the bytes when the drive and the bus master are both ready. */
  private tryDma(): void {
    const op = this.op;
    if (!op || op.cmd.kind !== 'dma' || op.moved || !this.bm.started) return;
    const cmd = op.cmd;
    if (cmd.dir === 'read' && !op.data) return;
    const need = cmd.count * SECTOR_BYTES;
    const walk = this.bm.toMemory === (cmd.dir === 'read') ? this.bm.walk(this.mem, need) : undefined;
    if (!walk?.ok) {
      this.stats.dmaErrors++;
      this.bm.finish(false, true);
      return this.complete(ERR_ABRT);
    }
    op.moved = true;
    op.exact = walk.exact;
    this.stats.dmaTransfers++;
    if (cmd.dir === 'read') {
      scatter(this.mem, walk.sg, op.data!);
      this.stats.bytesToMemory += need;
      return this.complete(0);
    }
    const data = gather(this.mem, walk.sg, need);
    this.stats.bytesFromMemory += need;
    this.drive.run(cmd, data, (r) => this.mediaDone(op, r));
  }

  /** Ends the current command with `error` (0 = success) and interrupts. */
  private complete(error: number): void {
    const op = this.op;
    this.op = undefined;
    if (op?.moved) this.bm.finish(op.exact, false);
    this.status = ST_READY | (error ? ST_ERR : 0);
    this.error = error;
    this.intrq = true;
    this.updateIrq();
  }

  private dataWord(): number {
    const p = this.pio;
    if (!p) {
      this.stats.idleDataReads++;
      return 0xffff;
    }
    const v = p.buf[p.pos]! | (p.buf[p.pos + 1]! << 8);
    p.pos += 2;
    if (p.pos >= p.buf.length) {
      this.pio = undefined;
      this.status = ST_READY;
    }
    return v;
  }

  private dev1Selected(): boolean {
    return (this.tf.device & DEV_DEV1) !== 0;
  }

  private updateIrq(): void {
    const level = this.intrq && !(this.control & CTL_NIEN) && !this.dev1Selected();
    if (this.irq.set(level)) this.bm.interrupt();
  }
}
