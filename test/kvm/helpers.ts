// KVM hosts for tests: one or two guests with a disk each, from a small YAML scenario.
import { scenarioFrom } from '../helpers/world';
import { buildWorld, type World } from '../../lab/run/world';
import { buildReport, type RunReport } from '../../lab/run/report';

export interface KvmGuestOpts {
  name?: string;
  /** vda: virtio-blk; hda: IDE; sda: AHCI. */
  vdev?: string;
  vhost?: boolean;
  shares?: number;
  workload: string;
}

export function kvmYaml(opts: { guests: KvmGuestOpts[]; duration?: string; pcpus?: number; platform?: string; hypervisor?: 'kvm' | 'xen'; type?: string }): string {
  const guests = opts.guests.map((g, i) => {
    const name = g.name ?? `g${i}`;
    const vdev = g.vdev ?? 'vda';
    return `  - name: ${name}
    type: ${opts.type ?? 'hvm'}
    memory: 256
${g.vhost ? '    vhost: 1\n' : ''}${g.shares !== undefined ? `    cpu_shares: ${g.shares}\n` : ''}    disk: ['format=raw, vdev=${vdev}, access=rw, target=/dev/vg0/${name}']
    workload: ${g.workload}`;
  });
  const volumes = opts.guests.map((g, i) => `{name: /dev/vg0/${g.name ?? `g${i}`}, disk: sda, size: 1GiB}`).join(', ');
  return `name: kvm-test
duration: ${opts.duration ?? '200ms'}
platform: ${opts.platform ?? 'modern'}
host: {hypervisor: ${opts.hypervisor ?? 'kvm'}, pcpus: ${opts.pcpus ?? 2}}
dom0: {memory: 1024, volumes: [${volumes}]}
domains:
${guests.join('\n')}
`;
}

export function runKvm(yaml: string): { w: World; r: RunReport } {
  const s = scenarioFrom(yaml);
  const w = buildWorld(s);
  w.engine.run(s.duration);
  return { w, r: buildReport(w) };
}

/** Register exits (port and MMIO) of a domain's report. */
export function registerExits(d: RunReport['domains'][number]): number {
  return (d.vmexits['IO_INSTRUCTION'] ?? 0) + (d.vmexits['EPT_VIOLATION'] ?? 0);
}
