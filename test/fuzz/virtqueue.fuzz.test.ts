// Fuzzing what a hostile KVM guest puts on its virtio-blk queue (issue 9's habit, on the KVM
// side): chains of random descriptors, direct or in an indirect table (buffers in RAM, across
// its end, far past it, of length 0; header and status buffers too short or of the wrong
// direction; request types valid and not; sectors in range, past the end and beyond 2^53),
// descriptor-table and indirect-table bytes rewritten after they were added, and the available
// index pushed on. Beside it a second VM runs a verifying fio job on its own disk. Property:
// nothing throws; the hostile device either answers each chain or stops with one of the
// reasons a real device stops for; the other VM completes its I/O with no error and no block
// read back wrong, at most a little slower than alone.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildWorld } from '../../lab/run/world';
import { encodeOutHdr } from '../../hypervisor/public/io/virtio_blk';
import { scenarioFrom } from '../helpers/world';
import { kvmYaml } from '../kvm/helpers';
import { FUZZ_SEED, FUZZ_TIMEOUT_MS, fuzzRuns, report } from './fuzz-config';

const MiB = 1024 * 1024;
const RAM = 256 * MiB; // kvmYaml's guests
const VOLUME_SECTORS = (1024 * MiB) / 512;

const addr = fc.oneof(
  fc.integer({ min: 0, max: RAM - 1 }), // in RAM
  fc.integer({ min: RAM - 8192, max: RAM + 8192 }), // across its end
  fc.constantFrom(RAM, 2 ** 32, 2 ** 52, 2 ** 64 - 4096), // past it
);
const len = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 16384 }), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: 4 * MiB }), weight: 1 },
  { arbitrary: fc.constantFrom(0, 1, 511, 512, 0xffff_ffff, RAM, RAM + 1), weight: 1 },
);
const wild = fc.record({ addr, len, write: fc.boolean() });
/** What a driver would send: sectors of one page of RAM. */
const sane = fc.record({
  addr: fc.integer({ min: 0, max: RAM / 4096 - 1 }).map((g) => g * 4096),
  len: fc.integer({ min: 1, max: 8 }).map((n) => n * 512),
  write: fc.boolean(),
});
const segment = fc.oneof({ arbitrary: sane, weight: 6 }, { arbitrary: wild, weight: 1 });
const header = fc.record({
  type: fc.oneof({ arbitrary: fc.constantFrom(0, 1, 4, 8), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }), weight: 1 }),
  sector: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: VOLUME_SECTORS + 16 }), weight: 4 },
    { arbitrary: fc.integer({ min: VOLUME_SECTORS - 16, max: VOLUME_SECTORS + 16 }), weight: 1 },
    { arbitrary: fc.constantFrom(2 ** 53, 2 ** 64 - 1), weight: 1 },
  ),
  hdrLen: fc.oneof({ arbitrary: fc.constant(16), weight: 6 }, { arbitrary: fc.constantFrom(15, 1, 64), weight: 1 }),
  hdrWritable: fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, { arbitrary: fc.constant(true), weight: 1 }),
  statusLen: fc.oneof({ arbitrary: fc.constant(1), weight: 6 }, { arbitrary: fc.constantFrom(0, 2), weight: 1 }),
  statusWritable: fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, { arbitrary: fc.constant(false), weight: 1 }),
});
const op = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('chain' as const), header, data: fc.array(segment, { maxLength: 6 }), table: fc.boolean() }), weight: 12 },
  // A table's bytes rewritten after the chain was added (the device read it once, or not yet).
  { arbitrary: fc.record({ kind: fc.constant('table-poke' as const), byte: fc.nat(2047), value: fc.nat(255) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('poke' as const), byte: fc.nat(16 * 128 - 1), value: fc.nat(255) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('avail' as const), ahead: fc.integer({ min: 1, max: 300 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('run' as const), us: fc.integer({ min: 1, max: 2000 }) }), weight: 2 },
);

const yaml = (withBad: boolean) =>
  kvmYaml({
    guests: [
      ...(withBad ? [{ name: 'bad', vdev: 'vda', workload: '{kind: fio, rw: randread, bs: 4k, iodepth: 4}' }] : []),
      { name: 'good', vdev: 'vda', workload: '{kind: fio, rw: randwrite, bs: 4k, iodepth: 4, verify: true, ops: 150}' },
    ],
    duration: '40ms',
    pcpus: 4,
  });

/** The reasons a virtio device stops for (ringbuf/virtqueue.ts, host/virtio/queue.ts). */
const STOP_REASONS = /^(avail-index-overflow|head-out-of-range|chain-too-long|indirect-not-negotiated|indirect-table-invalid|next-out-of-range|bogus-descriptor|zero-sized-buffer):/;

describe('a KVM guest that writes anything into its virtio-blk queue', () => {
  const stats = { sequences: 0, ops: 0 };
  const seen = { stopped: 0, answered: 0, invalid: 0 };
  afterAll(() => {
    report('virtqueue', stats);
    console.log(`virtqueue: ${seen.stopped} devices stopped, ${seen.answered} requests answered of which ${seen.invalid} refused`);
  });

  it('never throws; the device answers or stops for a real reason; the other VM does not notice', () => {
    const alone = scenarioFrom(yaml(false));
    const aloneWorld = buildWorld(alone);
    aloneWorld.engine.run(alone.duration);
    const aloneJob = aloneWorld.guests.find((g) => g.domain.name === 'good')!.fio!;
    expect(aloneJob.done).toBe(true);

    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 16 }), (ops) => {
        stats.sequences++;
        const s = scenarioFrom(yaml(true));
        const w = buildWorld(s);
        w.engine.run(5_000_000);
        const bad = w.guests.find((g) => g.domain.name === 'bad')!;
        const drv = bad.native!.virtio!;
        const vq = drv['vq'];
        const dev = bad.qemu!.virtio!.device;
        const gfn: number = drv['k'].pages.alloc();
        const page = drv['k'].env.page(gfn) as Uint8Array;
        const tableGfn: number = drv['k'].pages.alloc();
        const tablePage = drv['k'].env.page(tableGfn) as Uint8Array;
        const desc: Uint8Array = vq['desc'] instanceof DataView ? new Uint8Array(vq['desc'].buffer, vq['desc'].byteOffset, vq['desc'].byteLength) : vq['desc'];
        for (const o of ops) {
          stats.ops++;
          if (o.kind === 'chain') {
            const h = o.header;
            page.set(encodeOutHdr({ type: h.type, sector: h.sector }));
            vq.add([
              { addr: gfn * 4096, len: h.hdrLen, write: h.hdrWritable },
              ...o.data,
              ...(h.statusLen > 0 ? [{ addr: gfn * 4096 + 64, len: h.statusLen, write: h.statusWritable }] : []),
            ], o.table ? { addr: tableGfn * 4096, bytes: tablePage.subarray(0, 2048) } : undefined);
            vq.kickPrepare();
            dev.notify();
          } else if (o.kind === 'table-poke') {
            tablePage[o.byte] = o.value;
          } else if (o.kind === 'poke') {
            desc[o.byte % desc.length] = o.value;
          } else if (o.kind === 'avail') {
            vq['availIdx'] = (vq['availIdx'] + o.ahead) & 0xffff;
            vq.kickPrepare();
            dev.notify();
          } else w.engine.run(w.engine.now + o.us * 1000);
        }
        w.engine.run(s.duration);
        if (dev.failed !== undefined) {
          seen.stopped++;
          expect(dev.failed).toMatch(STOP_REASONS);
        }
        seen.answered += dev.stats.completions + dev.stats.invalid;
        seen.invalid += dev.stats.invalid;
        const good = w.guests.find((g) => g.domain.name === 'good')!.fio!;
        expect({ done: good.done, errors: good.errors, verifyErrors: good.verifyErrors }).toEqual({ done: true, errors: 0, verifyErrors: 0 });
        expect(good.latency.quantile(0.99)).toBeLessThan(3 * aloneJob.latency.quantile(0.99));
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(150) },
    );
  }, FUZZ_TIMEOUT_MS);
});
