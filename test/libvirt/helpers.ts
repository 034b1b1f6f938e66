// Hosts and domain XML for the libvirt tests.
import { buildWorld, type World } from '../../lab/run/world';
import { scenarioFrom } from '../helpers/world';
import { PVLAB_XMLNS, type VirResult } from '../../lab/libvirt/index';

/** A Xen host with room for guests and a dom0 volume to give one as its disk. */
export function xenHost(extra = ''): World {
  return buildWorld(scenarioFrom(`
name: libvirt-host
duration: 10s
host: {pcpus: 2, memory: 4096}
dom0: {memory: 512, volumes: [{name: /dev/vg0/web, disk: sda, size: 1GiB}]}
${extra}
`));
}

/** A KVM host (qemu:///system's) with the same volume to give a guest. */
export function kvmHost(pcpus = 2): World {
  return buildWorld(scenarioFrom(`
name: kvm-host
duration: 10s
host: {pcpus: ${pcpus}, memory: 4096, hypervisor: kvm}
dom0: {memory: 512, volumes: [{name: /dev/vg0/web, disk: sda, size: 1GiB}]}
`));
}

/** One guest's XML; only the domain type differs between hypervisors, as libvirt requires. */
export function guestXml(opts: { type?: string; name?: string; os?: string; disk?: string; workload?: string; vcpus?: string } = {}): string {
  const disk = opts.disk ?? `<disk type='block' device='disk'><source dev='/dev/vg0/web'/><target dev='xvda' bus='xen'/></disk>`;
  return `<domain type='${opts.type ?? 'xen'}'>
  <name>${opts.name ?? 'web'}</name>
  <memory unit='MiB'>256</memory>
  <vcpu${opts.vcpus ?? ''}>1</vcpu>
  <os><type>${opts.os ?? 'xen'}</type></os>
  <metadata><pvlab:workload xmlns:pvlab="${PVLAB_XMLNS}" ${opts.workload ?? 'kind="cpu-burn"'}/></metadata>
  <devices>
    ${disk}
    <interface type='bridge'><source bridge='xenbr0'/></interface>
  </devices>
</domain>`;
}

/** The value of a result that must have succeeded. */
export function must<T>(r: VirResult<T>): T {
  if (!r.ok) throw new Error(`libvirt error ${r.error.code}: ${r.error.message}`);
  return r.value;
}

export const MS = 1_000_000;
