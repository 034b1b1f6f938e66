// Workload kinds that run on the guest kernel's operating system (guests/kernel/os.ts): lmbench's
// micro benchmarks and the macro benchmarks of `pvlab compare --suite`. Each may also set how
// a PV guest kernel updates its page tables (ignored by the other kernels).
import { z } from 'zod';
import { LMBENCH_TESTS } from '../../guests/workloads/lmbench';
import { bool, field, integer, oneOf, optional, real, strict } from './fields';

/** A PV kernel's page-table update path (REFERENCE §9.1). */
const pvKernel = {
  /** Most mmu_update requests per hypercall (XenoLinux: 2048). */
  mmu_batch: field(integer(1, 2048), 2048),
  /** vm_assist writable page tables: each L1 PTE store traps instead of going in a batch. */
  writable_pagetables: field(bool, false),
  /** One multicall carries all the mmu_update batches of a kernel operation. */
  mmu_multicall: field(bool, false),
};

/** One lmbench test, its latency in microseconds. */
export const lmbenchWorkload = strict({
  kind: z.literal('lmbench'),
  test: field(oneOf(LMBENCH_TESTS)),
  /** Repetitions of the measured operation; each test's own default when absent. */
  iterations: optional(integer(1, 1_000_000)),
  ...pvKernel,
});

/** N fork + waitpid pairs (Adams & Agesen's forkwait). */
export const forkwaitWorkload = strict({ kind: z.literal('forkwait'), forks: field(integer(1, 1_000_000), 400), ...pvKernel });

/** SPEC CINT2000's twelve programs, a `slice` of the reference run. */
export const specintWorkload = strict({ kind: z.literal('specint'), slice: field(real(0.0001, 1), 0.01), ...pvKernel });

/** make -j1 over `units` source files. */
export const kernelBuildWorkload = strict({ kind: z.literal('kernel-build'), units: field(integer(1, 100_000), 10), ...pvKernel });

/** dbench's Netbench load from `clients` processes, `rounds` files each. */
export const dbenchWorkload = strict({ kind: z.literal('dbench'), clients: field(integer(1, 256), 4), rounds: field(integer(1, 1_000_000), 50), ...pvKernel });

/** sysbench OLTP read-write transactions against a local database server. */
export const oltpWorkload = strict({ kind: z.literal('oltp'), transactions: field(integer(1, 10_000_000), 100), ...pvKernel });

/** SPECweb99-style requests served from the disk. */
export const webWorkload = strict({ kind: z.literal('web'), requests: field(integer(1, 10_000_000), 1000), directories: field(integer(1, 1000), 4), ...pvKernel });

export const BENCH_WORKLOADS = [lmbenchWorkload, forkwaitWorkload, specintWorkload, kernelBuildWorkload, dbenchWorkload, oltpWorkload, webWorkload] as const;
export const BENCH_KINDS = ['lmbench', 'forkwait', 'specint', 'kernel-build', 'dbench', 'oltp', 'web'] as const;
export type BenchWorkloadSpec = z.output<(typeof BENCH_WORKLOADS)[number]>;
