// T17: an HVM guest pokes every emulated device register (IDE command, control and bus-master
// ports, AHCI's ABAR, the 16550 UART), and addresses no device decodes, with random sizes
// (including the 3 and 8 an ioreq can carry) and values. Every access traps to dom0's device
// model as an ioreq and is answered: the device model never throws, the attacker's own disk
// is the only one it can reach, and the PV victim beside it sees no difference.
import { describe, expect, it } from 'vitest';
import { HostileLog, registerStorm } from '../../guests/hostile/index';
import { InvariantChecker } from '../../lab/check/invariants';
import { buildWorld } from '../../lab/run/world';
import { scenarioFrom } from '../helpers/world';
import { ISOLATION_P99_FACTOR, MS } from './harness';

const ACCESSES = 2000;
/** The pokers' DMA populates much of their memory: walk the tables less often. */
const CHECK_EVERY = 64;

function world(pokers: ('ide' | 'ahci')[]) {
  const hvm = pokers.map((hd, i) => `
  - {name: poker-${hd}, type: hvm, hdtype: ${hd}, memory: 64, disk: ['format=raw, vdev=hda, access=rw, target=/dev/vg1/p${i}'], workload: {kind: idle}}`);
  const w = buildWorld(scenarioFrom(`
name: t17
seed: 17
duration: 1s
host: {pcpus: 2, memory: 2048, disks: [{name: sda, kind: ssd, size: 2GiB}, {name: sdb, kind: ssd, size: 2GiB}]}
dom0:
  volumes: [{name: /dev/vg0/victim, disk: sda, size: 256MiB}, {name: /dev/vg1/p0, disk: sdb, size: 64MiB}, {name: /dev/vg1/p1, disk: sdb, size: 64MiB}]
domains:
  - {name: victim, memory: 128, disk: ['format=raw, vdev=xvda, access=rw, target=/dev/vg0/victim'], workload: {kind: fio, rw: randwrite, bs: 4k, iodepth: 8, size: 32MiB, verify: true, ops: 600}}${hvm.join('')}
`));
  const logs = pokers.map((hd) => {
    const d = w.hv.domainByName(`poker-${hd}`)!;
    const log = new HostileLog();
    d.vcpus[0]!.program = registerStorm(w.streams.stream(`poker/${hd}`), log, ACCESSES);
    return log;
  });
  const victim = w.guests.find((g) => g.domain.name === 'victim')!.fio!;
  const suspects = pokers.map((hd) => w.hv.domainByName(`poker-${hd}`)!.id);
  const checker = new InvariantChecker({ engine: w.engine, hv: w.hv, xsd: w.dom0.xs.xsd }, { every: CHECK_EVERY, writes: { suspects } });
  expect(() => checker.runUntil(() => victim.done && logs.every((l) => l.done), 400 * MS)).not.toThrow();
  checker.check();
  return { w, logs, victim };
}

describe('T17: random accesses to every emulated device register', () => {
  const alone = world([]);
  it.each(['ide', 'ahci'] as const)('(%s) are all answered by the device model, which never throws, and the victim does not notice', (hd) => {
    const beside = world([hd]);
    expect(beside.logs[0]!.outcomes['accesses']).toBe(ACCESSES);
    const d = beside.w.hv.domainByName(`poker-${hd}`)!;
    expect(d.shutdownReason).toBe('poweroff'); // pokes are legal instructions: nobody crashed it
    expect(d.hvm!.counters.ioreqs).toBeGreaterThan(ACCESSES / 2); // most went to dom0's device model
    for (const r of [alone, beside]) expect(r.victim.stats()).toMatchObject({ ops: 1200, errors: 0, verifyErrors: 0, finished: true });
    expect(beside.victim.latency.quantile(0.99)).toBeLessThanOrEqual(ISOLATION_P99_FACTOR * alone.victim.latency.quantile(0.99));
  });
});
