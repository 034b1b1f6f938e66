// Brings the guest's operating system up on a vCPU: the page-table geometry of the platform,
// the personality of the kernel (PV hypercalls, or the MMU's own instructions for the
// unmodified kernel, natively or in an HVM container) and its frame allocator.
import type { PlatformProfile } from '../../hw/platforms/profile';
import type { VcpuEnv } from '../../hypervisor/public/guest';
import { GuestOs } from './os';
import type { PageAllocator } from './pages';
import { NativeMmu } from './personality';
import { DEFAULT_PV_MMU, PvMmu, type PvMmuOptions } from './pv-mmu';
import { geometry } from './vm';

export type KernelKind = 'pv' | 'native';

export function bootOs(env: VcpuEnv, profile: PlatformProfile, kind: KernelKind, pages: PageAllocator, pv: Partial<PvMmuOptions> = {}): GuestOs {
  const g = geometry(profile.mmu.nativeWalkRefs);
  let mmu: NativeMmu | PvMmu = new NativeMmu();
  if (kind === 'pv') {
    // A PV kernel built for x86-64 (no fast system-call trap) returns to user mode by iret.
    const p = new PvMmu(env, g, { ...DEFAULT_PV_MMU, ...pv }, !profile.hypervisor.pvSyscallFastTrap);
    p.boot();
    mmu = p;
  }
  return new GuestOs(env, mmu, g, profile.kernel, profile.mmu, pages, profile.cpuGHz);
}
