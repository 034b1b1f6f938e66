// Fuzzing the toolstack (issue 9's bad input, and the lifecycle under it): random sequences of
// xl and virsh commands — the verbs pvlab knows with arguments good and bad, in any order —
// against a running Xen host with PV guests doing disk I/O, an HVM guest and a CPU hog, with
// simulated time passing between commands. Destroying a guest with requests in flight,
// detaching its disk, pausing it during a handshake, pinning it to no pCPU: each command
// either acts or answers an error. Property: no command throws, and after every command and
// every stretch of time the invariant checker (grant and event-channel tables, frame
// ownership, a clock that only moves forward) finds nothing.
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { InvariantChecker } from '../../lab/check/invariants';
import { hostConnection } from '../../lab/libvirt/connect';
import { virsh } from '../../lab/libvirt/virsh';
import { buildWorld } from '../../lab/run/world';
import { xl } from '../../lab/run/xl';
import { scenarioFrom } from '../helpers/world';
import { guestXml } from '../libvirt/helpers';
import { FUZZ_SEED, FUZZ_TIMEOUT_MS, fuzzRuns, report } from './fuzz-config';

const HOST = `
name: toolstack-fuzz
duration: 10s
host: {pcpus: 2, memory: 2048}
dom0:
  memory: 1024
  volumes:
    - {name: /dev/vg0/web, disk: sda, size: 256MiB}
    - {name: /dev/vg0/db, disk: sda, size: 256MiB}
    - {name: /dev/vg0/spare, disk: sda, size: 256MiB}
    - {name: /dev/vg0/win, disk: sda, size: 256MiB}
domains:
  - name: web
    memory: 256
    disk: ['format=raw, vdev=xvda, access=rw, target=/dev/vg0/web']
    workload: {kind: fio, rw: rw, bs: 4k, iodepth: 8}
  - name: db
    memory: 256
    vcpus: 2
    disk: ['format=raw, vdev=xvda, access=rw, target=/dev/vg0/db']
    workload: {kind: fio, rw: randwrite, bs: 8k, iodepth: 2, verify: true}
  - name: win
    type: hvm
    memory: 256
    disk: ['format=raw, vdev=hda, access=rw, target=/dev/vg0/win']
    workload: {kind: fio, rw: randread, bs: 4k, iodepth: 1}
  - name: hog
    memory: 128
    workload: {kind: cpu-burn}
`;

/** Mostly the guests there are (so that commands act), sometimes ids, dom0 and nonsense. */
const names = fc.oneof(
  { arbitrary: fc.constantFrom('web', 'db', 'win', 'hog', 'batch'), weight: 4 },
  { arbitrary: fc.constantFrom('Domain-0', '0', '1', '2', '3', '4', '5', '99', '-1', 'nosuch', ''), weight: 1 },
);
const num = fc.constantFrom('0', '1', '2', '3', '7', '64', '65535', '65536', '-1', '1.5', 'x', '', 'all');
const cpus = fc.constantFrom('0', '1', '0-1', '1,0', '2', '0-63', 'all', '-1', '1-0', 'x', '');
const vdev = fc.constantFrom('xvdb', 'xvda', 'xvdc', 'hda', 'sda', 'nosuch', '');
const target = fc.constantFrom('/dev/vg0/spare', '/dev/vg0/web', '/dev/vg0/nosuch', 'phy:/dev/vg0/spare', '');
const junk = fc.string({ maxLength: 8 });

const xlCommand = fc.oneof(
  fc.tuple(fc.constantFrom('destroy', 'shutdown', 'pause', 'unpause'), names).map(([v, d]) => `${v} ${d}`),
  fc.tuple(names, num, num).map(([d, w, c]) => `sched-credit -d ${d} -w ${w} -c ${c}`),
  fc.tuple(names, fc.constantFrom('0', '1', 'all', '5', 'x'), cpus).map(([d, v, c]) => `vcpu-pin ${d} ${v} ${c}`),
  fc.tuple(names, num).map(([d, n]) => `vcpu-set ${d} ${n}`),
  fc.tuple(names, target, vdev, fc.constantFrom('w', 'r', 'x')).map(([d, t, v, m]) => `block-attach ${d} 'format=raw, vdev=${v}, access=${m}, target=${t}'`),
  fc.tuple(names, vdev).map(([d, v]) => `block-detach ${d} ${v}`),
  fc.constantFrom('list', 'vcpu-list', 'list -l', 'create', 'frobnicate'),
  junk,
);

const virshCommand = fc.oneof(
  fc.tuple(fc.constantFrom('start', 'shutdown', 'reboot', 'destroy', 'suspend', 'resume', 'undefine', 'dominfo', 'domstate --reason', 'vcpuinfo', 'dumpxml'), names).map(([v, d]) => `${v} ${d}`),
  fc.tuple(names, fc.constantFrom('0', '1', '9', 'x'), cpus).map(([d, v, c]) => `vcpupin ${d} ${v} ${c}`),
  fc.tuple(names, num).map(([d, n]) => `setvcpus ${d} ${n}`),
  fc.tuple(names, num, num).map(([d, w, c]) => `schedinfo ${d} --weight ${w} --cap ${c}`),
  fc.constantFrom('define batch.xml', 'create batch.xml', 'define broken.xml', 'list --all', 'list --inactive --name', 'nosuch'),
  junk,
);

type Step = { xl: string } | { virsh: string } | { ns: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: xlCommand.map((c) => ({ xl: c })), weight: 3 },
  { arbitrary: virshCommand.map((c) => ({ virsh: c })), weight: 3 },
  { arbitrary: fc.integer({ min: 1, max: 40_000_000 }).map((ns) => ({ ns })), weight: 4 },
);

const FILES: Record<string, string> = {
  'batch.xml': guestXml({ name: 'batch', disk: "<disk type='block' device='disk'><source dev='/dev/vg0/spare'/><target dev='xvda' bus='xen'/></disk>" }),
  'broken.xml': '<domain type="xen"><name>x</name>',
};

describe('xl and virsh commands in any order', () => {
  const stats = { sequences: 0, ops: 0 };
  const acted = { xl: 0, xlRefused: 0, virsh: 0, virshRefused: 0 };
  afterAll(() => {
    report('toolstack', stats);
    console.log(`toolstack: xl ${acted.xl} acted, ${acted.xlRefused} refused; virsh ${acted.virsh} acted, ${acted.virshRefused} refused`);
  });

  it('act or answer an error; the tables stay consistent after each', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 24 }), (steps) => {
        stats.sequences++;
        const w = buildWorld(scenarioFrom(HOST));
        const checker = new InvariantChecker({ engine: w.engine, hv: w.hv, xsd: w.dom0.xs.xsd }, { every: 1_000_000, writes: false });
        const session = { connect: (uri?: string) => hostConnection(w, uri ?? 'xen:///system'), readFile: (p: string) => { const t = FILES[p]; if (t === undefined) throw new Error('ENOENT'); return t; } };
        checker.run(50_000_000); // boot: guests connect their disks
        for (const s of steps) {
          stats.ops++;
          if ('ns' in s) checker.run(w.engine.now + s.ns);
          else if ('xl' in s) acted[xl(w, s.xl).ok ? 'xl' : 'xlRefused']++;
          else acted[virsh(session, s.virsh).ok ? 'virsh' : 'virshRefused']++;
          checker.check();
        }
        checker.run(w.engine.now + 20_000_000);
        checker.check();
        checker.expectClean();
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(40) },
    );
  }, FUZZ_TIMEOUT_MS);
});
