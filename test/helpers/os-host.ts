// A bare host for tests of the guest kernel's OS: one domain in a chosen paging mode, no disks,
// running a script against the GuestOs; the hypervisor's counters are there to read.
import { Engine } from '../../hw/engine';
import { platform } from '../../hw/platforms/index';
import type { Domain } from '../../hypervisor/domain';
import { Hypervisor } from '../../hypervisor/hypervisor';
import { CreditScheduler } from '../../hypervisor/sched/credit';
import { block, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import type { Accel } from '../../hypervisor/hvm';
import { bootOs } from '../../guests/kernel/boot-os';
import type { GuestOs } from '../../guests/kernel/os';
import { PageAllocator } from '../../guests/kernel/pages';
import type { PvMmuOptions } from '../../guests/kernel/pv-mmu';
import type { KGen } from '../../guests/kernel/types';

export type OsMode = 'native' | 'pv' | 'shadow' | 'hap' | 'bt' | 'tcg';

export interface OsHost {
  engine: Engine;
  hv: Hypervisor;
  domain: Domain;
  os: GuestOs;
  done: boolean;
}

export function osHost(opts: { platform?: string; mode: OsMode; pv?: Partial<PvMmuOptions>; script: (os: GuestOs, host: OsHost) => KGen }): OsHost {
  const profile = platform(opts.platform ?? 'modern')!;
  const engine = new Engine();
  const hv = new Hypervisor(engine, profile, { pcpus: 1, memoryMiB: 2048 }, new CreditScheduler());
  const host = { engine, hv, done: false } as OsHost;
  const kernel = (env: VcpuEnv): GuestProgram =>
    (function* (): GuestProgram {
      host.os = bootOs(env, profile, opts.mode === 'pv' ? 'pv' : 'native', new PageAllocator(16, env.nrPages), opts.pv);
      yield* opts.script(host.os, host);
      host.done = true;
      for (;;) yield block();
    })();
  const accel: Record<OsMode, Accel | undefined> = { native: 'bare', pv: undefined, shadow: 'vtx', hap: 'vtx', bt: 'bt', tcg: 'tcg' };
  const d = hv.createDomain({ name: 'guest', type: opts.mode === 'pv' ? 'pv' : 'hvm', vcpus: 1, memoryMiB: 512, weight: 256, cap: 0 }, kernel, { accel: accel[opts.mode], hap: opts.mode !== 'shadow' });
  if (typeof d === 'string') throw new Error(d);
  host.domain = d;
  hv.unpause(d.id);
  return host;
}

/** Runs until the script is done (or `limitNs` of simulated time). */
export function runHost(h: OsHost, limitNs = 60e9): void {
  for (let t = 1e6; !h.done && t <= limitNs; t *= 2) h.engine.run(t);
}
