// The hostile guests of issue 9, by case: T1-T16 run on a PV kernel (booted bare, see
// kernel.ts) as the workload of a domain, and are selectable in a scenario as
// `workload: {kind: hostile, attack: T3}`; T17 is a program for an unmodified guest
// (devices.ts). Each case's promise is in docs/threat-model.md and its test in test/hostile/.
import { block, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import type { PvKernel } from '../kernel/pv';
import type { Workload, WorkloadStats } from '../workloads/workload';
import type { Attack, AttackOptions } from './attack';
import { hostileBackend } from './backend';
import { badSends, eventStorm, exhaustPorts, hijackPorts } from './event-attacks';
import { badGrantRefs, foreignGrants, revokeWhileMapped, unmapAbuse } from './grant-attacks';
import { hostileArguments, privilegedCalls } from './hypercall-attacks';
import { bootBare, HostileLog } from './kernel';
import { doubleFetch, garbageFields, ringOverrun } from './ring-attacks';
import { malformedHandshakes, neverConsume } from './xenstore-attacks';

export const ATTACKS = {
  T1: { title: 'ring producer overrun, and indices wrapping past 2^32 - 1', run: ringOverrun },
  T2: { title: 'a request rewritten after the backend copied it (double fetch)', run: doubleFetch },
  T3: { title: 'garbage blkif fields', run: garbageFields },
  T4: { title: 'grant refs out of range', run: badGrantRefs },
  T5: { title: "mapping others' grants, entries without permit_access, writable maps of read-only grants", run: foreignGrants },
  T6: { title: 'unmap abuse: bogus, stale and double handles', run: unmapAbuse },
  T7: { title: 'revoking a grant while the backend maps it, then dying', run: revokeWhileMapped },
  T8: { title: 'event sends on out-of-range, free and unbound ports', run: badSends },
  T9: { title: "hijacking ports offered to others, binding missing domains", run: hijackPorts },
  T10: { title: 'event-channel exhaustion and recovery', run: exhaustPorts },
  T11: { title: 'an event storm', run: eventStorm },
  T12: { title: 'privileged and unknown hypercalls', run: privilegedCalls },
  T13: { title: 'hostile hypercall arguments', run: hostileArguments },
  T14: { title: 'malformed xenbus handshakes', run: malformedHandshakes },
  T15: { title: 'a frontend that never consumes, floods xenstore and dies with requests in flight', run: neverConsume },
  T16: { title: 'a hostile backend (driver domain)', run: hostileBackend },
} as const satisfies Record<string, { title: string; run: Attack }>;

export type AttackName = keyof typeof ATTACKS;
export const ATTACK_NAMES = Object.keys(ATTACKS) as AttackName[];

/** A hostile domain's workload: boot bare on vCPU 0, run the attack, then sleep forever. */
export function hostileWorkload(attack: AttackName, k: PvKernel, opts: AttackOptions = {}, log = new HostileLog()): Workload & { log: HostileLog } {
  return {
    kind: 'hostile',
    log,
    kernel: function* (env: VcpuEnv): GuestProgram {
      if (env.vcpu === 0 && (yield* bootBare(k, env))) yield* ATTACKS[attack].run({ k, env, log, opts });
      if (env.vcpu === 0) log.done = true;
      for (;;) yield block();
    },
    stats: (): WorkloadStats => ({ kind: 'hostile', ops: log.actions, unit: 'hostile operations', attack, skipped: log.skipped, outcomes: { ...log.outcomes } }),
  };
}

export { HostileLog } from './kernel';
export type { AttackOptions } from './attack';
export { HANDSHAKE_FAULTS, type HandshakeFault } from './rawfront';
export { HOSTILE_BACKEND_VARIANTS, type HostileBackendVariant } from './backend';
export { PC_WINDOWS, randomAccess, registerStorm } from './devices';
