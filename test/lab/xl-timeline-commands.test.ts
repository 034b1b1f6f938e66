import { describe, expect, it } from 'vitest';
import { xl } from '../../lab/run/xl';
import { buildWorld } from '../../lab/run/world';
import { scenarioFrom } from '../helpers/world';

const MS = 1_000_000;

function host() {
  return buildWorld(scenarioFrom(`
name: xl
duration: 5s
host: {pcpus: 2, memory: 4096}
dom0: {memory: 512, volumes: [{name: /dev/vg0/web, disk: sda, size: 1GiB}, {name: /dev/vg0/extra, disk: sda, size: 1GiB}]}
domains:
  - {name: web, vcpus: 2, memory: 256, disk: ['phy:/dev/vg0/web,xvda,w'], workload: {kind: cpu-burn}}
`));
}

describe('xl vcpu-pin, vcpu-set and vcpu-list', () => {
  it('pins every vCPU of a domain to one pCPU and lists the affinity', () => {
    const w = host();
    w.engine.run(100 * MS);
    expect(xl(w, 'vcpu-pin web all 1')).toEqual({ ok: true, output: '' });
    w.engine.run(101 * MS);
    const web = w.hv.domainByName('web')!;
    expect(web.vcpus.map((v) => [v.processor, v.affinity])).toEqual([[1, [1]], [1, [1]]]);
    const list = xl(w, 'vcpu-list web');
    expect(list.ok && list.output.split('\n')[0]).toMatch(/^Name\s+ID\s+VCPU\s+CPU\s+State\s+Time\(s\)\s+Affinity \(Hard \/ Soft\)$/);
    expect(list.ok && list.output.split('\n').slice(1).map((l) => l.split(/\s+/).slice(0, 4).join(' '))).toEqual(['web 1 0 1', 'web 1 1 1']);
    expect(list.ok && list.output).toMatch(/ 1 \/ all$/m);
  });

  it('vcpu-set takes vCPUs offline and lists them as --p', () => {
    const w = host();
    w.engine.run(100 * MS);
    expect(xl(w, 'vcpu-set web 1').ok).toBe(true);
    w.engine.run(101 * MS);
    const list = xl(w, 'vcpu-list web');
    expect(list.ok && list.output.split('\n')[2]).toMatch(/^web\s+1\s+1\s+-\s+--p\s/);
    expect(xl(w, 'vcpu-set web 3')).toEqual({ ok: false, error: 'libxl: error: Requested 3 VCPUs, however maxcpus is 2!' });
  });

  it('says so when a vCPU or a cpu list does not exist', () => {
    const w = host();
    expect(xl(w, 'vcpu-pin web 7 0')).toEqual({ ok: false, error: 'libxl: error: Requested vcpu 7 does not exist' });
    expect(xl(w, 'vcpu-pin web 0 5')).toEqual({ ok: false, error: 'Invalid cpu list: 5' });
    expect(xl(w, 'vcpu-pin nobody 0 0')).toEqual({ ok: false, error: 'nobody is an invalid domain identifier (rc=-6)' });
  });
});

describe('xl lifecycle commands', () => {
  it('skip their flags to find the domain (xl shutdown -w web), and will not destroy domain 0', () => {
    const w = host();
    expect(xl(w, 'shutdown -w web')).toEqual({ ok: true, output: 'Shutting down domain 1' });
    expect(xl(w, 'destroy 0')).toEqual({ ok: false, error: 'Not destroying domain 0; use -f to force.' });
  });
});

