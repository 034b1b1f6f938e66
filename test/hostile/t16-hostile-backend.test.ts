// T16: a driver domain serving a block device badly. The victim's second disk (xvdb) is served
// by the attacker; it answers the first request with a response producer a hundred slots past
// anything asked, with an id never used, or by trying to write into the read-only pages of a
// write and then claiming success. blkfront drops that device (or its pages stay untouched),
// the victim's kernel goes on, and its first disk, served by dom0, completes its fio job as in
// the run without the attacker.
import { describe, expect, it } from 'vitest';
import type { Domain } from '../../hypervisor/domain';
import { block, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import { GNTST } from '../../hypervisor/public/grant_table';
import { BLKIF_RSP_ERROR, BLKIF_RSP_OKAY } from '../../hypervisor/public/io/blkif';
import { PvKernel } from '../../guests/kernel/pv';
import { FioJob } from '../../guests/workloads/fio';
import { HOSTILE_BACKEND_VARIANTS, type HostileBackendVariant } from '../../guests/hostile/index';
import { addDisk, introduce } from '../../lab/run/toolstack';
import type { World } from '../../lab/run/world';
import { hasPattern, pattern } from '../../guests/hostile/attack';
import { hostileLab, ISOLATION_P99_FACTOR, MS, type Lab } from './harness';

const XVDA = 51712;
const XVDB = 51728;

interface Probe {
  status?: number;
  failed?: string;
  pageIntact?: boolean;
}

/** The toolstack's keys for a vbd of `fe` served by `be` (REFERENCE §5.2), by hand. */
function vbdServedBy(w: World, fe: Domain, be: Domain): void {
  const xs = w.dom0.xs;
  const fePath = `/local/domain/${fe.id}/device/vbd/${XVDB}`;
  const bePath = `/local/domain/${be.id}/backend/vbd/${fe.id}/${XVDB}`;
  xs.write(undefined, bePath, '');
  xs.setPerms(undefined, bePath, [`n${be.id}`, `r${fe.id}`]);
  xs.write(undefined, fePath, '');
  xs.setPerms(undefined, fePath, [`n${fe.id}`, `r${be.id}`]);
  for (const [k, v] of Object.entries({ frontend: fePath, 'frontend-id': String(fe.id), state: '1' })) xs.write(undefined, `${bePath}/${k}`, v);
  for (const [k, v] of Object.entries({ backend: bePath, 'backend-id': String(be.id), state: '1', 'virtual-device': String(XVDB) })) xs.write(undefined, `${fePath}/${k}`, v);
}

/** The victim: boots, makes one request on xvdb if it has it, then fio-verify on xvda. */
function addVictim(lab: Lab, hostile: Domain | undefined, variant: HostileBackendVariant, probe: Probe): FioJob {
  const w = lab.w;
  const job = new FioJob({ rw: 'randwrite', bs: 4096, iodepth: 8, size: 32 << 20, verify: true, ops: 600 }, w.streams.stream('workload/victim'), 77);
  let k!: PvKernel;
  const d = w.hv.createDomain({ name: 'victim', type: 'pv', vcpus: 1, memoryMiB: 128, weight: 256, cap: 0 }, (env) => program(env));
  if (typeof d === 'string') throw new Error(d);
  k = new PvKernel(w.profile.kernel, introduce(w.hv, w.dom0, d));
  const bb = addDisk(w.hv, w.dom0, w.storage, d, { vdev: 'xvda', target: '/dev/vg0/victim', access: 'rw', format: 'raw' });
  if (typeof bb === 'string') throw new Error(bb);
  if (hostile) vbdServedBy(w, d, hostile);
  function* program(env: VcpuEnv): GuestProgram {
    yield* k.boot(env);
    const xvdb = k.disks.find((x) => x.devid === XVDB);
    if (xvdb) {
      const gfn = k.pages.alloc();
      pattern(0x33)(env.page(gfn)!);
      yield* xvdb.submit({ op: variant === 'write-readonly' ? 'write' : 'read', sector: 0, count: 8, gfns: [gfn], done: (s) => (probe.status = s) });
      yield* xvdb.kick();
      for (let i = 0; i < 100 && probe.status === undefined; i++) yield* k.wait();
      probe.failed = xvdb.failed;
      probe.pageIntact = hasPattern(env.page(gfn)!, 0x33);
    }
    const xvda = k.disks.find((x) => x.devid === XVDA)!;
    yield* job.run({ now: () => env.now(), wait: () => k.wait(), sleep: (t) => k.wait(t), allocPage: () => k.pages.alloc(), page: (g) => env.page(g), syscall: () => k.syscall() }, xvda);
    for (;;) yield block();
  }
  w.hv.unpause(d.id);
  return job;
}

function run(variant: HostileBackendVariant, withHostile: boolean) {
  const lab = hostileLab({ victim: false, hostileDisks: 0, attack: withHostile ? 'T16' : undefined, attackOpts: { variant } });
  const probe: Probe = {};
  const job = addVictim(lab, lab.hostile?.domain, variant, probe);
  lab.checker.runUntil(() => job.done && (lab.hostile?.log.done ?? true), 400 * MS);
  lab.checker.check();
  return { lab, probe, job };
}

describe('T16: a hostile backend', () => {
  it.each(HOSTILE_BACKEND_VARIANTS)('(%s) costs the frontend that one device, and its other disk goes on as without it', (variant) => {
    const alone = run(variant, false);
    const beside = run(variant, true);
    const o = beside.lab.hostile!.log.outcomes;
    expect(o['request.seen']).toBe(true);
    if (variant === 'write-readonly') {
      // Both ways into read-only pages are refused; the lie that follows changes no byte.
      expect(o['writableMap.statuses']).toEqual([GNTST.general_error]);
      expect(o['copyInto.statuses']).toEqual([GNTST.general_error]);
      expect(beside.probe).toMatchObject({ status: BLKIF_RSP_OKAY, failed: undefined, pageIntact: true });
    } else {
      expect(beside.probe.status).toBe(BLKIF_RSP_ERROR);
      expect(beside.probe.failed).toMatch(variant === 'bogus-rsp-prod' ? /backend is broken: response-producer/ : /unknown request id 12345/);
    }
    for (const r of [alone, beside]) expect(r.job.stats()).toMatchObject({ ops: 1200, errors: 0, verifyErrors: 0, finished: true });
    expect(beside.job.latency.quantile(0.99)).toBeLessThanOrEqual(ISOLATION_P99_FACTOR * alone.job.latency.quantile(0.99));
    beside.lab.checker.expectClean();
  });
});
