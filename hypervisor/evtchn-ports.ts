// One domain's event-channel ports (Xen's struct evtchn array): the state, peer and vCPU of
// each port as parallel typed arrays indexed by port number, and a two-level free-port bitmap
// so allocation takes the lowest free port without scanning. As in Xen, ports come in buckets
// of 64 allocated on demand: a domain starts with one, a port beyond the allocated buckets is
// not valid (EINVAL), and a bucket once allocated stays. Only evtchn.ts uses it.
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

/** Ports per bucket (Xen's EVTCHNS_PER_BUCKET: a page of 64-byte struct evtchn). */
export const EVTCHNS_PER_BUCKET = 64;

/** One domain's ports, as parallel typed arrays indexed by port number. */
export class PortTable {
  readonly limit: number;
  readonly vcpus: number;
  /** Ports in allocated buckets (Xen's valid_evtchns): only grows. */
  validPorts: number;
  state: Uint8Array;
  /** unbound: the domain allowed to bind; interdomain: the peer domain. */
  remoteDom: Int32Array;
  /** interdomain: the peer's port; virq: the VIRQ number. */
  remotePort: Int32Array;
  notifyVcpu: Uint8Array;
  /** Port bound to (vcpu, virq), 0 if none; slot vcpu * NR_VIRQS + virq. */
  readonly virqPort: Int32Array;
  /** Free-port bitmap over the valid ports (1 = free) and its summary (1 = that word has a
   *  free port). */
  readonly freeBits: Int32Array;
  readonly freeSummary: Int32Array;

  constructor(readonly id: number, readonly sharedInfo: Uint8Array, maxPorts: number, nrVcpus: number) {
    this.limit = Math.max(1, Math.min(EVTCHN_2L_NR_CHANNELS, Math.floor(maxPorts)));
    this.vcpus = Math.max(0, Math.min(XEN_LEGACY_MAX_VCPUS, Math.floor(nrVcpus)));
    this.validPorts = 0;
    this.state = new Uint8Array(0);
    this.remoteDom = new Int32Array(0);
    this.remotePort = new Int32Array(0);
    this.notifyVcpu = new Uint8Array(0);
    this.virqPort = new Int32Array(NR_VIRQS * this.vcpus);
    this.freeBits = new Int32Array(Math.ceil(this.limit / 32));
    this.freeSummary = new Int32Array(Math.ceil(this.freeBits.length / 32));
    this.addBucket();
    this.state[RESERVED_PORT] = ECS.reserved;
    this.markUsed(RESERVED_PORT);
  }

  valid(port: number): boolean { return Number.isInteger(port) && port >= 0 && port < this.validPorts; }
  validVcpu(vcpu: number): boolean { return Number.isInteger(vcpu) && vcpu >= 0 && vcpu < this.vcpus; }
  isFree(port: number): boolean { return (this.freeBits[port >>> 5]! & (1 << (port & 31))) !== 0; }
  /** The lowest free port, allocated or in the next bucket, or -1 when the domain is at its
   *  limit: two bit searches, no scan of ports. */
  private lowestFree(): number {
    for (let s = 0; s < this.freeSummary.length; s++) {
      if (this.freeSummary[s] === 0) continue;
      const w = s * 32 + lowestBit(this.freeSummary[s]!);
      return w * 32 + lowestBit(this.freeBits[w]!);
    }
    return this.validPorts < this.limit ? this.validPorts : -1;
  }
  /** Xen's get_free_port: the lowest free port, its bucket allocated if it needs one (so the
   *  bucket stays even if the caller then fails), or -1 at the limit. Marks nothing used. */
  freePort(): number {
    const p = this.lowestFree();
    if (p >= 0 && p === this.validPorts) this.addBucket();
    return p;
  }
  take(): number {
    const p = this.freePort();
    if (p >= 0) this.markUsed(p);
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
  private markUsed(p: number): void {
    const w = p >>> 5;
    this.freeBits[w] = this.freeBits[w]! & ~(1 << (p & 31));
    if (this.freeBits[w] === 0) this.freeSummary[w >>> 5] = this.freeSummary[w >>> 5]! & ~(1 << (w & 31));
  }
  private markFree(p: number): void {
    const w = p >>> 5;
    this.freeBits[w] = this.freeBits[w]! | (1 << (p & 31));
    this.freeSummary[w >>> 5] = this.freeSummary[w >>> 5]! | (1 << (w & 31));
  }
  /** Xen's evtchn_allocate_port growing valid_evtchns: the next bucket's ports become valid and
   *  free. The arrays double when full, so a domain that opens few ports keeps small ones. */
  private addBucket(): void {
    const from = this.validPorts;
    this.validPorts = Math.min(this.limit, from + EVTCHNS_PER_BUCKET);
    if (this.validPorts > this.state.length) {
      const cap = Math.min(this.limit, Math.max(EVTCHNS_PER_BUCKET, this.state.length * 2));
      this.state = grown(new Uint8Array(cap), this.state);
      this.remoteDom = grown(new Int32Array(cap), this.remoteDom);
      this.remotePort = grown(new Int32Array(cap), this.remotePort);
      this.notifyVcpu = grown(new Uint8Array(cap), this.notifyVcpu);
    }
    for (let p = from; p < this.validPorts; p++) this.markFree(p);
  }
  virqSlot(virq: number, vcpu: number): number { return vcpu * NR_VIRQS + virq; }
}

function grown<T extends Uint8Array | Int32Array>(to: T, from: T): T {
  to.set(from);
  return to;
}
