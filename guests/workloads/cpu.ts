// CPU workloads: `cpu-burn` (always runnable, like a compute-bound job), `cpu-periodic`
// (compute a burst, then block until the next period: the shape of an interactive or
// I/O-bound guest), and `idle` (blocks forever).
import { compute, block, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import type { RandomStream } from '../../hw/rng';
import type { Workload, WorkloadStats } from './workload';

/** The unit cpu-burn counts its work in: one millisecond of guest CPU. */
const BURN_UNIT_NS = 1_000_000;

export function cpuBurn(): Workload {
  let ops = 0;
  return {
    kind: 'cpu-burn',
    kernel: function* (): GuestProgram {
      const unit = compute(BURN_UNIT_NS);
      for (;;) {
        yield unit;
        ops++;
      }
    },
    stats: (): WorkloadStats => ({ kind: 'cpu-burn', ops, unit: 'ms of CPU' }),
  };
}

export interface PeriodicOptions {
  burstNs: number;
  periodNs: number;
  /** Each period is stretched or shrunk by up to this fraction, from the seeded stream. */
  jitter: number;
}

export function cpuPeriodic(opts: PeriodicOptions, rng: RandomStream): Workload {
  let ops = 0;
  let overruns = 0;
  return {
    kind: 'cpu-periodic',
    kernel: function* (env: VcpuEnv): GuestProgram {
      const burst = compute(opts.burstNs);
      let periodStart = env.now();
      for (;;) {
        yield burst;
        ops++;
        const stretch = opts.jitter > 0 ? 1 + opts.jitter * (2 * rng.float() - 1) : 1;
        const next = periodStart + Math.round(opts.periodNs * stretch);
        if (next > env.now()) {
          yield block(next);
          periodStart = next;
        } else {
          overruns++;
          periodStart = env.now();
        }
      }
    },
    stats: (): WorkloadStats => ({ kind: 'cpu-periodic', ops, unit: 'bursts', overruns }),
  };
}

export function idle(): Workload {
  return {
    kind: 'idle',
    kernel: function* (): GuestProgram {
      for (;;) yield block();
    },
    stats: (): WorkloadStats => ({ kind: 'idle', ops: 0, unit: 'none' }),
  };
}
