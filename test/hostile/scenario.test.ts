// A hostile guest is a workload like any other: `workload: {kind: hostile, attack: T3}` in a
// scenario runs the case on a PV domain, its outcomes land in the report beside the victim's.
import { describe, expect, it } from 'vitest';
import { BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR } from '../../hypervisor/public/io/blkif';
import { parseScenario } from '../../lab/scenario/index';
import { domainReport, run } from '../helpers/world';

const yaml = (attack: string) => `
name: hostile-in-a-scenario
seed: 3
duration: 50ms
host: {pcpus: 2}
dom0: {volumes: [{name: /dev/vg0/v, disk: sda, size: 64MiB}, {name: /dev/vg0/h, disk: sda, size: 64MiB}]}
domains:
  - {name: victim, memory: 128, disk: ['format=raw, vdev=xvda, access=rw, target=/dev/vg0/v'], workload: {kind: fio, rw: randwrite, bs: 4k, iodepth: 4, size: 8MiB, verify: true, ops: 200}}
  - {name: mallory, memory: 64, disk: ['format=raw, vdev=xvda, access=rw, target=/dev/vg0/h'], workload: {kind: hostile, attack: ${attack}}}
`;

describe('a hostile workload in a scenario', () => {
  it('runs its attack and reports what it was answered, and the victim completes', () => {
    const o = run(yaml('T3'));
    const m = domainReport(o, 'mallory').workload as { kind: string; attack: string; outcomes: Record<string, unknown> };
    expect(m.kind).toBe('hostile');
    expect(m.attack).toBe('T3');
    expect(m.outcomes['status.unknown-op']).toBe(BLKIF_RSP_ERROR);
    expect(m.outcomes['status.discard']).toBe(BLKIF_RSP_EOPNOTSUPP);
    expect(domainReport(o, 'victim').workload).toMatchObject({ ops: 400, errors: 0, verifyErrors: 0, finished: true });
  });

  it('refuses an attack that does not exist, naming the key', () => {
    const r = parseScenario(yaml('T99'), 'x.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/workload\.attack/);
  });
});
