// Fuzzing the emulated device registers directly (T17 at the bus, issue 9 item 4): random port
// and MMIO reads and writes of every size (1, 2, 4, and the 3 and 8 an ioreq can carry) and
// wild values (negative, fractional, NaN, beyond 32 bits) to an IDE channel, an AHCI HBA and
// a 16550 UART on one I/O space, with DMA into a small guest memory and time passing so that
// commands complete. Property: no access throws, every read answers a value of its size, and
// the disk behind the controllers is asked only for sectors it has.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Engine, callback } from '../../hw/engine';
import { IoSpace, type BlockBackend, type BlockRequest, type BlockResult, type IrqLine } from '../../hw/devices/bus';
import { pagedMemory } from '../../hw/devices/paged';
import { IdeChannel } from '../../hw/devices/ide/index';
import { AhciHba } from '../../hw/devices/ahci/index';
import { Uart16550 } from '../../hw/devices/uart16550/index';
import { PC_WINDOWS } from '../../guests/hostile/index';
import { AHCI_DEFAULT } from '../../guests/drivers/ahci';
import { IDE_PRIMARY } from '../../guests/drivers/ide';
import { CMD } from '../../hw/devices/ata/regs';
import { GHC_AE, GHC_IE, HOST_GHC, PORT0, PX_CI, PX_CLB, PX_CMD, PX_FB } from '../../hw/devices/ahci/regs';
import { FUZZ_SEED, FUZZ_TIMEOUT_MS, fuzzRuns, report } from './fuzz-config';

const SECTORS = 2048;
const RAM_PAGES = 16;

type Access =
  | { dir: 'in' | 'out'; w: number; off: number; anywhere: number | undefined; size: number; value: number }
  | { ns: number }
  /** A plausible command: task-file or port registers loaded with random values, then started. */
  | { kick: 'ide' | 'ahci'; regs: number[]; command: number };

const access: fc.Arbitrary<Access> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.record({
      dir: fc.constantFrom('in' as const, 'out' as const),
      w: fc.integer({ min: 0, max: PC_WINDOWS.length - 1 }),
      off: fc.integer({ min: -2, max: 0x200 }),
      anywhere: fc.option(fc.integer({ min: 0, max: 0xffff_ffff }), { freq: 10, nil: undefined }),
      size: fc.constantFrom(1, 2, 4, 1, 2, 4, 3, 8, 0),
      value: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, NaN, 2 ** 40, Infinity) }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ ns: fc.integer({ min: 1, max: 2_000_000 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kick: fc.constantFrom('ide' as const, 'ahci' as const),
      regs: fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { minLength: 8, maxLength: 8 }),
      command: fc.oneof(fc.constantFrom(...Object.values(CMD)), fc.integer({ min: 0, max: 255 })),
    }),
  },
);

/** Loads the registers a driver would and starts a command, with the values the fuzzer chose.
 *  Pointers land inside guest RAM (random bytes), so the HBA parses random command tables. */
function kick(io: IoSpace, a: Extract<Access, { kick: string }>): void {
  const r = a.regs;
  if (a.kick === 'ide') {
    const base = IDE_PRIMARY.cmdBase;
    for (let i = 1; i <= 6; i++) io.write(base + i, 1, r[i]! & 0xff, 'pio');
    io.write(IDE_PRIMARY.bmBase + 4, 4, r[7]! % (RAM_PAGES * 4096), 'pio'); // the PRD table
    io.write(base + 7, 1, a.command, 'pio');
    io.write(IDE_PRIMARY.bmBase, 1, r[0]! & 0x09, 'pio'); // start (and direction) bits
    return;
  }
  const port = AHCI_DEFAULT.abar + PORT0;
  io.write(AHCI_DEFAULT.abar + HOST_GHC, 4, GHC_AE | (r[0]! & GHC_IE), 'mmio');
  io.write(port + PX_CLB, 4, (r[1]! % RAM_PAGES) * 4096, 'mmio');
  io.write(port + PX_FB, 4, (r[2]! % RAM_PAGES) * 4096, 'mmio');
  io.write(port + PX_CMD, 4, 0x11 | (r[3]! & 0xffe0), 'mmio'); // ST | FRE, and whatever else
  io.write(port + PX_CI, 4, r[4]!, 'mmio');
}

