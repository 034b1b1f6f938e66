// What every workload offers the lab: a guest kernel entry (one program per vCPU) and the
// figures it reports. Workloads are written against the public guest ABI only.
import { block, type GuestKernel, type VcpuEnv } from '../../hypervisor/public/guest';
import type { KGen } from '../kernel/types';

export interface WorkloadStats {
  kind: string;
  /** Completed units of work (a millisecond of CPU, an I/O, a period...). */
  ops: number;
  /** What one op is. */
  unit: string;
  [extra: string]: unknown;
}

export interface Workload {
  readonly kind: string;
  readonly kernel: GuestKernel;
  stats(): WorkloadStats;
}

/** How a workload's vCPU takes events. Asking for it (`InterruptsFor`) registers the kernel's
 *  upcall handler with the hypervisor, so interruptible work is interrupted for it; after a
 *  sleep the workload asks whether events came and takes them. A PV kernel's vCPU 0, where
 *  its handlers are bound, runs them (a xenstore watch's event: a disk attached). Other vCPUs,
 *  and native or HVM kernels, whose interrupts stay latched until a driver waits for them,
 *  have none to take here. */
export interface Interrupts {
  /** True when events wait: the upcall is flagged, or ports are. */
  interrupted(): boolean;
  /** Takes them: the upcall, its handlers, their time and the work they asked for. */
  takeInterrupt(): KGen;
}

export type InterruptsFor = (env: VcpuEnv) => Interrupts;

/** No events to take: sleeps are a bare SCHEDOP_block (PV) or HLT. */
export const NO_INTERRUPTS: Interrupts = {
  interrupted: () => false,
  *takeInterrupt(): KGen {},
};

export const noInterrupts: InterruptsFor = () => NO_INTERRUPTS;

/** Sleeps for ever, taking whatever wakes it. Events are checked before each sleep, so those
 *  that came while the vCPU was busy are taken before it blocks. */
export function* idleLoop(k: Interrupts): KGen<never> {
  for (;;) {
    if (k.interrupted()) yield* k.takeInterrupt();
    else yield block();
  }
}
