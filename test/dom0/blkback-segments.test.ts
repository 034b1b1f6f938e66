// blkback moves a segment's sectors and nothing else of its page, in both grant modes: a
// frontend may name part of a page (first_sect..last_sect), and the rest of that page is the
// guest's own memory. A raw frontend (the hostile tests' RawFront) writes a whole page, then
// reads three sectors back into the middle of a page full of 0xee.
import { describe, expect, it } from 'vitest';
import type { VcpuEnv } from '../../hypervisor/public/guest';
import { block, type GuestProgram } from '../../hypervisor/public/guest';
import { BLKIF_OP_READ, BLKIF_OP_WRITE } from '../../hypervisor/public/io/blkif';
import type { GrantMode } from '../../dom0/blkback';
import { PvKernel } from '../../guests/kernel/pv';
import { bootBare, vbdDevids } from '../../guests/hostile/kernel';
import { RawFront } from '../../guests/hostile/rawfront';
import { buildWorld } from '../../lab/run/world';
import { addDisk, introduce } from '../../lab/run/toolstack';
import { scenarioFrom } from '../helpers/world';

const YAML = `
name: segments
duration: 1s
host: {pcpus: 2, memory: 4096, disks: [{name: sda, kind: ssd, size: 1GiB}]}
dom0:
  volumes: [{name: /dev/vg0/t, disk: sda, size: 64MiB}]
domains: []
`;

interface Seen { statuses: number[]; page?: Uint8Array; written?: Uint8Array }

function partialRead(mode: GrantMode): Seen {
  const w = buildWorld(scenarioFrom(YAML));
  const seen: Seen = { statuses: [] };
  let program: ((env: VcpuEnv) => GuestProgram) | undefined;
  const d = w.hv.createDomain({ name: 'front', type: 'pv', vcpus: 1, memoryMiB: 64, weight: 256, cap: 0 }, (env) => (function* (): GuestProgram { yield* program!(env); })()); // the program is set below
  if (typeof d === 'string') throw new Error(d);
  const k = new PvKernel(w.profile.kernel, introduce(w.hv, w.dom0, d));
  const bb = addDisk(w.hv, w.dom0, w.storage, d, { vdev: 'xvda', target: '/dev/vg0/t', access: 'rw', format: 'raw' }, mode);
  if (typeof bb === 'string') throw new Error(bb);
  program = function* (env: VcpuEnv): GuestProgram {
    if (!(yield* bootBare(k, env))) return;
    const [devid] = yield* vbdDevids(k);
    const f = new RawFront(k, devid!, 0);
    if (!(yield* f.connect()).ok) return;
    const page = (fill: (i: number) => number) => {
      const gfn = k.pages.alloc();
      const p = env.page(gfn)!;
      for (let i = 0; i < p.length; i++) p[i] = fill(i);
      return { p, gref: k.grants.grant(0, gfn, false) };
    };
    const src = page((i) => (i * 7 + 1) & 0xff);
    seen.written = src.p.slice();
    f.produce({ op: BLKIF_OP_WRITE, id: 1, sector: 0, segs: [{ gref: src.gref, first: 0, last: 7 }] });
    f.publish();
    seen.statuses.push(...(yield* f.awaitResponses(1, 50e6)).map((r) => r.status));
    const dst = page(() => 0xee);
    f.produce({ op: BLKIF_OP_READ, id: 2, sector: 2, segs: [{ gref: dst.gref, first: 2, last: 4 }] });
    f.publish();
    seen.statuses.push(...(yield* f.awaitResponses(1, 50e6)).map((r) => r.status));
    seen.page = dst.p.slice();
    for (;;) yield block();
  };
  w.hv.unpause(d.id);
  w.engine.run(500e6);
  return seen;
}

describe('blkback and partial-page segments', () => {
  it.each(['map', 'copy'] as const)('in %s mode, a read of sectors 2-4 lands at bytes 1024-2559 of the page and nowhere else', (mode) => {
    const s = partialRead(mode);
    expect(s.statuses).toEqual([0, 0]);
    const p = s.page!;
    expect(p.subarray(0, 1024).every((b) => b === 0xee)).toBe(true);
    expect(Buffer.from(p.subarray(1024, 2560)).equals(Buffer.from(s.written!.subarray(1024, 2560)))).toBe(true); // disk sectors 2-4
    expect(p.subarray(2560).every((b) => b === 0xee)).toBe(true);
  });
});
