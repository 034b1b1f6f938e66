// Dom0 as the host boots it: its kernel (event loop, deferred work), xenstored, and the disk
// interrupt routed to it. The toolstack side of device creation (xenstore nodes, backends)
// lives in toolstack.ts.
import type { Hypervisor } from '../../hypervisor/hypervisor';
import type { Domain } from '../../hypervisor/domain';
import { Dom0Kernel } from '../../dom0/kernel';
import { XenstoreService } from '../../dom0/xenstore/service';
import type { ScratchPage } from '../../dom0/blkback-segments';
import type { Scenario } from '../scenario/types';

export interface Dom0 {
  domain: Domain;
  kernel: Dom0Kernel;
  xs: XenstoreService;
  scratchPage(): ScratchPage | undefined;
}

export function createDom0(hv: Hypervisor, s: Scenario): Dom0 {
  const kernel = new Dom0Kernel(hv.profile.kernel, !hv.profile.hypervisor.pvSyscallFastTrap);
  const xs = new XenstoreService(kernel);
  const cfg = s.dom0;
  const d = hv.createDomain(
    { name: 'Domain-0', type: 'pv', vcpus: cfg.vcpus, memoryMiB: cfg.memory, weight: cfg.cpu_weight, cap: cfg.cap, affinity: cfg.cpus },
    (env) => kernel.vcpuMain(env),
    { privileged: true, id: 0 },
  );
  if (typeof d === 'string') throw new Error(`dom0: ${d}`); // the scenario check rules this out
  // The disk controller's interrupt, bound to an IPI port of dom0's vCPU 0 at boot.
  kernel.irqPort = hv.evtchn.bindIpi(0, 0);
  kernel.bindEarly(d.sharedInfo, d.vcpus.length);
  kernel.raiseDiskIrq = () => void hv.evtchn.send(0, kernel.irqPort);
  kernel.wakeUp = (port) => void hv.evtchn.send(0, port);
  let nextScratch = d.memFrames - 1;
  const scratchPage = (): ScratchPage | undefined => {
    const gfn = nextScratch--;
    const mfn = hv.gfnToMfn(d, gfn);
    if (mfn < 0 || gfn < d.memFrames / 2) return undefined;
    return Object.assign(hv.memory.page(mfn), { gfn });
  };
  hv.unpause(d.id);
  return { domain: d, kernel, xs, scratchPage };
}
