// The lab's side of the OS benchmarks (guests/workloads/bench.ts): boots the guest's operating
// system on whichever kernel the mode runs (the PV kernel, or the unmodified one natively or in
// an HVM container), gives it a file system on the guest's first disk, and snapshots the
// counters that explain a result at the benchmark's start and end marks: VM exits, hypercall
// traps, what the MMU and the hypervisor did, faults, switches, block I/O.
import type { Domain } from '../../hypervisor/domain';
import type { GuestProgram, VcpuEnv } from '../../hypervisor/public/guest';
import { EXIT_REASON_NAME } from '../../hypervisor/public/hvm/ioreq';
import { BufferCache, type BlockPort, type CacheStats } from '../../guests/kernel/bcache';
import { bootOs } from '../../guests/kernel/boot-os';
import { FileSystem } from '../../guests/kernel/fs';
import type { OsCounters } from '../../guests/kernel/os';
import type { BlockDevice, KGen } from '../../guests/kernel/types';
import { benchWorkload, type BenchRun, type Mark, type OsBenchmark } from '../../guests/workloads/bench';
import { dbench } from '../../guests/workloads/dbench';
import { forkwait } from '../../guests/workloads/forkwait';
import { kernelBuild } from '../../guests/workloads/kbuild';
import { lmbench } from '../../guests/workloads/lmbench';
import { oltp } from '../../guests/workloads/oltp';
import { specint } from '../../guests/workloads/specint';
import { web } from '../../guests/workloads/web';
import type { InterruptsFor, Workload } from '../../guests/workloads/workload';
import type { BenchWorkloadSpec } from '../scenario/bench-workloads';
import type { GuestEntry, World } from './world';

/** The guest kernel's buffer cache: 64 MiB of its memory (a quarter of a 256 MiB guest). */
const CACHE_BLOCKS = 16_384;
/** The file system spans the disk's first GiB at most. */
const FS_MAX_BLOCKS = 262_144;

/** Counters at one mark. */
export interface Snapshot {
  t: number;
  exits: Record<string, number>;
  /** Traps into the hypervisor by hypercall (a multicall's entries are under multicall:<name>). */
  hypercalls: Record<string, number>;
  mmu: Record<string, number>;
  os: OsCounters;
  io: CacheStats | undefined;
  /** CPU time of the guest by mode, and of dom0. */
  cpu: { user: number; kernel: number; hypervisor: number; dom0: number };
}

export interface BenchHandle {
  run: BenchRun;
  marks: Partial<Record<Mark, Snapshot>>;
  /** Called after the end mark (a suite stops the engine there). */
  onEnd?: () => void;
}

const handles = new WeakMap<Domain, BenchHandle>();

export function benchOf(d: Domain): BenchHandle | undefined {
  return handles.get(d);
}

export function benchmarkOf(spec: BenchWorkloadSpec): OsBenchmark {
  switch (spec.kind) {
    case 'lmbench': return lmbench(spec.test, spec.iterations);
    case 'forkwait': return forkwait(spec.forks);
    case 'specint': return specint(spec.slice);
    case 'kernel-build': return kernelBuild(spec.units);
    case 'dbench': return dbench(spec.clients, spec.rounds);
    case 'oltp': return oltp(spec.transactions);
    case 'web': return web(spec.requests, spec.directories);
  }
}

/** The workload of a guest running an OS benchmark. `bootKernel` is the world's. */
export function benchFor(w: World, g: GuestEntry, spec: BenchWorkloadSpec, bootKernel: (g: GuestEntry, env: VcpuEnv) => KGen, interrupts?: InterruptsFor): Workload {
  let cache: BufferCache | undefined;
  let osCounters: (() => OsCounters) | undefined;
  const boot = function* (env: VcpuEnv): KGen<{ os: ReturnType<typeof bootOs>; fs: FileSystem | undefined } | string> {
    yield* bootKernel(g, env);
    const pages = g.native?.pages ?? g.kernel?.pages;
    if (!pages) return 'no guest kernel to run on';
    const pv = { batch: spec.mmu_batch, writablePageTables: spec.writable_pagetables, multicall: spec.mmu_multicall };
    const os = bootOs(env, w.profile, g.mode === 'pv' ? 'pv' : 'native', pages, pv);
    osCounters = () => os.counters;
    const disk: BlockDevice | undefined = g.native?.disk ?? g.kernel?.disks[0];
    if (!disk) return { os, fs: undefined };
    const native = g.native?.disk;
    const port: BlockPort = { dev: disk, wait: () => (native?.queued ? native.wait() : g.native ? halt() : g.kernel!.wait()) };
    cache = new BufferCache(port, pages, CACHE_BLOCKS);
    const fs = new FileSystem(os, cache, Math.min(FS_MAX_BLOCKS, Math.floor(disk.sizeSectors / 8)));
    yield* fs.mount();
    return { os, fs };
  };
  const probe = (m: Mark): void => {
    handle.marks[m] = snapshot(w, g.domain, osCounters?.(), cache?.stats);
    if (m === 'end') handle.onEnd?.();
  };
  const wl = benchWorkload(benchmarkOf(spec), boot, w.streams.stream(`workload/${g.domain.name}`), probe, interrupts);
  const handle: BenchHandle = { run: wl.run, marks: {} };
  handles.set(g.domain, handle);
  return wl;
}

/** The unmodified kernel's wait: HLT until an interrupt. */
function* halt(): GuestProgram {
  yield { op: 'block' };
}

function snapshot(w: World, d: Domain, os: OsCounters | undefined, io: CacheStats | undefined): Snapshot {
  const exits: Record<string, number> = {};
  for (const [r, n] of d.hvm?.counters.exits ?? []) exits[EXIT_REASON_NAME[r] ?? String(r)] = n;
  const dom0 = w.hv.domain(0);
  return {
    t: w.engine.now,
    exits,
    hypercalls: Object.fromEntries(w.hv.hypercalls.perDomain.get(d.id) ?? []),
    mmu: flatMmu(d),
    os: { ...(os ?? ({} as OsCounters)) },
    io: io ? { ...io } : undefined,
    cpu: { ...d.cpu, dom0: dom0 ? dom0.cpu.user + dom0.cpu.kernel + dom0.cpu.hypervisor : 0 },
  };
}

/** The domain's MMU counters as flat numbers (shadow exits by cause as shadowExits.<cause>). */
function flatMmu(d: Domain): Record<string, number> {
  const { shadowExits, ...rest } = d.mmu;
  const out: Record<string, number> = { ...rest };
  for (const [k, v] of Object.entries(shadowExits)) out[`shadowExits.${k}`] = v;
  return out;
}
