// libvirt's domain states (virDomainState in libvirt-domain.h) and the reasons that go with
// each, with the words virsh prints for them. They map almost one to one to the `xl list`
// letters (REFERENCE §8.1, §10.3): r → RUNNING, b → BLOCKED, p → PAUSED, s → SHUTDOWN,
// c → CRASHED; a domain that is defined but has no running instance is SHUTOFF.

export const VIR_DOMAIN = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  /** Being shut down: the guest was asked, or said so, and is not gone yet. */
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;
export type VirDomainState = (typeof VIR_DOMAIN)[keyof typeof VIR_DOMAIN];

/** The reasons pvlab gives, per state (virDomainRunningReason, virDomainPausedReason, ...). */
export const REASON = {
  RUNNING_BOOTED: 1,
  RUNNING_UNPAUSED: 5,
  PAUSED_USER: 1,
  SHUTDOWN_USER: 1,
  SHUTOFF_UNKNOWN: 0,
  SHUTOFF_SHUTDOWN: 1,
  SHUTOFF_DESTROYED: 2,
  SHUTOFF_CRASHED: 3,
  SHUTOFF_FAILED: 6,
  CRASHED_PANICKED: 1,
} as const;

/** virshDomainStateToString. */
const STATE_WORDS: Record<VirDomainState, string> = {
  [VIR_DOMAIN.NOSTATE]: 'no state',
  [VIR_DOMAIN.RUNNING]: 'running',
  [VIR_DOMAIN.BLOCKED]: 'idle',
  [VIR_DOMAIN.PAUSED]: 'paused',
  [VIR_DOMAIN.SHUTDOWN]: 'in shutdown',
  [VIR_DOMAIN.SHUTOFF]: 'shut off',
  [VIR_DOMAIN.CRASHED]: 'crashed',
  [VIR_DOMAIN.PMSUSPENDED]: 'pmsuspended',
};

export function stateWord(s: VirDomainState): string {
  return STATE_WORDS[s];
}

/** virshDomainStateReasonToString, for the reasons above. */
export function reasonWord(s: VirDomainState, reason: number): string {
  const words: Partial<Record<VirDomainState, readonly string[]>> = {
    [VIR_DOMAIN.RUNNING]: ['unknown', 'booted', 'migrated', 'restored', 'from snapshot', 'unpaused'],
    [VIR_DOMAIN.PAUSED]: ['unknown', 'user'],
    [VIR_DOMAIN.SHUTDOWN]: ['unknown', 'user'],
    [VIR_DOMAIN.SHUTOFF]: ['unknown', 'shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed'],
    [VIR_DOMAIN.CRASHED]: ['unknown', 'panicked'],
  };
  return words[s]?.[reason] ?? 'unknown';
}

/** virVcpuState, and virsh's words for it. */
export const VIR_VCPU = { OFFLINE: 0, RUNNING: 1, BLOCKED: 2 } as const;
export type VirVcpuState = (typeof VIR_VCPU)[keyof typeof VIR_VCPU];

export function vcpuStateWord(s: VirVcpuState): string {
  return s === VIR_VCPU.RUNNING ? 'running' : s === VIR_VCPU.BLOCKED ? 'idle' : 'offline';
}