/** A disk that completes through the engine and remembers any request past its end. */
function disk(engine: Engine, bad: BlockRequest[], seen: BlockRequest[]): BlockBackend {
  return {
    sizeSectors: SECTORS,
    submit(req: BlockRequest, done: (r: BlockResult) => void) {
      seen.push(req);
      const ok = req.op === 'flush' || (Number.isSafeInteger(req.sector) && req.count > 0 && req.sector >= 0 && req.sector + req.count <= SECTORS);
      if (!ok) bad.push(req);
      const data = req.op === 'read' && ok ? new Uint8Array(req.count * 512) : undefined;
      engine.after(1_000, callback(() => done(ok ? { status: 'ok', data } : { status: 'error' })));
    },
  };
}

function machine(seed: number) {
  const engine = new Engine();
  let x = seed | 1;
  const ram = Array.from({ length: RAM_PAGES }, () => new Uint8Array(4096).map(() => ((x = Math.imul(x, 1103515245) + 12345), x >>> 24)));
  const mem = pagedMemory((frame) => ram[frame]);
  const irq: IrqLine = { raise: () => undefined, lower: () => undefined };
  const bad: BlockRequest[] = [];
  const seen: BlockRequest[] = [];
  const io = new IoSpace();
  io.attach(new IdeChannel(disk(engine, bad, seen), irq, mem, { cmdBase: IDE_PRIMARY.cmdBase, ctlPort: IDE_PRIMARY.ctlPort, bmBase: IDE_PRIMARY.bmBase }));
  io.attach(new AhciHba(disk(engine, bad, seen), irq, mem, { abar: AHCI_DEFAULT.abar }));
  io.attach(new Uart16550(engine, irq));
  return { engine, io, bad, seen };
}

const stats = { sequences: 0, ops: 0, diskRequests: 0 };
afterAll(() => {
  report('device registers', stats);
  console.log(`  commands that reached the disk: ${stats.diskRequests}`);
});

describe('fuzzing emulated device registers', () => {
  it('never throws, answers every read with a value of its size, and asks the disk only for sectors it has', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(access, { minLength: 1, maxLength: 80, size: 'large' }), (seed, accesses) => {
        const { engine, io, bad, seen } = machine(seed);
        for (const a of accesses) {
          if ('ns' in a) {
            engine.run(engine.now + a.ns);
            continue;
          }
          if ('kick' in a) {
            kick(io, a);
            continue;
          }
          const win = PC_WINDOWS[a.w]!;
          const space = a.anywhere === undefined ? win.space : a.anywhere % 2 === 0 ? 'pio' : 'mmio';
          const addr = a.anywhere ?? win.base + (a.off % Math.max(1, win.size + 4));
          if (a.dir === 'out') io.write(addr, a.size, a.value, space);
          else {
            const v = io.read(addr, a.size, space);
            const max = a.size === 1 || a.size === 2 || a.size === 4 ? 2 ** (8 * a.size) : 2 ** 32;
            expect(Number.isInteger(v) && v >= 0 && v < max, `read of ${a.size} at ${addr.toString(16)} gave ${v}`).toBe(true);
          }
        }
        engine.run(engine.now + 10_000_000);
        expect(bad).toEqual([]);
        stats.diskRequests += seen.length;
        stats.sequences++;
        stats.ops += accesses.length;
      }),
      { seed: FUZZ_SEED + 3, numRuns: fuzzRuns(2000) },
    );
  }, FUZZ_TIMEOUT_MS);
});
