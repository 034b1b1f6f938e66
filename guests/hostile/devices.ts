// T17: an unmodified (HVM or native) guest that pokes every emulated device register with
// random values: port and MMIO reads and writes of every size, inside each device's window
// and anywhere else, plus the odd size (3 or 8 bytes) an ioreq can carry. In an HVM guest each
// access traps and reaches dom0's device model as an ioreq; natively it reaches the device.
// Whatever it writes, the device model must answer, never throw. Random numbers come from the
// seeded stream it is given, so a failing run repeats.
import type { GuestOp, GuestProgram } from '../../hypervisor/public/guest';
import type { RandomStream } from '../../hw/rng';
import { COM1_BASE, UART_PORTS } from '../../hw/devices/uart16550/regs';
import { ABAR_SIZE } from '../../hw/devices/ahci/regs';
import { AHCI_DEFAULT } from '../drivers/ahci';
import { IDE_PRIMARY } from '../drivers/ide';
import type { HostileLog } from './kernel';

/** One register window: PIO ports or an MMIO range. */
export interface Window {
  space: 'pio' | 'mmio';
  base: number;
  size: number;
}

/** The emulated PC's device windows: IDE command/control/bus-master, AHCI's ABAR, COM1. */
export const PC_WINDOWS: readonly Window[] = [
  { space: 'pio', base: IDE_PRIMARY.cmdBase, size: 8 },
  { space: 'pio', base: IDE_PRIMARY.ctlPort, size: 1 },
  { space: 'pio', base: IDE_PRIMARY.bmBase, size: 16 },
  { space: 'mmio', base: AHCI_DEFAULT.abar, size: ABAR_SIZE },
  { space: 'pio', base: COM1_BASE, size: UART_PORTS },
];

const SIZES = [1, 2, 4, 1, 2, 4, 3, 8] as const;

/** A random access: mostly inside a device window, sometimes anywhere at all. */
export function randomAccess(rng: RandomStream, windows: readonly Window[] = PC_WINDOWS): GuestOp {
  const w = windows[rng.int(0, windows.length - 1)]!;
  const anywhere = rng.int(0, 9) === 0;
  const space = anywhere ? (rng.int(0, 1) === 0 ? 'pio' : 'mmio') : w.space;
  const addr = anywhere ? rng.int(0, space === 'pio' ? 0xffff : 0xffff_ffff) : w.base + rng.int(0, w.size - 1);
  const size = SIZES[rng.int(0, SIZES.length - 1)]! as 1 | 2 | 4;
  const value = rng.int(0, 0xffff_ffff);
  return { op: 'io', space, dir: rng.int(0, 1) === 0 ? 'in' : 'out', addr, size, value };
}

/** The guest program: `count` random accesses (a little compute between), logged. */
export function* registerStorm(rng: RandomStream, log: HostileLog, count: number, windows: readonly Window[] = PC_WINDOWS): GuestProgram {
  const reads = new Set<number>();
  for (let i = 0; i < count; i++) {
    const op = randomAccess(rng, windows);
    const got = yield op;
    if (op.op === 'io' && op.dir === 'in') reads.add(got);
    log.count();
    if (i % 16 === 15) yield 200;
  }
  log.note('accesses', count);
  log.note('distinctValuesRead', reads.size);
  log.done = true;
  // It never acknowledged the interrupts its pokes raised, so it cannot halt: it powers off.
  yield { op: 'shutdown', reason: 'poweroff' };
}
