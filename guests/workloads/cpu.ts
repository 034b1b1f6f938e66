// CPU workloads: `cpu-burn` (always runnable, like a compute-bound job), `cpu-periodic`
// (compute a burst, then block until the next period: the shape of an interactive or
// I/O-bound guest), and `idle` (blocks forever).
import { block, interruptible, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import type { RandomStream } from '../../hw/rng';
import { noInterrupts, idleLoop, type InterruptsFor, type Workload, type WorkloadStats } from './workload';

/** The unit cpu-burn counts its work in: one millisecond of guest CPU. */
const BURN_UNIT_NS = 1_000_000;

/** `interruptsFor` gives each vCPU its kernel's way of taking events. The work itself is user
 *  code an event interrupts: a PV kernel's handler runs at once, and the work goes on. */
export function cpuBurn(interruptsFor: InterruptsFor = noInterrupts): Workload {
  let ops = 0;
  return {
    kind: 'cpu-burn',
    kernel: function* (env: VcpuEnv): GuestProgram {
      const unit = interruptible(BURN_UNIT_NS);
      interruptsFor(env);
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

export function cpuPeriodic(opts: PeriodicOptions, rng: RandomStream, interruptsFor: InterruptsFor = noInterrupts): Workload {
  let ops = 0;
  let overruns = 0;
  return {
    kind: 'cpu-periodic',
    kernel: function* (env: VcpuEnv): GuestProgram {
      const burst = interruptible(opts.burstNs);
      const k = interruptsFor(env);
      let periodStart = env.now();
      for (;;) {
        yield burst;
        ops++;
        const stretch = opts.jitter > 0 ? 1 + opts.jitter * (2 * rng.float() - 1) : 1;
        const next = periodStart + Math.round(opts.periodNs * stretch);
        if (next > env.now()) {
          // Woken early by an event, it takes it and sleeps on to the period's end.
          while (env.now() < next) {
            yield block(next);
            if (k.interrupted()) yield* k.takeInterrupt();
          }
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

export function idle(interruptsFor: InterruptsFor = noInterrupts): Workload {
  return {
    kind: 'idle',
    kernel: function* (env: VcpuEnv): GuestProgram {
      yield* idleLoop(interruptsFor(env));
    },
    stats: (): WorkloadStats => ({ kind: 'idle', ops: 0, unit: 'none' }),
  };
}
