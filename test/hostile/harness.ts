// Worlds for the hostile-guest tests, and the isolation oracle of issue 9.
//
// A world holds dom0, a well-behaved PV victim doing `fio` with verify on its own volume, and
// (or not) a hostile PV domain built like `xl create` builds one (store ring, disks, a bare
// kernel) running one attack. The hostile domain's volumes sit on a second host disk, so the
// comparison measures what the hypervisor and dom0 do, not two guests sharing one disk's
// bandwidth. Every run goes through the invariant checker: the grant, event-channel and frame
// invariants after every engine event, and writes attributed to the hostile domain's code.
//
// The oracle runs the same seed twice, alone and beside the attacker, and compares the
// victim's outcome: every request completed, no I/O or verify error, and p99 latency within
// ISOLATION_P99_FACTOR of the lone run. The factor: the attacker runs on its own vCPU and
// legitimately takes CPU; a 2-pCPU host shared by dom0, the victim and one more busy vCPU
// can roughly double a tail latency through scheduling alone, so 3x leaves room for that and
// still catches a victim stuck behind an attacker's work.
import { expect } from 'vitest';
import type { Domain } from '../../hypervisor/domain';
import type { GuestKernel, GuestProgram } from '../../hypervisor/public/guest';
import { buildWorld, type GuestEntry, type World } from '../../lab/run/world';
import { addDisk, destroyGuest, introduce } from '../../lab/run/toolstack';
import type { Blkback } from '../../dom0/blkback';
import { PvKernel } from '../../guests/kernel/pv';
import { hostileWorkload, type AttackName, type AttackOptions, type HostileLog } from '../../guests/hostile/index';
import { InvariantChecker, census, compareCensus, leftovers, type Census, type CheckOptions } from '../../lab/check/invariants';
import { scenarioFrom } from '../helpers/world';

export const MS = 1_000_000;
export const ISOLATION_P99_FACTOR = 3;
/** How long a run may take at most (simulated), and the victim's job. */
export const RUN_LIMIT_NS = 400 * MS;
export const VICTIM_OPS = 600;
/** Table walks every 8 events (time and write attribution: every event); a final walk at the end. */
export const CHECK_EVERY = 8;

export interface Hostile {
  domain: Domain;
  kernel: PvKernel;
  log: HostileLog;
  backends: Blkback[];
}

export interface Lab {
  w: World;
  checker: InvariantChecker;
  victim: GuestEntry | undefined;
  hostile: Hostile | undefined;
}

export interface LabOptions {
  attack?: AttackName;
  attackOpts?: AttackOptions;
  /** Disks the hostile domain gets (xvda, xvdb, ...), each its own 64 MiB volume. */
  hostileDisks?: number;
  victim?: boolean;
  victimOps?: number;
  seed?: number;
  checker?: CheckOptions;
}

const VDEVS = ['xvda', 'xvdb', 'xvdc', 'xvdd', 'xvde', 'xvdf', 'xvdg', 'xvdh', 'xvdi'];

function scenarioYaml(o: LabOptions): string {
  const hv = Array.from({ length: o.hostileDisks ?? 1 }, (_, i) => `{name: /dev/vg1/h${i}, disk: sdb, size: 64MiB}`);
  const victim = o.victim === false ? '' : `
  - name: victim
    memory: 128
    disk: ['format=raw, vdev=xvda, access=rw, target=/dev/vg0/victim']
    workload: {kind: fio, rw: randwrite, bs: 4k, iodepth: 8, size: 32MiB, verify: true, ops: ${o.victimOps ?? VICTIM_OPS}}`;
  return `
name: hostile
seed: ${o.seed ?? 9}
duration: 1s
host: {pcpus: 2, memory: 2048, disks: [{name: sda, kind: ssd, size: 2GiB}, {name: sdb, kind: ssd, size: 2GiB}]}
dom0:
  volumes: [${['{name: /dev/vg0/victim, disk: sda, size: 256MiB}', ...hv].join(', ')}]
domains:${victim || ' []'}
`;
}

/** Builds the world; the hostile domain (if `attack`) is created after the victim. */
export function hostileLab(o: LabOptions = {}): Lab {
  const w = buildWorld(scenarioFrom(scenarioYaml(o)));
  const victim = w.guests.find((g) => g.domain.name === 'victim');
  const hostile = o.attack ? addHostile(w, o.attack, o.attackOpts ?? {}, o.hostileDisks ?? 1) : undefined;
  const opts: CheckOptions = { every: CHECK_EVERY, writes: { suspects: hostile ? [hostile.domain.id] : [] }, ...o.checker };
  const checker = new InvariantChecker({ engine: w.engine, hv: w.hv, xsd: w.dom0.xs.xsd }, opts);
  return { w, checker, victim, hostile };
}

