// An AHCI 1.3 host bus adapter with one SATA port and an ATA disk, decoded as MMIO at ABAR.
// This file is the generic host control block (CAP, GHC with HR/IE/AE, IS, PI, VS) and the
// access rules; the port and its command engine live in port.ts.
//
// Accesses are dword registers; a byte or word access reads the dword and returns its lanes,
// or writes only its lanes (so a byte write to a write-one-to-clear register clears nothing
// else). A misaligned access is answered all-ones or dropped, and counted.
//
// The interrupt line is level: asserted while GHC.IE is set and IS has a bit set. IS bit 0 is
// set whenever the port has PxIS & PxIE ≠ 0, and stays set until software writes it back.
// CAP.SAM is 0, so GHC.AE is read/write and the command engine only runs once AE is set.
//
// Who calls it: an IoSpace. No guest access or memory content makes it throw.
import { allOnes, IrqOutput, type AddressSpace, type BlockBackend, type DmaMemory, type IoSize, type IrqLine, type MmioRange, type PortDevice, type PortRange } from '../bus';
import { AtaDrive, type AtaDriveOptions } from '../ata/device';
import { AhciPort, AhciStats } from './port';
import {
  ABAR_SIZE, CAP_VALUE, DEFAULT_ABAR, GHC_AE, GHC_HR, GHC_IE, HOST_CAP, HOST_GHC, HOST_IS, HOST_PI, HOST_VS, PORT0,
  PORT_BYTES, VS_VALUE,
} from './regs';

export interface AhciOptions {
  /** Where BAR5 (ABAR) was placed. */
  readonly abar?: number;
  readonly drive?: AtaDriveOptions;
}

/** Ports implemented: port 0 only. */
const PI_VALUE = 0x1;

export class AhciHba implements PortDevice {
  readonly name = 'ahci';
  readonly ports: PortRange[] = [];
  readonly mmio: MmioRange[];
  readonly stats = new AhciStats();
  readonly drive: AtaDrive;
  readonly port: AhciPort;
  private readonly base: number;
  private readonly irq: IrqOutput;
  private ghc = 0;
  private is = 0;

  constructor(backend: BlockBackend, irq: IrqLine, mem: DmaMemory, opts: AhciOptions = {}) {
    this.base = opts.abar ?? DEFAULT_ABAR;
    this.mmio = [{ base: this.base, size: ABAR_SIZE }];
    this.drive = new AtaDrive(backend, { ...opts.drive, sata: true });
    this.irq = new IrqOutput(irq);
    this.port = new AhciPort(this.drive, mem, {
      ahciEnabled: () => (this.ghc & GHC_AE) !== 0,
      changed: () => this.changed(),
    }, this.stats);
  }

  /** Register state for tests and traces (no side effects). */
  inspect(): { ghc: number; hostIs: number } & ReturnType<AhciPort['inspect']> {
    return { ghc: this.ghc, hostIs: this.is, ...this.port.inspect() };
  }

  read(addr: number, size: IoSize, space: AddressSpace): number {
    const off = addr - this.base;
    if (space !== 'mmio') return allOnes(size);
    if (off % size !== 0) {
      this.stats.misaligned++;
      return allOnes(size);
    }
    const dword = this.readReg(off & ~3);
    return size === 4 ? dword >>> 0 : (dword >>> (8 * (off & 3))) & allOnes(size);
  }

  write(addr: number, size: IoSize, value: number, space: AddressSpace): void {
    const off = addr - this.base;
    if (space !== 'mmio') return;
    if (off % size !== 0) {
      this.stats.misaligned++;
      return;
    }
    const shift = 8 * (off & 3);
    const mask = (allOnes(size) << shift) >>> 0;
    this.writeReg(off & ~3, (value << shift) >>> 0, mask);
  }

  private readReg(off: number): number {
    if (off >= PORT0 && off < PORT0 + PORT_BYTES) return this.port.read(off - PORT0);
    switch (off) {
      case HOST_CAP: return CAP_VALUE;
      case HOST_GHC: return this.ghc;
      case HOST_IS: return this.is;
      case HOST_PI: return PI_VALUE;
      case HOST_VS: return VS_VALUE;
      default: return 0; // CCC, enclosure management, CAP2, BOHC, absent ports: not implemented
    }
  }

  private writeReg(off: number, v: number, mask: number): void {
    if (off >= PORT0 && off < PORT0 + PORT_BYTES) return this.port.write(off - PORT0, v, mask);
    const w = (v & mask) >>> 0;
    if (off === HOST_GHC) {
      if (w & GHC_HR) return this.reset();
      this.ghc = (((this.ghc & ~mask) | w) & (GHC_IE | GHC_AE)) >>> 0;
      return this.changed();
    }
    if (off === HOST_IS) {
      this.is = (this.is & ~(w & PI_VALUE)) >>> 0;
      this.changed();
      // The port raised a new status meanwhile, so the line is still asserted as the handler
      // acknowledges it: a level-triggered interrupt is delivered again (pvlab's lines carry
      // edges, so the edge is made here). Linux's handler relies on this when NCQ completions
      // arrive while it runs.
      if (w & PI_VALUE && this.irq.asserted) {
        this.irq.set(false);
        this.irq.set(true);
      }
      return;
    }
    this.stats.ignoredWrites++;
  }

  /** GHC.HR: the whole HBA returns to its power-on state; HR reads back 0 at once. */
  private reset(): void {
    this.stats.resets++;
    this.ghc = 0;
    this.is = 0;
    this.port.reset();
    this.changed();
  }

  private changed(): void {
    if (this.port.pending) this.is |= PI_VALUE;
    this.irq.set((this.ghc & GHC_IE) !== 0 && this.is !== 0);
  }
}
