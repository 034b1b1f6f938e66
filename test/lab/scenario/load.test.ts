// Loading a valid scenario: defaults, units and resolved values.
import { describe, expect, it } from 'vitest';
import { parseScenario, type Scenario } from '../../../lab/scenario';

function load(text: string): Scenario {
  const r = parseScenario(text, 'test.yaml');
  if (!r.ok) throw r.error;
  return r.scenario;
}

describe('a scenario file', () => {
  it('needs only a name; everything else has a default', () => {
    expect(load('name: minimal\n')).toEqual({
      file: 'test.yaml',
      name: 'minimal',
      seed: 1,
      duration: 1_000_000_000,
      platform: 'modern',
      host: { pcpus: 4, memory: 16384, disks: [{ name: 'sda', kind: 'ssd', size: 256 * 2 ** 30 }] },
      scheduler: { name: 'credit', tslice: 30_000_000, ratelimit: 1_000_000 },
      dom0: { vcpus: 1, memory: 1024, cpu_weight: 256, cap: 0, cpus: undefined, volumes: [] },
      domains: [],
    });
  });

  it('gives a domain xl defaults: pv, one vCPU, weight 256, uncapped, idle', () => {
    const [web] = load('name: t\ndomains:\n  - {name: web, memory: 512}\n').domains;
    expect(web).toEqual({
      name: 'web', type: 'pv', vcpus: 1, maxvcpus: 1, memory: 512, maxmem: 512, cpus: undefined,
      cpu_weight: 256, cap: 0, disk: [], vif: [], workload: { kind: 'idle' },
    });
  });

  it('converts units: durations to ns, sizes to bytes, memory to MiB', () => {
    const s = load(`name: t
duration: 2.5s
host: {memory: 8GiB, disks: [{name: nvme0n1, kind: ssd, size: 64GiB, image: ./disk.img}]}
dom0: {memory: 2GiB, volumes: [{name: /dev/vg0/web, disk: nvme0n1, size: 8GiB}]}
scheduler: {tslice: 10ms, ratelimit: 500us}
`);
    expect(s.duration).toBe(2_500_000_000);
    expect(s.host.memory).toBe(8192);
    expect(s.host.disks).toEqual([{ name: 'nvme0n1', kind: 'ssd', size: 64 * 2 ** 30, image: './disk.img' }]);
    expect(s.dom0.memory).toBe(2048);
    expect(s.dom0.volumes).toEqual([{ name: '/dev/vg0/web', disk: 'nvme0n1', size: 8 * 2 ** 30 }]);
    expect(s.scheduler).toEqual({ name: 'credit', tslice: 10_000_000, ratelimit: 500_000 });
  });

  it('resolves cpus into sorted pCPU numbers, "all" included', () => {
    const s = load(`name: t
host: {pcpus: 8}
dom0: {cpus: "0"}
domains:
  - {name: a, memory: 64, cpus: "0-3,5,^1"}
  - {name: b, memory: 64, cpus: all}
`);
    expect(s.dom0.cpus).toEqual([0]);
    expect(s.domains.map((d) => d.cpus)).toEqual([[0, 2, 3, 5], [0, 1, 2, 3, 4, 5, 6, 7]]);
  });

  it('parses disk and vif specs and keeps hvm keys, with 0/1 flags as booleans', () => {
    const s = load(`name: t
dom0: {volumes: [{name: /dev/vg0/win, disk: sda, size: 16GiB}]}
domains:
  - name: win
    type: hvm
    memory: 1024
    maxmem: 2048
    vcpus: 2
    maxvcpus: 4
    disk: ['format=raw, vdev=hda, access=rw, target=/dev/vg0/win', '/iso/install.iso,,hdc,cdrom']
    vif: ['model=e1000, type=ioemu']
    hdtype: ahci
    accel: vtx
    hap: 1
    xen_platform_pci: 0
`);
    const win = s.domains[0]!;
    expect(win.disk).toEqual([
      { vdev: 'hda', target: '/dev/vg0/win', access: 'rw', format: 'raw' },
      { vdev: 'hdc', target: '/iso/install.iso', access: 'ro', format: 'raw', devtype: 'cdrom' },
    ]);
    expect(win.vif).toEqual([{ bridge: 'xenbr0', model: 'e1000', type: 'ioemu' }]);
    expect(win).toMatchObject({ maxmem: 2048, maxvcpus: 4, hdtype: 'ahci', accel: 'vtx', hap: true, xen_platform_pci: false });
  });

  it('gives fio its defaults and the domain\'s first disk', () => {
    const s = load(`name: t
dom0: {volumes: [{name: /dev/vg0/db, disk: sda, size: 1GiB}]}
domains:
  - name: db
    memory: 256
    disk: ['vdev=xvda, target=/dev/vg0/db', '/srv/scratch.img,raw,xvdb']
    workload: {kind: fio, rw: randread}
`);
    expect(s.domains[0]!.workload).toEqual({
      kind: 'fio', rw: 'randread', bs: 4096, iodepth: 1, size: 64 * 2 ** 20, verify: false, ops: undefined, vdev: 'xvda',
    });
  });

  it('reads every workload kind', () => {
    const s = load(`name: t
domains:
  - {name: a, memory: 64, workload: {kind: cpu-burn}}
  - {name: b, memory: 64, workload: {kind: idle}}
  - {name: c, memory: 64, workload: {kind: cpu-periodic, burst: 1.5ms, period: 10ms}}
  - name: d
    memory: 64
    disk: ['/srv/d.img,raw,xvda']
    workload: {kind: fio, rw: write, bs: 64k, iodepth: 32, size: 1GiB, verify: true, ops: 1000, vdev: xvda}
`);
    expect(s.domains.map((d) => d.workload)).toEqual([
      { kind: 'cpu-burn' },
      { kind: 'idle' },
      { kind: 'cpu-periodic', burst: 1_500_000, period: 10_000_000, jitter: 0 },
      { kind: 'fio', rw: 'write', bs: 65536, iodepth: 32, size: 2 ** 30, verify: true, ops: 1000, vdev: 'xvda' },
    ]);
  });

  it('lets a guest use a whole host disk by its /dev name', () => {
    const s = load("name: t\ndomains:\n  - {name: a, memory: 64, disk: ['vdev=xvda, target=/dev/sda']}\n");
    expect(s.domains[0]!.disk[0]!.target).toBe('/dev/sda');
  });

  it('halves the default ratelimit when the tslice is only 1ms, and accepts 0 as "off"', () => {
    expect(load('name: t\nscheduler: {tslice: 1ms}\n').scheduler.ratelimit).toBe(500_000);
    expect(load('name: t\nscheduler: {ratelimit: 0us}\n').scheduler.ratelimit).toBe(0);
  });

  it('accepts the rr scheduler with its slice', () => {
    expect(load('name: t\nscheduler: {name: rr, tslice: 5ms}\n').scheduler).toEqual({ name: 'rr', tslice: 5_000_000, ratelimit: 1_000_000 });
  });
});