/** `xl create` of a hostile PV domain with `disks` disks, running `attack`. */
export function addHostile(w: World, attack: AttackName, opts: AttackOptions, disks: number, name = 'mallory'): Hostile {
  let kernelOf: GuestKernel | undefined;
  const d = w.hv.createDomain({ name, type: 'pv', vcpus: 1, memoryMiB: 64, weight: 256, cap: 0 }, (env) => (function* (): GuestProgram { yield* kernelOf!(env); })());
  if (typeof d === 'string') throw new Error(d);
  const start = introduce(w.hv, w.dom0, d);
  const backends: Blkback[] = [];
  for (let i = 0; i < disks; i++) {
    const bb = addDisk(w.hv, w.dom0, w.storage, d, { vdev: VDEVS[i]!, target: `/dev/vg1/h${i}`, access: 'rw', format: 'raw' });
    if (typeof bb === 'string') throw new Error(bb);
    backends.push(bb);
  }
  const kernel = new PvKernel(w.profile.kernel, start);
  const wl = hostileWorkload(attack, kernel, opts);
  kernelOf = wl.kernel;
  w.hv.unpause(d.id);
  return { domain: d, kernel, log: wl.log, backends };
}

/** Destroys the hostile domain the way `xl destroy` does. */
export function destroyHostile(lab: Lab): void {
  const h = lab.hostile!;
  expect(destroyGuest(lab.w.hv, lab.w.dom0, h.domain, h.backends)).toBe(0);
}

/** Runs `ns` more of simulated time under the checker (I/O in flight drains). */
export function settle(lab: Lab, ns = 20 * MS): void {
  lab.checker.run(lab.w.engine.now + ns);
}

export interface VictimOutcome {
  ops: number;
  errors: number;
  verifyErrors: number;
  finished: boolean;
  p50: number;
  p99: number;
}

export function victimOutcome(lab: Lab): VictimOutcome {
  const f = lab.victim!.fio!;
  return { ops: f.ops, errors: f.errors, verifyErrors: f.verifyErrors, finished: f.done, p50: f.latency.quantile(0.5), p99: f.latency.quantile(0.99) };
}

/** Runs until the victim's job and the attack are both done (or RUN_LIMIT_NS). */
export function runLab(lab: Lab, until = RUN_LIMIT_NS): void {
  const done = (): boolean => (lab.victim?.fio?.done ?? true) && (lab.hostile?.log.done ?? true);
  lab.checker.runUntil(done, until);
  lab.checker.check();
}

export interface Isolation {
  alone: VictimOutcome;
  beside: VictimOutcome;
  lab: Lab;
  aloneCensus: Census;
}

/**
 * The oracle: the same seed alone and beside the attack. `drive` runs the hostile lab (by
 * default to the end of both jobs); a case that must act mid-run (destroy the attacker) drives
 * it itself and ends with runLab.
 */
export function isolation(o: LabOptions, drive: (lab: Lab) => void = runLab): Isolation {
  const aloneLab = hostileLab({ ...o, attack: undefined });
  runLab(aloneLab);
  const alone = victimOutcome(aloneLab);
  const lab = hostileLab(o);
  drive(lab);
  const beside = victimOutcome(lab);
  const ops = 2 * (o.victimOps ?? VICTIM_OPS);
  expect(alone).toMatchObject({ ops, errors: 0, verifyErrors: 0, finished: true });
  expect(beside, `the victim beside ${o.attack}`).toMatchObject({ ops, errors: 0, verifyErrors: 0, finished: true });
  expect(beside.p99, `p99 beside ${o.attack}: ${beside.p99} ns, alone ${alone.p99} ns`).toBeLessThanOrEqual(ISOLATION_P99_FACTOR * alone.p99);
  lab.checker.expectClean();
  console.log(`oracle ${o.attack}: victim p99 ${beside.p99} ns beside the attacker, ${alone.p99} ns alone (x${(beside.p99 / alone.p99).toFixed(2)}); ${lab.checker.steps} events checked`);
  return { alone, beside, lab, aloneCensus: census({ hv: aloneLab.w.hv, xsd: aloneLab.w.dom0.xs.xsd }) };
}

/** After a destroy: nothing of `gone` left, and the shared pools as in the lone run. */
export function expectCleanedUp(iso: Isolation, gone: number): void {
  const src = { hv: iso.lab.w.hv, xsd: iso.lab.w.dom0.xs.xsd };
  expect(leftovers(src, gone)).toEqual([]);
  expect(compareCensus(iso.aloneCensus, census(src))).toEqual([]);
}

export { census, compareCensus, leftovers };
