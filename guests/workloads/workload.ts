// What every workload offers the lab: a guest kernel entry (one program per vCPU) and the
// figures it reports. Workloads are written against the public guest ABI only.
import type { GuestKernel } from '../../hypervisor/public/guest';

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