describe('xl block-attach and block-detach: the toolstack\'s half of hotplug', () => {
  it('block-attach writes both directories at state 1 and starts a backend, as xl create does', () => {
    const w = host();
    w.engine.run(200 * MS);
    expect(xl(w, "block-attach web 'phy:/dev/vg0/extra,xvdb,w'")).toEqual({ ok: true, output: '' });
    const xs = w.dom0.xs;
    const be = '/local/domain/0/backend/vbd/1/51728';
    expect(xs.read(undefined, '/local/domain/1/device/vbd/51728/state')).toBe('1');
    expect(xs.read(undefined, `${be}/params`)).toBe('/dev/vg0/extra');
    expect(xs.read(undefined, `${be}/state`)).toBe('2'); // blkback: InitWait
    // The guest's kernel takes the watch's event at the end of its cpu-burn's next millisecond
    // and connects the disk.
    w.engine.run(300 * MS);
    expect([xs.read(undefined, '/local/domain/1/device/vbd/51728/state'), xs.read(undefined, `${be}/state`)]).toEqual(['4', '4']);
    expect(w.guests.find((g) => g.domain.name === 'web')!.backends.map((b) => b.vdev)).toEqual(['xvda', 'xvdb']);
    expect(xl(w, "block-attach web 'phy:/dev/vg0/extra,xvdb,w'")).toEqual({ ok: false, error: 'libxl: error: device xvdb already exists for domain 1' });
  });

  it('block-detach sets online=0 and Closing, and removes the device once the frontend is Closed', () => {
    const w = host();
    w.engine.run(200 * MS);
    xl(w, "block-attach web 'phy:/dev/vg0/extra,xvdb,w'");
    w.engine.run(300 * MS);
    const xs = w.dom0.xs;
    const be = '/local/domain/0/backend/vbd/1/51728';
    const fe = '/local/domain/1/device/vbd/51728';
    expect(xl(w, 'block-detach web xvdb')).toEqual({ ok: true, output: '' });
    expect([xs.read(undefined, `${be}/online`), xs.read(undefined, `${be}/state`)]).toEqual(['0', '5']);
    expect(xs.read(undefined, `${fe}/state`)).toBe('4'); // nothing is removed before the frontend closes
    // The guest's kernel closes its frontend (5, then 6), and then the toolstack removes both.
    w.engine.run(310 * MS);
    expect([xs.read(undefined, `${be}/state`), xs.read(undefined, `${fe}/state`)]).toEqual([undefined, undefined]);
    expect(w.guests.find((g) => g.domain.name === 'web')!.backends.map((b) => b.vdev)).toEqual(['xvda']);
    expect(xl(w, 'block-detach web xvdc')).toEqual({ ok: false, error: 'Error: Device xvdc not connected.' });
  });

  it('a PV guest\'s kernel connects an attached disk and closes a detached one (5 then 6)', () => {
    const w = buildWorld(scenarioFrom(`
name: hotplug
duration: 2s
host: {pcpus: 2, memory: 4096}
dom0: {memory: 512, volumes: [{name: /dev/vg0/web, disk: sda, size: 1GiB}, {name: /dev/vg0/extra, disk: sda, size: 1GiB}]}
domains:
  - {name: web, memory: 256, disk: ['phy:/dev/vg0/web,xvda,w'], workload: {kind: fio, rw: randread, rate_iops: 200}}
`));
    const xs = w.dom0.xs;
    const fe = '/local/domain/1/device/vbd/51728';
    const be = '/local/domain/0/backend/vbd/1/51728';
    const kernel = w.guests.find((g) => g.domain.name === 'web')!.kernel!;
    w.engine.run(200 * MS);
    expect(xl(w, "block-attach web 'phy:/dev/vg0/extra,xvdb,w'").ok).toBe(true);
    w.engine.run(400 * MS);
    expect([xs.read(undefined, `${fe}/state`), xs.read(undefined, `${be}/state`)]).toEqual(['4', '4']);
    expect(kernel.disks.map((d) => d.devid)).toEqual([51712, 51728]);
    expect(xl(w, 'block-detach web xvdb').ok).toBe(true);
    w.engine.run(600 * MS);
    expect([xs.read(undefined, `${fe}/state`), xs.read(undefined, `${be}/state`)]).toEqual([undefined, undefined]);
    expect(kernel.disks.map((d) => d.devid)).toEqual([51712]);
    expect(w.guests.find((g) => g.domain.name === 'web')!.backends.map((b) => b.vdev)).toEqual(['xvda']);
  });

  // Before 2026-11-29 only fio's kernel handled events after boot: a cpu or idle workload slept
  // (or burned) without ever running the upcall's handlers, so the watch on its vbd directory
  // fired into nothing and an attached disk stayed at state 1 for ever.
  // forkwait: an OS benchmark that has finished by then, its kernel idle
  // ttcp: its network stack sleeps and takes events itself
  for (const workload of ['{kind: idle}', '{kind: cpu-periodic, burst: 2ms, period: 10ms}', '{kind: cpu-burn}', '{kind: forkwait, forks: 20}', '{kind: ttcp, bytes: 64MiB}, vif: [bridge=xenbr0]']) {
    it(`a PV guest running ${workload} connects an attached disk and closes a detached one`, () => {
      const w = buildWorld(scenarioFrom(`
name: hotplug-cpu
duration: 2s
host: {pcpus: 2, memory: 4096}
dom0: {memory: 512, volumes: [{name: /dev/vg0/web, disk: sda, size: 1GiB}, {name: /dev/vg0/extra, disk: sda, size: 1GiB}]}
domains:
  - {name: web, memory: 256, disk: ['phy:/dev/vg0/web,xvda,w'], workload: ${workload}}
`));
      const xs = w.dom0.xs;
      const fe = '/local/domain/1/device/vbd/51728';
      const be = '/local/domain/0/backend/vbd/1/51728';
      const g = w.guests.find((x) => x.domain.name === 'web')!;
      w.engine.run(200 * MS);
      expect(xl(w, "block-attach web 'phy:/dev/vg0/extra,xvdb,w'").ok).toBe(true);
      w.engine.run(400 * MS);
      expect([xs.read(undefined, `${fe}/state`), xs.read(undefined, `${be}/state`)]).toEqual(['4', '4']);
      expect(g.kernel!.disks.map((d) => d.devid)).toEqual([51712, 51728]);
      expect(xl(w, 'block-detach web xvdb').ok).toBe(true);
      w.engine.run(600 * MS);
      expect([xs.read(undefined, `${fe}/state`), xs.read(undefined, `${be}/state`)]).toEqual([undefined, undefined]);
      expect(g.kernel!.disks.map((d) => d.devid)).toEqual([51712]);
      if (workload.includes('forkwait')) expect(g.workload.stats().finished).toBe(true);
    });
  }

  it('block-list shows each disk\'s handshake from the frontend\'s keys, as libxl_device_disk_getinfo reads them', () => {
    const w = host();
    w.engine.run(200 * MS);
    const xs = w.dom0.xs;
    const fe = (devid: number, key: string) => xs.read(undefined, `/local/domain/1/device/vbd/${devid}/${key}`);
    // xl's printf("%-5s %-3s %-6s %-5s %-6s %-8s %-30s\n", ...) header
    const header = 'Vdev  BE  handle state evt-ch ring-ref BE-path';
    expect(xl(w, "block-attach web 'phy:/dev/vg0/extra,xvdb,w'").ok).toBe(true);
    // Right after the attach, the new frontend is at Initialising and has published nothing.
    const before = xl(w, 'block-list web');
    expect(before.ok && before.output.split('\n')).toEqual([
      header,
      `51712 0   1      4     ${fe(51712, 'event-channel')!.padEnd(6)} ${fe(51712, 'ring-ref')!.padEnd(8)} /local/domain/0/backend/vbd/1/51712`,
      '51728 0   1      1     -1     -1       /local/domain/0/backend/vbd/1/51728',
    ]);
    w.engine.run(300 * MS);
    const after = xl(w, 'block-list 1 nobody');
    expect(after.ok && after.output.split('\n').slice(2)).toEqual([
      `51728 0   1      4     ${fe(51728, 'event-channel')!.padEnd(6)} ${fe(51728, 'ring-ref')!.padEnd(8)} /local/domain/0/backend/vbd/1/51728`,
      'nobody is an invalid domain identifier',
    ]);
    expect(Number(fe(51728, 'event-channel'))).toBeGreaterThan(0);
    expect(xl(w, 'block-detach web xvdb').ok).toBe(true);
    w.engine.run(320 * MS);
    const gone = xl(w, 'block-list web');
    expect(gone.ok && gone.output.split('\n').map((l) => l.split(' ')[0])).toEqual(['Vdev', '51712']);
    expect(xl(w, 'block-list')).toEqual({ ok: false, error: "'xl block-list' requires at least 1 argument." });
  });

  it('a detached disk that used persistent grants leaves none of its pages mapped or granted', () => {
    const w = buildWorld(scenarioFrom(`
name: hotplug-persistent
duration: 2s
host: {pcpus: 2, memory: 4096}
dom0: {memory: 512, volumes: [{name: /dev/vg0/web, disk: sda, size: 1GiB}]}
domains:
  - {name: web, memory: 256, disk: ['phy:/dev/vg0/web,xvda,w'], workload: {kind: fio, rw: rw, iodepth: 8, rate_iops: 2000}}
`));
    const g = w.guests.find((x) => x.domain.name === 'web')!;
    const kernel = g.kernel!;
    const mappedOfWeb = () => w.hv.grants.liveMappings().filter((m) => m.granter === g.domain.id).length;
    w.engine.run(400 * MS);
    expect(g.backends[0]!.persistentGrants).toBeGreaterThan(0);
    expect(mappedOfWeb()).toBe(g.backends[0]!.persistentGrants + 1); // and the ring
    expect(xl(w, 'block-detach web xvda').ok).toBe(true);
    w.engine.run(800 * MS);
    expect(kernel.disks).toEqual([]);
    expect(mappedOfWeb()).toBe(0);
    expect(kernel.grants.inUse).toBe(0);
    expect(w.hv.grants.checkInvariants()).toEqual([]);
  });
});
