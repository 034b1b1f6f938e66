import { describe, expect, it } from 'vitest';
import { run, domainReport, scenarioFrom } from '../helpers/world';
import { buildWorld } from '../../lab/run/world';
import { introduce, addDisk } from '../../lab/run/toolstack';
import { PvKernel } from '../../guests/kernel/pv';
import { block, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import { GNTMAP_host_map, GNTST } from '../../hypervisor/public/grant_table';
import { XenbusState } from '../../hypervisor/public/io/xs_wire';
import { EVTCHNSTAT } from '../../hypervisor/public/event_channel';

const twoGuests = (workload: string, duration = '30s') => `
name: pv-block
seed: 11
duration: ${duration}
host: {pcpus: 2}
dom0:
  volumes: [{name: /dev/vg0/a, disk: sda, size: 1GiB}, {name: /dev/vg0/b, disk: sda, size: 1GiB}]
domains:
  - {name: a, memory: 256, disk: ['format=raw, vdev=xvda, access=rw, target=/dev/vg0/a'], workload: ${workload}}
  - {name: b, memory: 256, disk: ['format=raw, vdev=xvda, access=rw, target=/dev/vg0/b'], workload: ${workload}}
`;

describe('the PV block path', () => {
  it('writes 100,000 random 4 KiB blocks from each of two PV guests and reads every one back intact', () => {
    const o = run(twoGuests('{kind: fio, rw: randwrite, bs: 4k, iodepth: 32, verify: true, ops: 100000}'));
    for (const name of ['a', 'b']) {
      const w = domainReport(o, name).workload;
      expect(w).toMatchObject({ kind: 'fio', ops: 200_000, errors: 0, verifyErrors: 0, finished: true });
    }
    // Both guests' I/O went through dom0's backends, nowhere else.
    const dom0 = domainReport(o, 'Domain-0');
    expect(dom0.devices.map((d) => [d.frontend, d.ops])).toEqual([['a', 200_000], ['b', 200_000]]);
  });

  it('keeps each guest out of the other\'s memory and disk', () => {
    const w = buildWorld(scenarioFrom(twoGuests('{kind: fio, rw: randwrite, bs: 4k, iodepth: 8, verify: true, ops: 2000}', '1s')));
    w.engine.run(1e9);
    const [a, b] = [w.hv.domainByName('a')!, w.hv.domainByName('b')!];
    // b's ring is granted to dom0; a asking to map it is refused like Xen refuses it.
    const bRingRef = Number(w.dom0.xs.read(undefined, `/local/domain/${b.id}/device/vbd/51712/ring-ref`));
    const m = w.hv.grants.map(a.id, { dom: b.id, ref: bRingRef, flags: GNTMAP_host_map });
    expect(m.status).toBe(GNTST.general_error);
    // Dom0 may map it (it is the grantee).
    expect(w.hv.grants.map(0, { dom: b.id, ref: bRingRef, flags: GNTMAP_host_map }).status).toBe(GNTST.okay);
    // a's pseudo-physical frames are its own: none of them is one of b's.
    const aFrames = new Set(a.p2m.filter((x) => x !== undefined));
    expect(b.p2m.filter((x) => x !== undefined && aFrames.has(x))).toEqual([]);
    // a's disk bytes are not b's: the volumes do not overlap and each verified its own pattern.
    const va = w.storage.volumes.volume('/dev/vg0/a')!;
    const vb = w.storage.volumes.volume('/dev/vg0/b')!;
    expect(va.firstExtent + va.extents <= vb.firstExtent || vb.firstExtent + vb.extents <= va.firstExtent).toBe(true);
    for (const g of w.guests.filter((x) => x.fio)) expect(g.fio!.verifyErrors).toBe(0);
  });

  it('suppresses notifications under load: about one send each way per request at iodepth 1, under 0.2 at iodepth 32', () => {
    const perRequest = (iodepth: number) => {
      const o = run(twoGuests(`{kind: fio, rw: randread, bs: 4k, iodepth: ${iodepth}}`, '200ms'));
      const a = domainReport(o, 'a');
      const dom0 = domainReport(o, 'Domain-0');
      const reqs = a.devices[0]!.ops + domainReport(o, 'b').devices[0]!.ops;
      return { front: (a.notifications.sent + domainReport(o, 'b').notifications.sent) / reqs, back: dom0.notifications.sent / reqs, batch: a.ringBatchMean };
    };
    const one = perRequest(1);
    const deep = perRequest(32);
    console.log(`event sends per request: iodepth 1: front→back ${one.front.toFixed(3)}, back→front ${one.back.toFixed(3)}; iodepth 32: front→back ${deep.front.toFixed(3)}, back→front ${deep.back.toFixed(3)} (ring batch ${deep.batch})`);
    expect(one.front).toBeGreaterThanOrEqual(1);
    expect(one.back).toBeGreaterThanOrEqual(0.99); // every response notifies (xenstore traffic aside)
    expect(deep.front).toBeLessThan(0.2);
    expect(deep.back).toBeLessThan(0.2);
    expect(deep.batch).toBeGreaterThan(4);
  });
});

describe('the xenbus handshake', () => {
  /** A world with one PV guest whose kernel boots, then closes its disk. */
  function handshakeWorld(closeAt?: number) {
    const w = buildWorld(scenarioFrom(`
name: hs
duration: 1s
host: {pcpus: 2}
dom0: {volumes: [{name: /dev/vg0/g, disk: sda, size: 64MiB}]}
domains: []
`));
    const d = w.hv.createDomain({ name: 'g', type: 'pv', vcpus: 1, memoryMiB: 128, weight: 256, cap: 0 }, (env) => prog(env));
    if (typeof d === 'string') throw new Error(d);
    const start = introduce(w.hv, w.dom0, d);
    const bb = addDisk(w.hv, w.dom0, w.storage, d, { vdev: 'xvda', target: '/dev/vg0/g', access: 'rw', format: 'raw' });
    if (typeof bb === 'string') throw new Error(bb);
    const k = new PvKernel(w.profile.kernel, start);
    function* prog(env: VcpuEnv): GuestProgram {
      yield* k.boot(env);
      if (closeAt !== undefined) {
        yield block(closeAt);
        yield* k.disks[0]!.close();
      }
      for (;;) yield block();
    }
    w.hv.unpause(d.id);
    return { w, d, k, bb };
  }

  it('leaves the keys of REFERENCE §5.2 in xenstore with both ends Connected (4)', () => {
    const { w, d } = handshakeWorld();
    w.engine.run(100e6);
    const xs = w.dom0.xs;
    const fe = `/local/domain/${d.id}/device/vbd/51712`;
    const be = `/local/domain/0/backend/vbd/${d.id}/51712`;
    const r = (p: string) => xs.read(undefined, p);
    expect(r(`${fe}/state`)).toBe(String(XenbusState.Connected));
    expect(r(`${be}/state`)).toBe(String(XenbusState.Connected));
    for (const k of ['backend', 'backend-id', 'virtual-device', 'device-type', 'ring-ref', 'event-channel', 'protocol']) expect(r(`${fe}/${k}`), k).toBeDefined();
    expect(r(`${fe}/protocol`)).toBe('x86_64-abi');
    expect(r(`${fe}/backend`)).toBe(be);
    for (const k of ['frontend', 'frontend-id', 'online', 'state', 'dev', 'type', 'mode', 'params', 'feature-flush-cache', 'sectors', 'info', 'sector-size', 'hotplug-status']) {
      expect(r(`${be}/${k}`), k).toBeDefined();
    }
    expect(Number(r(`${be}/sectors`))).toBe((64 * 2 ** 20) / 512);
    expect(r(`${be}/dev`)).toBe('xvda');
  });

  it('walks Closing (5) to Closed (6) when the frontend closes, and the backend unmaps the ring and closes its port', () => {
    const { w, d, bb } = handshakeWorld(200e6);
    const states: string[] = [];
    const fe = `/local/domain/${d.id}/device/vbd/51712`;
    const be = `/local/domain/0/backend/vbd/${d.id}/51712`;
    w.engine.run(150e6);
    const port = Number(w.dom0.xs.read(undefined, `${fe}/event-channel`));
    const mapsBefore = w.hv.grants.counters.unmaps;
    w.dom0.xs.watch(undefined, fe + '/state', 'test-fe', () => states.push('fe=' + w.dom0.xs.read(undefined, fe + '/state')));
    w.dom0.xs.watch(undefined, be + '/state', 'test-be', () => states.push('be=' + w.dom0.xs.read(undefined, be + '/state')));
    w.engine.run(400e6);
    expect(states.filter((s) => !s.endsWith('=4'))).toEqual(['fe=5', 'be=6', 'fe=6']);
    expect(bb.state).toBe(XenbusState.Closed);
    expect(w.hv.grants.counters.unmaps).toBeGreaterThan(mapsBefore); // the ring's grant mapping is gone
    // The guest's port went back to unbound when dom0 closed its end, then the guest closed it.
    expect(w.hv.evtchn.status(d.id, d.id, port).info?.status).toBe(EVTCHNSTAT.closed);
    expect(w.hv.grants.checkInvariants()).toEqual([]);
    expect(w.hv.evtchn.checkInvariants()).toEqual([]);
  });
});

describe('fio options', () => {
  it('limits a job to rate_iops I/Os per second, as fio does', () => {
    const o = run(twoGuests('{kind: fio, rw: randread, bs: 4k, iodepth: 1, rate_iops: 200}', '1s'));
    for (const name of ['a', 'b']) expect(domainReport(o, name).workload['ops']).toBe(200);
  });

  it('keeps to rate_iops with several I/Os in flight: a completion that arrives while the job sleeps to its next I/O is not lost', () => {
    // Xen clears upcall_pending as it wakes the vCPU from its timed block; the kernel must run
    // the event handler then, or the port stays pending and no later send raises it again.
    const o = run(twoGuests('{kind: fio, rw: randread, bs: 4k, iodepth: 8, rate_iops: 200}', '1s'));
    for (const name of ['a', 'b']) expect(domainReport(o, name).workload).toMatchObject({ ops: 200, errors: 0 });
  });

  it('runs, on each disk interrupt, the completion work of the devices whose requests completed, not of every device', () => {
    // Eight guests on one disk; the block layer calls each finished request's completion, so
    // dom0's interrupt handler does work per completion, whatever the number of disks.
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const w = buildWorld(scenarioFrom(`
name: pv-block-irq
seed: 3
duration: 1s
host: {pcpus: 4}
dom0:
  volumes: [${names.map((n) => `{name: /dev/vg0/${n}, disk: sda, size: 64MiB}`).join(', ')}]
domains:
${names.map((n) => `  - {name: ${n}, memory: 128, disk: ['format=raw, vdev=xvda, access=rw, target=/dev/vg0/${n}'], workload: {kind: fio, rw: randread, bs: 4k, iodepth: 1, rate_iops: 100}}`).join('\n')}
`));
    w.engine.run(1e9);
    const backends = w.guests.flatMap((g) => g.backends);
    expect(backends).toHaveLength(8);
    const requests = backends.reduce((s, b) => s + b.stats.requests, 0);
    const responses = backends.reduce((s, b) => s + b.stats.responses, 0);
    expect(requests).toBeGreaterThan(8 * 90);
    expect(responses).toBe(requests);
    const k = w.dom0.kernel.stats;
    // At least one completion ran per interrupt that found work, at most one per request. Were
    // every device polled on each interrupt, it would be eight per interrupt.
    expect(k.diskCompletions).toBeGreaterThan(0);
    expect(k.diskCompletions).toBeLessThanOrEqual(requests);
    expect(k.diskCompletions).toBeLessThan(2 * k.irqs);
  });
});

