// Dom0's driver for the machine's physical NIC (peth0, a port of the bridge). Transmit: the
// frame goes into the NIC's queue (dropped when the queue is full, as a full qdisc drops).
// Receive: the NIC's coalesced interrupt reaches dom0 through Xen; the handler only schedules
// the poll, which drains the receive ring in NAPI batches into the bridge and then re-enables
// the interrupt. Each frame costs the driver's per-packet work in dom0's kernel.
import type { PhysicalNic } from '../../hw/net/nic';
import type { VcpuEnv } from '../../hypervisor/public/guest';
import type { Dom0Kernel, DGen } from '../kernel';
import type { Bridge, BridgePort } from './bridge';

/** NAPI's per-poll budget. */
const BUDGET = 64;

export class PhysNicDriver implements BridgePort {
  readonly name = 'peth0';
  private polling = false;
  polls = 0;

  constructor(
    /** dom0's kernel, or on a KVM host the host kernel's (host/net/softirq.ts). */
    private readonly k: Pick<Dom0Kernel, 'charge' | 'defer' | 'settle'>,
    private readonly nic: PhysicalNic,
    private readonly bridge: Bridge,
    private readonly perPacketNs: number,
  ) {}

  /** A frame the bridge sends out of the machine. */
  deliver(frame: Uint8Array): void {
    this.k.charge(this.perPacketNs);
    this.nic.transmit(frame);
  }

  /** The NIC's interrupt, in dom0's upcall: schedule the poll. */
  onIrq(): void {
    if (this.polling) return;
    this.polling = true;
    this.k.defer((env) => this.poll(env));
  }

  private *poll(env: VcpuEnv): DGen {
    void env;
    for (let rounds = 0; rounds < 10_000; rounds++) {
      this.polls++;
      const frames = this.nic.take(BUDGET);
      for (const f of frames) {
        this.k.charge(this.perPacketNs);
        this.bridge.input(this, f);
      }
      yield* this.k.settle(env);
      if (frames.length < BUDGET) break;
    }
    this.polling = false;
    this.nic.enableIrq();
  }
}
