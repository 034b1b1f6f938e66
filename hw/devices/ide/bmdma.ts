// The bus-master IDE engine of one channel (PIIX4 BMIDE): its command, status and descriptor
// table pointer registers, byte by byte, and the walk of the Physical Region Descriptor
// table in guest memory. The walk reads each descriptor once into a private copy, is bounded
// by the 8192 entries a 64 KiB table can hold, and stops as soon as the transfer is covered.
import type { DmaMemory } from '../bus';
import { readDescriptor, u32, type SgEntry, type SgList } from '../dma';
import {
  BM_CMD, BM_CMD_START, BM_CMD_TO_MEMORY, BM_CMD_WRITABLE, BM_PRDT, BM_STATUS, BM_ST_ACTIVE, BM_ST_DMA_CAPABLE,
  BM_ST_ERROR, BM_ST_INTR, PRD_ENTRY_BYTES, PRD_EOT, PRD_MAX_ENTRIES, PRD_REGION_MAX,
} from './regs';

export type PrdWalk =
  /** `exact`: the transfer ended with the End Of Table entry (so Active clears at the end). */
  | { readonly ok: true; readonly sg: SgList; readonly exact: boolean }
  | { readonly ok: false; readonly reason: 'prd-short' };

export class BusMaster {
  private cmd = 0;
  private status = 0;
  private prdt = 0;

  constructor(private readonly onStartChange: (started: boolean) => void) {}

  get started(): boolean {
    return (this.cmd & BM_CMD_START) !== 0;
  }

  /** The direction the guest programmed: true when the bus master writes memory (device read). */
  get toMemory(): boolean {
    return (this.cmd & BM_CMD_TO_MEMORY) !== 0;
  }

  get table(): number {
    return this.prdt;
  }

  get statusBits(): number {
    return this.status;
  }

  /** Reads register byte `off` (0–7 of this channel). */
  readByte(off: number): number {
    if (off === BM_CMD) return this.cmd;
    if (off === BM_STATUS) return this.status;
    if (off >= BM_PRDT && off < BM_PRDT + 4) return (this.prdt >>> (8 * (off - BM_PRDT))) & 0xff;
    return 0;
  }

  writeByte(off: number, b: number): void {
    if (off === BM_CMD) {
      const was = this.started;
      this.cmd = b & BM_CMD_WRITABLE;
      if (this.started && !was) this.status |= BM_ST_ACTIVE;
      if (!this.started && was) this.status &= ~BM_ST_ACTIVE;
      if (this.started !== was) this.onStartChange(this.started);
    } else if (off === BM_STATUS) {
      const cleared = b & (BM_ST_ERROR | BM_ST_INTR);
      this.status = (this.status & ~cleared & ~BM_ST_DMA_CAPABLE) | (b & BM_ST_DMA_CAPABLE);
    } else if (off >= BM_PRDT && off < BM_PRDT + 4) {
      const shift = 8 * (off - BM_PRDT);
      const v = (this.prdt & ~(0xff << shift)) | (b << shift);
      this.prdt = (v & ~3) >>> 0;
    }
  }

  /** The device raised its interrupt line: latch it in BM status. */
  interrupt(): void {
    this.status |= BM_ST_INTR;
  }

  /** The transfer ended; Active clears when the table was used up, or on an error. */
  finish(exact: boolean, error: boolean): void {
    if (exact || error) this.status &= ~BM_ST_ACTIVE;
    if (error) this.status |= BM_ST_ERROR;
  }

  reset(): void {
    this.cmd = 0;
    this.status = 0;
    this.prdt = 0;
  }

  /** Walks the PRD table for a transfer of `need` bytes. */
  walk(mem: DmaMemory, need: number): PrdWalk {
    const sg: SgEntry[] = [];
    let have = 0;
    for (let i = 0; i < PRD_MAX_ENTRIES; i++) {
      const d = readDescriptor(mem, this.prdt + i * PRD_ENTRY_BYTES, PRD_ENTRY_BYTES);
      const base = (u32(d, 0) & 0xffff_fffe) >>> 0;
      const flags = u32(d, 4);
      const len = flags & 0xfffe || PRD_REGION_MAX;
      const eot = (flags & PRD_EOT) !== 0;
      const take = Math.min(len, need - have);
      sg.push({ gpa: base, len: take });
      have += take;
      if (have === need) return { ok: true, sg, exact: take === len && eot };
      if (eot) break;
    }
    return { ok: false, reason: 'prd-short' };
  }
}
