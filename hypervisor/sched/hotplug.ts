// The toolstack's changes to a running domain's vCPUs, through the scheduling core:
// XEN_DOMCTL_setvcpuaffinity (`xl vcpu-pin`, virDomainPinVcpu) and a vCPU taken offline or
// brought back (`xl vcpu-set`, virDomainSetVcpus; Xen's VCPUOP_down/up). Called by the lab's
// toolstack on dom0's behalf.
import type { SchedulingCore } from './core';
import type { Vcpu } from '../vcpu';

/** A new hard affinity. A queued vCPU moves to a pCPU it may use now; a running one leaves its
 *  pCPU at its next schedule, which a tickle makes immediate, and is queued where it may run
 *  (the core's schedule does not let it go on where it no longer may: vcpu_migrate). */
export function setVcpuAffinity(core: SchedulingCore, v: Vcpu, cpus: number[]): void {
  v.affinity = cpus;
  if (v.canRunOn(v.processor)) return;
  if (v.runstate === 'runnable') {
    core.sched.sleep(v);
    core.sched.wake(v);
  } else if (v.runstate === 'running') {
    core.tickle(v.processor, `${v.name}'s affinity no longer includes pCPU${v.processor}`);
  }
}

/** Takes a vCPU offline (it stops at its next schedule) or brings it back. */
export function setVcpuOnline(core: SchedulingCore, v: Vcpu, online: boolean): void {
  if (v.unplugged === !online) return;
  v.unplugged = !online;
  if (online) core.wake(v);
  else core.sleep(v);
}
