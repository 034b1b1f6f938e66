// One domain's event-channel ports (Xen's struct evtchn array): the state, peer and vCPU of
// each port as parallel typed arrays indexed by port number, and a two-level free-port bitmap
// so allocation takes the lowest free port without scanning. Only evtchn.ts uses it.
import { EVTCHN_2L_NR_CHANNELS, EVTCHNSTAT, XEN_LEGACY_MAX_VCPUS } from './public/event_channel';
import { NR_VIRQS } from './public/xen';

/** Internal port states (Xen's ECS_*); free and reserved both report EVTCHNSTAT.closed. */
export const ECS = { free: 0, reserved: 1, unbound: 2, interdomain: 3, virq: 4, ipi: 5 } as const;
export const STAT_OF_ECS = [
  EVTCHNSTAT.closed, EVTCHNSTAT.closed, EVTCHNSTAT.unbound, EVTCHNSTAT.interdomain,
  EVTCHNSTAT.virq, EVTCHNSTAT.ipi,
];
/** Port 0 is reserved in every domain and never allocated. */
export const RESERVED_PORT = 0;
/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** One domain's ports, as parallel typed arrays indexed by port number. */
export class PortTable {
  readonly limit: number;
  readonly vcpus: number;
  readonly state: Uint8Array;
  /** unbound: the domain allowed to bind; interdomain: the peer domain. */
  readonly remoteDom: Int32Array;
  /** interdomain: the peer's port; virq: the VIRQ number. */
  readonly remotePort: Int32Array;
  readonly notifyVcpu: Uint8Array;
  /** Port bound to (vcpu, virq), 0 if none; slot vcpu * NR_VIRQS + virq. */
  readonly virqPort: Int32Array;
  /** Free-port bitmap (1 = free) and its summary (1 = that word has a free port). */
  readonly freeBits: Int32Array;
  readonly freeSummary: Int32Array;

  constructor(readonly id: number, readonly sharedInfo: Uint8Array, maxPorts: number, nrVcpus: number) {
    this.limit = Math.max(1, Math.min(EVTCHN_2L_NR_CHANNELS, Math.floor(maxPorts)));
    this.vcpus = Math.max(0, Math.min(XEN_LEGACY_MAX_VCPUS, Math.floor(nrVcpus)));
    this.state = new Uint8Array(this.limit);
    this.remoteDom = new Int32Array(this.limit);
    this.remotePort = new Int32Array(this.limit);
    this.notifyVcpu = new Uint8Array(this.limit);
    this.virqPort = new Int32Array(NR_VIRQS * this.vcpus);
    this.freeBits = new Int32Array(Math.ceil(this.limit / 32));
    this.freeSummary = new Int32Array(Math.ceil(this.freeBits.length / 32));
    this.state[RESERVED_PORT] = ECS.reserved;
    for (let p = RESERVED_PORT + 1; p < this.limit; p++) this.markFree(p);
  }

  valid(port: number): boolean { return Number.isInteger(port) && port >= 0 && port < this.limit; }
  validVcpu(vcpu: number): boolean { return Number.isInteger(vcpu) && vcpu >= 0 && vcpu < this.vcpus; }
  isFree(port: number): boolean { return (this.freeBits[port >>> 5]! & (1 << (port & 31))) !== 0; }
  /** The lowest free port, or -1 when the table is full: two bit searches, no scan of ports. */
  lowestFree(): number {
    for (let s = 0; s < this.freeSummary.length; s++) {
      if (this.freeSummary[s] === 0) continue;
      const w = s * 32 + lowestBit(this.freeSummary[s]!);
      return w * 32 + lowestBit(this.freeBits[w]!);
    }
    return -1;
  }
  take(): number {
    const p = this.lowestFree();
    if (p < 0) return p;
    const w = p >>> 5;
    this.freeBits[w] = this.freeBits[w]! & ~(1 << (p & 31));
    if (this.freeBits[w] === 0) this.freeSummary[w >>> 5] = this.freeSummary[w >>> 5]! & ~(1 << (w & 31));
    return p;
  }
  /** Sets every field of `port` at once. */
  set(port: number, state: number, remoteDom: number, remotePort: number, vcpu: number): void {
    this.state[port] = state;
    this.remoteDom[port] = remoteDom;
    this.remotePort[port] = remotePort;
    this.notifyVcpu[port] = vcpu;
  }
  release(port: number): void {
    this.set(port, ECS.free, 0, 0, 0);
    this.markFree(port);
  }
  private markFree(p: number): void {
    const w = p >>> 5;
    this.freeBits[w] = this.freeBits[w]! | (1 << (p & 31));
    this.freeSummary[w >>> 5] = this.freeSummary[w >>> 5]! | (1 << (w & 31));
  }
  virqSlot(virq: number, vcpu: number): number { return vcpu * NR_VIRQS + virq; }
}
