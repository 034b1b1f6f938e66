// A bad scenario file gets exactly one clear message: file:line:column: key path: problem.
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../../lab/scenario';

/** The one error message a scenario text produces, as if it came from credit.yaml. */
function problem(text: string): string {
  const r = parseScenario(text, 'credit.yaml');
  if (r.ok) throw new Error('expected the scenario to be rejected');
  expect(r.error).toBeInstanceOf(ScenarioError);
  expect(r.error.message).not.toContain('\n');
  return r.error.message;
}

describe('the error for a bad scenario file', () => {
  it('carries file, line, column, key path and problem separately', () => {
    const r = parseScenario('name: t\nseed: -1\n', 'dir/t.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ file: 'dir/t.yaml', line: 2, column: 7, keyPath: 'seed', problem: 'must be at least 0 (got -1)' });
    expect(r.error.message).toBe('dir/t.yaml:2:7: seed: must be at least 0 (got -1)');
  });

  it('names an unknown key and suggests the key that was probably meant', () => {
    expect(problem(`name: credit
domains:
  - name: web
    memory: 512
    cpu_wieght: 512
`)).toBe("credit.yaml:5:5: domains[0].cpu_wieght: unknown key; did you mean 'cpu_weight'?");
  });

  it('lists the accepted keys when an unknown key is not close to any', () => {
    expect(problem('name: credit\nbogus: 1\n')).toBe(
      'credit.yaml:2:1: bogus: unknown key; expected one of: name, seed, duration, platform, host, scheduler, dom0, domains, events');
  });

  it('rejects negative memory', () => {
    expect(problem('name: credit\ndomains:\n  - name: web\n    memory: -512\n'))
      .toBe('credit.yaml:4:13: domains[0].memory: memory cannot be negative (got -512)');
  });

  it('rejects a domain with zero vCPUs', () => {
    expect(problem(`name: credit
domains:
  - name: web
    memory: 512
  - name: db
    memory: 512
    vcpus: 0
`)).toBe('credit.yaml:7:12: domains[1].vcpus: must be at least 1 (got 0)');
  });

  it('rejects a duration without a unit', () => {
    expect(problem('name: credit\nduration: 10\n'))
      .toBe('credit.yaml:2:11: duration: a duration needs a unit (got 10); write e.g. 10ms or 10s');
  });

  it('reports a YAML syntax error at the line the parser gives', () => {
    expect(problem('name: credit\nhost:\n  pcpus: 1\n memory: 2\n'))
      .toBe('credit.yaml:4:1: YAML syntax error: All mapping items must start at the same column');
    expect(problem('name: credit\nname: other\n')).toBe('credit.yaml:2:1: YAML syntax error: Map keys must be unique');
    expect(problem('name: a\n---\nname: b\n'))
      .toBe('credit.yaml:2:1: YAML syntax error: a scenario file holds one YAML document, but a second one starts here');
  });

  it('rejects duplicate domain names at the second one', () => {
    expect(problem('name: credit\ndomains:\n  - {name: web, memory: 64}\n  - {name: web, memory: 64}\n'))
      .toBe("credit.yaml:4:12: domains[1].name: duplicate domain name 'web' (domains[0] has it already)");
  });

  it('rejects a cap above 100 per pCPU of the host', () => {
    expect(problem('name: credit\nhost: {pcpus: 2}\ndomains:\n  - {name: web, memory: 64, cap: 300}\n'))
      .toBe('credit.yaml:4:34: domains[0].cap: must be at most 200 (100 per pCPU, and the host has 2) (got 300)');
  });

  it('rejects cpus naming a pCPU the host does not have', () => {
    expect(problem('name: credit\nhost: {pcpus: 4}\ndomains:\n  - {name: web, memory: 64, cpus: "0-3,7"}\n'))
      .toBe('credit.yaml:4:35: domains[0].cpus: pCPU 7 does not exist: the host has 4 pCPUs (0-3)');
  });

  it('names the domain whose memory overflows the host', () => {
    expect(problem(`name: credit
host: {memory: 2GiB}
dom0: {memory: 1024}
domains:
  - {name: a, memory: 512}
  - {name: b, memory: 768}
  - {name: c, memory: 768}
`)).toBe("credit.yaml:6:23: domains[1].memory: b needs 768MiB, but only 512MiB of the host's 2048MiB are left after dom0 and the domains before it");
  });

  it('rejects a dom0 bigger than the host', () => {
    expect(problem('name: credit\nhost: {memory: 1GiB}\ndom0: {memory: 2048}\n'))
      .toBe("credit.yaml:3:16: dom0.memory: dom0's 2048MiB do not fit in the host's 1024MiB (host.memory)");
  });

  it('rejects a ratelimit that is not below the tslice', () => {
    expect(problem('name: credit\nscheduler:\n  tslice: 10ms\n  ratelimit: 10ms\n'))
      .toBe('credit.yaml:4:14: scheduler.ratelimit: must be shorter than the tslice (10ms), or 0 to turn rate limiting off (got 10ms)');
  });

  it('names the bad disk spec and says what is wrong with it', () => {
    expect(problem(`name: credit
domains:
  - name: web
    memory: 64
    disk: ['format=raw, access=rw, target=/dev/vg0/web']
`)).toBe('credit.yaml:5:12: domains[0].disk[0]: vdev is missing: every disk needs a guest device name (e.g. vdev=xvda)');
  });

  it('rejects a volume that does not fit on its disk', () => {
    expect(problem(`name: credit
host:
  disks: [{name: sda, kind: ssd, size: 10GiB}]
dom0:
  volumes:
    - {name: /dev/vg0/big, disk: sda, size: 12GiB}
`)).toBe('credit.yaml:6:45: dom0.volumes[0].size: 12GiB is larger than disk sda (10GiB)');
    expect(problem(`name: credit
host:
  disks: [{name: sda, kind: ssd, size: 10GiB}]
dom0:
  volumes:
    - {name: /dev/vg0/a, disk: sda, size: 8GiB}
    - {name: /dev/vg0/b, disk: sda, size: 4GiB}
`)).toBe('credit.yaml:7:43: dom0.volumes[1].size: 4GiB does not fit on disk sda (10GiB): the volumes before it already use 8GiB');
  });

  it('rejects a volume on a disk the host does not have', () => {
    expect(problem('name: credit\ndom0:\n  volumes:\n    - {name: /dev/vg0/a, disk: sdb, size: 8GiB}\n'))
      .toBe("credit.yaml:4:32: dom0.volumes[0].disk: no host disk named 'sdb' (host disks: sda)");
  });

  it('rejects a disk target naming a volume that does not exist', () => {
    expect(problem(`name: credit
dom0:
  volumes: [{name: /dev/vg0/web, disk: sda, size: 8GiB}]
domains:
  - name: web
    memory: 64
    disk: ['vdev=xvda, target=/dev/vg0/db']
`)).toBe('credit.yaml:7:12: domains[0].disk[0]: target /dev/vg0/db is neither a dom0 volume nor a host disk (known: /dev/sda, /dev/vg0/web)');
  });

  it('reports the first problem in document order, not in schema order', () => {
    expect(problem(`domains:
  - name: web
    memory: 0
    vcpus: 0
    cpu_wieght: 1
seed: -1
name: credit
`)).toBe('credit.yaml:3:13: domains[0].memory: must be at least 16MiB (got 0)');
  });

  it('places a missing required key at the mapping that lacks it', () => {
    expect(problem('seed: 3\n')).toBe('credit.yaml:1:1: name: is required');
    expect(problem('name: t\ndomains:\n  - name: web\n    vcpus: 2\n')).toBe('credit.yaml:3:5: domains[0].memory: is required');
  });

  it('rejects a file that is empty or not a mapping', () => {
    expect(problem('')).toBe('credit.yaml:1:1: a scenario must be a mapping of keys such as name: and domains: (got nothing)');
    expect(problem('- a\n- b\n')).toBe('credit.yaml:1:1: a scenario must be a mapping of keys such as name: and domains: (got a list)');
  });
});

describe('the rules between keys', () => {
  it('reject an unknown workload kind with a suggestion', () => {
    expect(problem('name: x\ndomains:\n  - {name: a, memory: 64, workload: {kind: cpu-brun}}\n')).toBe(
      'credit.yaml:3:44: domains[0].workload.kind: unknown kind "cpu-brun" (expected one of cpu-burn, idle, cpu-periodic, fio, evtchn-demo, lmbench, forkwait, specint, kernel-build, dbench, oltp, web, hostile, ttcp, netperf-rr, udp-flood); did you mean \'cpu-burn\'?');
  });

  it('suggest the workload option that was probably meant', () => {
    expect(problem("name: x\ndomains: [{name: a, memory: 64, disk: ['/a,raw,xvda'], workload: {kind: fio, rw: read, depth: 4}}]\n"))
      .toBe("credit.yaml:2:88: domains[0].workload.depth: unknown key; did you mean 'iodepth'?");
  });

  it('reject a periodic burst longer than its period', () => {
    expect(problem('name: x\ndomains:\n  - {name: a, memory: 64, workload: {kind: cpu-periodic, burst: 20ms, period: 10ms}}\n'))
      .toBe('credit.yaml:3:65: domains[0].workload.burst: must not be longer than the period (10ms) (got 20ms)');
  });

  it('reject fio on a domain without disks, on a missing vdev, or writing a read-only disk', () => {
    expect(problem('name: x\ndomains:\n  - {name: a, memory: 64, workload: {kind: fio, rw: read}}\n'))
      .toBe('credit.yaml:3:37: domains[0].workload: fio needs a disk, but this domain has none (add one under disk:)');
    expect(problem("name: x\ndomains:\n  - {name: a, memory: 64, disk: ['/x.img,raw,xvda'], workload: {kind: fio, rw: read, vdev: xvdb}}\n"))
      .toMatch(/domains\[0\]\.workload\.vdev: this domain has no disk xvdb \(its disks: xvda\)$/);
    expect(problem("name: x\ndomains:\n  - {name: a, memory: 64, disk: ['/x.img,raw,xvda,ro'], workload: {kind: fio, rw: write}}\n"))
      .toMatch(/domains\[0\]\.workload\.rw: the job writes \(rw: write\), but xvda is read-only$/);
  });

  it('reject a fio region larger than the volume behind the disk', () => {
    expect(problem(`name: x
dom0: {volumes: [{name: /dev/vg0/a, disk: sda, size: 16MiB}]}
domains:
  - {name: a, memory: 64, disk: ['vdev=xvda, target=/dev/vg0/a'], workload: {kind: fio, rw: read}}
`)).toMatch(/workload\.size: 64MiB is larger than xvda \(volume \/dev\/vg0\/a, 16MiB\)$/);
  });

  it('reject a target one domain writes and another also attaches', () => {
    expect(problem(`name: x
domains:
  - {name: a, memory: 64, disk: ['/srv/x.img,raw,xvda']}
  - {name: b, memory: 64, disk: ['/srv/x.img,raw,xvda,ro']}
`)).toBe('credit.yaml:4:34: domains[1].disk[0]: target /srv/x.img is already attached to a (domains[0].disk[0]); a disk one domain writes cannot be shared');
  });

  it('reject maxvcpus below vcpus and maxmem below memory', () => {
    expect(problem('name: x\ndomains: [{name: a, memory: 64, vcpus: 2, maxvcpus: 1}]\n')).toMatch(/maxvcpus: must be at least vcpus \(2\) \(got 1\)$/);
    expect(problem('name: x\ndomains: [{name: a, memory: 64, maxmem: 32}]\n')).toMatch(/maxmem: must be at least memory \(64MiB\) \(got 32MiB\)$/);
  });

  it('reject hardware keys on domain types that lack that hardware', () => {
    expect(problem('name: x\ndomains:\n  - {name: a, memory: 64, hdtype: ide}\n'))
      .toBe('credit.yaml:3:35: domains[0].hdtype: applies only to hvm and native domains (this one is pv)');
    expect(problem("name: x\ndomains: [{name: a, memory: 64, vif: ['model=e1000']}]\n"))
      .toMatch(/domains\[0\]\.vif\[0\]: model= and type= apply only to hvm domains \(this one is pv\)$/);
  });

  it('reject hardware assists the platform does not have', () => {
    expect(problem('name: x\nplatform: core2-2006\ndomains:\n  - {name: a, type: hvm, memory: 64, hap: 1}\n'))
      .toBe('credit.yaml:4:43: domains[0].hap: the core2-2006 platform has no EPT/NPT (use hap: 0, shadow paging)');
    // accel: vtx without VT-x is not an error: the run falls back to TCG and says so (test/hvm).
    expect(parseScenario('name: x\nplatform: xeon-2003\ndomains: [{name: a, type: hvm, memory: 64, accel: vtx}]\n', 'credit.yaml').ok).toBe(true);
    expect(problem('name: x\nplatform: xeon-2003\ndomains: [{name: a, type: pvh, memory: 64}]\n'))
      .toMatch(/domains\[0\]\.type: pvh needs VT-x/);
  });

  it('reject the name Domain-0 for a guest and misspelt choices', () => {
    expect(problem('name: x\ndomains: [{name: Domain-0, memory: 64}]\n')).toMatch(/domains\[0\]\.name: Domain-0 is the name of dom0/);
    expect(problem('name: x\nplatform: moden\n'))
      .toBe('credit.yaml:2:11: platform: must be one of modern, core2-2006, xeon-2003 (got "moden"); did you mean \'modern\'?');
  });
});
