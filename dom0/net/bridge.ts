// Dom0's Linux bridge, xenbr0 (REFERENCE §8.4): it joins the backends' vif<domid>.<devid>
// ports, the device model's taps and the physical NIC (peth0), so guests reach each other and
// the world outside. A learning switch: it remembers which port each source MAC came from;
// a frame for a known MAC goes to that port only, one for an unknown or broadcast MAC to every
// other port. Forwarding runs in dom0's kernel, in the context of whoever handed the frame in
// (netback, the NIC driver, a tap), and is charged to dom0 per frame.
// Simplifications: no ageing of learned addresses, no STP, no VLANs, no netfilter.
import { BROADCAST_MAC, ETH_HLEN, frameDstMac, frameSrcMac, type Mac } from '../../hw/net/frame';
import type { Dom0Kernel } from '../kernel';

/** One port of the bridge: it takes the frames the bridge sends it. */
export interface BridgePort {
  readonly name: string;
  deliver(frame: Uint8Array): void;
}

export class BridgeStats {
  forwarded = 0;
  flooded = 0;
  /** Runts, and frames whose destination is on the port they came from. */
  dropped = 0;
}

const isGroup = (m: Mac): boolean => Math.floor(m / 2 ** 40) % 2 === 1;

export class Bridge {
  readonly stats = new BridgeStats();
  private ports: BridgePort[] = [];
  private readonly fdb = new Map<Mac, BridgePort>();

  constructor(
    readonly name: string,
    /** dom0's kernel, or on a KVM host the host kernel's (host/net/softirq.ts). */
    private readonly k: Pick<Dom0Kernel, 'charge'>,
    private readonly perFrameNs: number,
  ) {}

  add(p: BridgePort): void {
    if (!this.ports.includes(p)) this.ports.push(p);
  }

  remove(p: BridgePort): void {
    this.ports = this.ports.filter((x) => x !== p);
    for (const [mac, q] of this.fdb) if (q === p) this.fdb.delete(mac);
  }

  get portNames(): string[] {
    return this.ports.map((p) => p.name);
  }

  /** Where the bridge last saw `mac`. */
  portOf(mac: Mac): BridgePort | undefined {
    return this.fdb.get(mac);
  }

  /** A frame arriving on port `from`. */
  input(from: BridgePort, frame: Uint8Array): void {
    this.k.charge(this.perFrameNs);
    if (frame.length < ETH_HLEN || !this.ports.includes(from)) return void this.stats.dropped++;
    const src = frameSrcMac(frame);
    if (!isGroup(src)) this.fdb.set(src, from);
    const dst = frameDstMac(frame);
    const out = dst === BROADCAST_MAC || isGroup(dst) ? undefined : this.fdb.get(dst);
    if (out === from) return void this.stats.dropped++;
    if (out) {
      this.stats.forwarded++;
      return out.deliver(frame);
    }
    this.stats.flooded++;
    for (const p of this.ports) if (p !== from) p.deliver(frame);
  }
}
