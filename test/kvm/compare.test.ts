// `pvlab compare` across both hypervisors: one table with Xen's and KVM's rows for the same
// guest and workload.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { baseScenario, withMode } from '../../lab/compare';

const ROOT = join(import.meta.dirname, '..', '..');

describe('pvlab compare on both hypervisors', () => {
  it('prints one table for native, pv, hvm, kvm, kvm-virtio and tcg', () => {
    const args = ['compare', 'fio', 'rw=randread', 'bs=4k', 'iodepth=1', '--modes', 'native,pv,hvm,kvm,kvm-virtio,tcg', '--duration', '200ms'];
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'pvlab.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
    console.log(r.stdout);
    expect(r.status).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^(native|pv|hvm|kvm|kvm-virtio|tcg)\s+\d/.test(l));
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(['native', 'pv', 'hvm', 'kvm', 'kvm-virtio', 'tcg']);
    expect(r.stdout.match(/^mode\s+score/gm)).toHaveLength(1); // one table, one header
    const col = (mode: string, i: number) => Number(rows.find((l) => l.startsWith(mode + ' '))!.split(/\s+/)[i]);
    const score = (m: string) => col(m, 1);
    const exits = (m: string) => col(m, 4);
    // The same IDE exits per read on both hypervisors (the boot's and the HLTs spread over a
    // different number of reads: exactly equal counts are test/kvm/exits.test.ts's).
    expect(Math.abs(exits('kvm') - exits('hvm'))).toBeLessThan(0.5);
    expect(exits('kvm')).toBeGreaterThan(20);
    expect(exits('kvm-virtio')).toBeLessThanOrEqual(2); // a kick and a HLT per read
    expect(score('kvm-virtio')).toBeGreaterThan(score('kvm'));
    expect(score('kvm')).toBeGreaterThan(score('hvm')); // no dom0 to schedule per exit
    expect(score('native')).toBeGreaterThan(score('kvm-virtio'));
    expect(r.stdout).toMatch(/kvm rows run on a KVM host: no dom0/);
  });

  it('moves the guest to a KVM host for the kvm modes and back to Xen for the others', () => {
    const base = baseScenario({ workload: { kind: 'fio', options: { rw: 'randread', bs: '4k', iodepth: '1' } } });
    const k = withMode(base, 'kvm-vhost', undefined);
    expect(k.host.hypervisor).toBe('kvm');
    expect(k.scheduler.name).toBe('cfs');
    expect(k.domains[0]).toMatchObject({ type: 'hvm', vhostNet: true, vhostBlk: true, cpu_weight: 1024, disk: [{ vdev: 'vda' }], workload: { vdev: 'vda' } });
    const ide = withMode(k, 'kvm', undefined);
    expect(ide.domains[0]).toMatchObject({ hdtype: 'ide', disk: [{ vdev: 'hda' }] });
    expect([ide.domains[0]!.vhostNet, ide.domains[0]!.vhostBlk]).toEqual([undefined, undefined]);
    const x = withMode(k, 'pv', undefined);
    expect(x.host.hypervisor).toBeUndefined();
    expect(x.scheduler.name).toBe('credit');
    expect(x.domains[0]).toMatchObject({ type: 'pv', disk: [{ vdev: 'xvda' }] });
  });
});
