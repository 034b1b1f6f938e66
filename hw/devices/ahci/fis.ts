// The AHCI structures in guest memory, parsed once into typed values, and the FISes the
// device sends back. A command slot is read as: its 32-byte header (from the command list),
// the 20-byte Register H2D FIS at the start of its command table, and later, when the size of
// the transfer is known, just as many PRDT entries as cover it (PRDTL bounds the walk).
import type { DmaMemory } from '../bus';
import { addr64, putU16, putU32, readDescriptor, u32, type SgEntry, type SgList } from '../dma';
import type { Taskfile } from '../ata/regs';
import {
  CMD_HEADER_BYTES, CT_PRDT, CTBA_ALIGN_MASK, FIS_C, FIS_D, FIS_D2H, FIS_H2D, FIS_I, FIS_PIO_SETUP, FIS_SDB, H2D_FIS_BYTES,
  H2D_FIS_DWORDS, HDR_CFL_MASK, HDR_PRDTL_SHIFT, HDR_WRITE, PRDT_DBC_MASK, PRDT_ENTRY_BYTES, PRDT_I,
} from './regs';

export interface CommandHeader {
  readonly cfl: number;
  readonly write: boolean;
  readonly prdtl: number;
  readonly ctba: number;
}

/** A command slot as fetched: a taskfile to execute, or a device control update. */
export type FetchedCommand =
  | { readonly kind: 'command'; readonly header: CommandHeader; readonly tf: Taskfile }
  | { readonly kind: 'control'; readonly header: CommandHeader; readonly control: number }
  | { readonly kind: 'bad-fis'; readonly header: CommandHeader };

export function readHeader(mem: DmaMemory, clb: number, slot: number): CommandHeader {
  const h = readDescriptor(mem, clb + slot * CMD_HEADER_BYTES, CMD_HEADER_BYTES);
  const dw0 = u32(h, 0);
  return {
    cfl: dw0 & HDR_CFL_MASK,
    write: (dw0 & HDR_WRITE) !== 0,
    prdtl: dw0 >>> HDR_PRDTL_SHIFT,
    ctba: addr64(u32(h, 8) & ~CTBA_ALIGN_MASK, u32(h, 12)),
  };
}

export function fetchCommand(mem: DmaMemory, clb: number, slot: number): FetchedCommand {
  const header = readHeader(mem, clb, slot);
  const f = readDescriptor(mem, header.ctba, H2D_FIS_BYTES);
  if (header.cfl < H2D_FIS_DWORDS || f[0] !== FIS_H2D) return { kind: 'bad-fis', header };
  if (!(f[1]! & FIS_C)) return { kind: 'control', header, control: f[15]! };
  const tf: Taskfile = {
    command: f[2]!, feature: f[3]!, lbaLow: f[4]!, lbaMid: f[5]!, lbaHigh: f[6]!, device: f[7]!,
    lbaLowExp: f[8]!, lbaMidExp: f[9]!, lbaHighExp: f[10]!, featureExp: f[11]!, count: f[12]!, countExp: f[13]!,
  };
  return { kind: 'command', header, tf };
}

export type PrdtWalk =
  /** `interrupt`: a fully used entry had its I bit set (PxIS.DPS). */
  | { readonly ok: true; readonly sg: SgList; readonly interrupt: boolean }
  | { readonly ok: false };

/** Walks at most `header.prdtl` entries until `need` bytes are covered. */
export function walkPrdt(mem: DmaMemory, header: CommandHeader, need: number): PrdtWalk {
  const sg: SgEntry[] = [];
  let have = 0;
  let interrupt = false;
  for (let i = 0; i < header.prdtl && have < need; i++) {
    const e = readDescriptor(mem, header.ctba + CT_PRDT + i * PRDT_ENTRY_BYTES, PRDT_ENTRY_BYTES);
    const dw3 = u32(e, 12);
    // DBC holds the byte count minus one, and must be odd (an even count): force bit 0.
    const len = ((dw3 & PRDT_DBC_MASK) | 1) + 1;
    const take = Math.min(len, need - have);
    sg.push({ gpa: addr64(u32(e, 0) & ~1, u32(e, 4)), len: take });
    have += take;
    if (take === len && dw3 & PRDT_I) interrupt = true;
  }
  return have === need ? { ok: true, sg, interrupt } : { ok: false };
}

/** Register FIS, device to host: the taskfile after a command (or the reset signature). */
export function d2hFis(status: number, error: number, interrupt: boolean, signature = false): Uint8Array {
  const f = new Uint8Array(20);
  f[0] = FIS_D2H;
  f[1] = interrupt ? FIS_I : 0;
  f[2] = status;
  f[3] = error;
  if (signature) {
    f[4] = 0x01; // LBA low
    f[12] = 0x01; // count
  }
  return f;
}

/** PIO Setup FIS for a data-in command: `status` while data moves, `endStatus` afterwards. */
export function pioSetupFis(status: number, endStatus: number, bytes: number): Uint8Array {
  const f = new Uint8Array(20);
  f[0] = FIS_PIO_SETUP;
  f[1] = FIS_D | FIS_I;
  f[2] = status;
  f[15] = endStatus;
  putU16(f, 16, bytes);
  return f;
}

/** Set Device Bits FIS: NCQ completions (SActive bits) with the new status. */
export function sdbFis(status: number, error: number, sactive: number): Uint8Array {
  const f = new Uint8Array(8);
  f[0] = FIS_SDB;
  f[1] = FIS_I;
  f[2] = status & 0x77;
  f[3] = error;
  putU32(f, 4, sactive);
  return f;
}
