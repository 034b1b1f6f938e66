import { describe, expect, it } from 'vitest';
import { testHost, SECOND, MS } from '../helpers/host';
import { idle } from '../../guests/workloads/cpu';
import { HYPERCALL } from '../../hypervisor/public/xen';
import { EPERM, ENOSYS, ESRCH, EINVAL } from '../../hypervisor/public/errno';
import { compute, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';

describe('domain lifecycle', () => {
  it('creates a domain paused, so it does not run until unpaused', () => {
    const h = testHost({ pcpus: 1, guests: [] });
    const d = h.hv.createDomain({ name: 'fresh', type: 'pv', vcpus: 2, memoryMiB: 64, weight: 256, cap: 0 }, idle().kernel);
    if (typeof d === 'string') throw new Error(d);
    h.engine.run(100 * MS);
    expect(d.pauseCount).toBe(1);
    expect(d.stateLetters()).toBe('--p---');
    expect(d.vcpus.every((v) => v.runstate === 'offline')).toBe(true);
  });

  it('stops a paused domain\'s running time and resumes it on unpause', () => {
    const h = testHost({ pcpus: 1, guests: [{ name: 'web', workload: 'burn' }] });
    const web = h.doms.get('web')!;
    h.engine.run(1 * SECOND);
    const before = h.runningNs('web');
    expect(h.hv.pause(web.id)).toBe(0);
    h.engine.run(2 * SECOND);
    expect(h.runningNs('web') - before).toBeLessThan(1 * MS); // only what ran until the switch
    expect(web.stateLetters()).toBe('--p---');
    expect(web.vcpus[0]!.runstate).toBe('offline');
    expect(h.hv.unpause(web.id)).toBe(0);
    h.engine.run(3 * SECOND);
    expect(h.runningNs('web') - before).toBeGreaterThan(0.99 * SECOND);
  });

  it('destroys a domain: dying, then gone from the domain table, its memory returned', () => {
    const h = testHost({ pcpus: 1, guests: [{ name: 'web', workload: 'burn' }, { name: 'db', workload: 'burn' }] });
    const web = h.doms.get('web')!;
    h.engine.run(100 * MS);
    expect(h.hv.destroy(web.id)).toBe(0);
    expect(web.life).toBe('dying');
    expect(web.stateLetters().endsWith('d')).toBe(true);
    h.engine.run(200 * MS);
    expect(web.life).toBe('dead');
    expect(h.hv.domain(web.id)).toBeUndefined();
    expect(h.hv.domainByName('web')).toBeUndefined();
    const dbBefore = h.runningNs('db');
    h.engine.run(1200 * MS);
    expect(h.runningNs('db') - dbBefore).toBeGreaterThan(0.99 * SECOND); // db has the pCPU alone
    expect(h.hv.destroy(web.id)).toBe(-ESRCH);
  });

  it('records a shutdown reason and shows it in the xl list state letters', () => {
    const h = testHost({ pcpus: 1, guests: [{ name: 'a', workload: 'burn' }, { name: 'b', workload: 'burn' }] });
    h.engine.run(50 * MS);
    h.hv.shutdown(h.doms.get('a')!.id, 'poweroff');
    h.hv.crash(h.doms.get('b')!.id, 'test');
    h.engine.run(100 * MS);
    expect(h.doms.get('a')!.stateLetters()).toBe('---s--');
    expect(h.doms.get('b')!.stateLetters()).toBe('---sc-');
  });

  it('refuses to unpause a domain that is not paused, and an unknown domain', () => {
    const h = testHost({ pcpus: 1, guests: [{ name: 'a', workload: 'idle' }] });
    expect(h.hv.unpause(h.doms.get('a')!.id)).toBe(-EINVAL);
    expect(h.hv.pause(4242)).toBe(-ESRCH);
  });

  it('keeps dom0-only hypercalls from a domU (-EPERM) and answers unknown numbers with -ENOSYS', () => {
    const h = testHost({ pcpus: 1, guests: [] });
    const results: number[] = [];
    const probe = function* (env: VcpuEnv): GuestProgram {
      results.push(env.hypercall(HYPERCALL.domctl, 'pausedomain', 0));
      results.push(env.hypercall(HYPERCALL.sysctl, 'physinfo'));
      results.push(env.hypercall(HYPERCALL.dm_op, 0));
      results.push(env.hypercall(99));
      results.push(env.hypercall(HYPERCALL.xen_version));
      yield compute(1000);
    };
    const d = h.hv.createDomain({ name: 'probe', type: 'pv', vcpus: 1, memoryMiB: 64, weight: 256, cap: 0 }, probe);
    if (typeof d === 'string') throw new Error(d);
    h.hv.unpause(d.id);
    h.engine.run(10 * MS);
    expect(results.slice(0, 4)).toEqual([-EPERM, -EPERM, -EPERM, -ENOSYS]);
    expect(results[4]).toBeGreaterThan(0);
    expect(h.hv.hypercalls.perDomain.get(d.id)!.get('domctl')).toBe(1);
  });

  it('counts each hypercall by name, in the order of first call, numbers no hypercall has included', () => {
    const caller = function* (env: VcpuEnv): GuestProgram {
      env.hypercall(HYPERCALL.xen_version);
      env.hypercall(11); // a number below 64 that no hypercall has
      env.hypercall(HYPERCALL.xen_version);
      env.hypercall(1000); // past every number
      env.hypercall(-3);
      env.hypercall(2.5);
      env.hypercall(HYPERCALL.multicall, [{ op: HYPERCALL.xen_version, args: [] }, { op: 1000, args: [] }], 2);
      env.hypercall(11);
      yield compute(1000);
    };
    const h = testHost({ pcpus: 1, guests: [] });
    const d = h.hv.createDomain({ name: 'counted', type: 'pv', vcpus: 1, memoryMiB: 64, weight: 256, cap: 0 }, caller);
    if (typeof d === 'string') throw new Error(d);
    h.hv.unpause(d.id);
    h.engine.run(10 * MS);
    const calls = [...h.hv.hypercalls.perDomain.get(d.id)!];
    // The program's block when it ends is a sched_op, counted like the hypercall of that name.
    expect(calls.filter(([name]) => name !== 'sched_op')).toEqual([
      ['xen_version', 2], ['#11', 2], ['#1000', 1], ['#-3', 1], ['#2.5', 1], ['multicall', 1], ['multicall:xen_version', 1], ['multicall:#1000', 1],
    ]);
    expect(h.hv.hypercalls.perDomain.get(d.id + 1)).toBeUndefined();
  });

  it('charges hypercalls as hypervisor time on the calling vCPU', () => {
    const h = testHost({ pcpus: 1, guests: [] });
    const caller = function* (env: VcpuEnv): GuestProgram {
      for (let i = 0; i < 1000; i++) {
        env.hypercall(HYPERCALL.xen_version);
        yield compute(1000);
      }
    };
    const d = h.hv.createDomain({ name: 'c', type: 'pv', vcpus: 1, memoryMiB: 64, weight: 256, cap: 0 }, caller);
    if (typeof d === 'string') throw new Error(d);
    h.hv.unpause(d.id);
    h.engine.run(1 * SECOND);
    expect(d.cpu.hypervisor).toBe(1000 * h.hv.profile.hypervisor.hypercallNs);
    expect(d.cpu.user).toBe(1000 * 1000);
  });

  it('rejects a domain that does not fit in host memory, leaving nothing behind', () => {
    const h = testHost({ pcpus: 1, guests: [] });
    const before = h.hv.list().length;
    const r = h.hv.createDomain({ name: 'huge', type: 'pv', vcpus: 1, memoryMiB: 1 << 20, weight: 256, cap: 0 }, idle().kernel);
    expect(typeof r).toBe('string');
    expect(r).toMatch(/not enough memory/);
    expect(h.hv.list().length).toBe(before);
  });
});
