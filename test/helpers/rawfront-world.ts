// A raw frontend (the hostile tests' RawFront) connected to blkback, for tests of the backend:
// one PV domain whose program boots a bare kernel, connects the raw frontend, then runs a script.
import type { VcpuEnv } from '../../hypervisor/public/guest';
import { block, type GuestProgram } from '../../hypervisor/public/guest';
import type { GrantMode } from '../../dom0/blkback';
import { PvKernel } from '../../guests/kernel/pv';
import { bootBare, vbdDevids } from '../../guests/hostile/kernel';
import { RawFront } from '../../guests/hostile/rawfront';
import { buildWorld } from '../../lab/run/world';
import { addDisk, introduce } from '../../lab/run/toolstack';
import { scenarioFrom } from './world';

const YAML = `
name: segments
duration: 1s
host: {pcpus: 2, memory: 4096, disks: [{name: sda, kind: ssd, size: 1GiB}]}
dom0:
  volumes: [{name: /dev/vg0/t, disk: sda, size: 64MiB}]
domains: []
`;

/** A granted page of the raw frontend's kernel, filled by `fill`. */
export function grantedPage(k: PvKernel, env: VcpuEnv, fill: (i: number) => number, readonly = false) {
  const gfn = k.pages.alloc();
  const p = env.page(gfn)!;
  for (let i = 0; i < p.length; i++) p[i] = fill(i);
  return { p, gfn, gref: k.grants.grant(0, gfn, readonly) };
}

/** A raw frontend against blkback in `mode`: `script` runs once it is connected. With
 *  `persistent` the frontend offers persistent grants. */
export function withRawFront(mode: GrantMode, script: (k: PvKernel, env: VcpuEnv, f: RawFront) => Generator<unknown, void, unknown>, persistent = false) {
  const w = buildWorld(scenarioFrom(YAML));
  let program: ((env: VcpuEnv) => GuestProgram) | undefined;
  const d = w.hv.createDomain({ name: 'front', type: 'pv', vcpus: 1, memoryMiB: 64, weight: 256, cap: 0 }, (env) => (function* (): GuestProgram { yield* program!(env); })());
  if (typeof d === 'string') throw new Error(d);
  const k = new PvKernel(w.profile.kernel, introduce(w.hv, w.dom0, d));
  const bb = addDisk(w.hv, w.dom0, w.storage, d, { vdev: 'xvda', target: '/dev/vg0/t', access: 'rw', format: 'raw' }, mode);
  if (typeof bb === 'string') throw new Error(bb);
  program = function* (env: VcpuEnv): GuestProgram {
    if (!(yield* bootBare(k, env))) return;
    const [devid] = yield* vbdDevids(k);
    const f = new RawFront(k, devid!, 0);
    f.offerPersistent = persistent;
    if (!(yield* f.connect()).ok) return;
    yield* script(k, env, f) as GuestProgram;
    for (;;) yield block();
  };
  w.hv.unpause(d.id);
  w.engine.run(500e6);
  return { w, bb };
}
