// QEMU's tap netdev under an emulated NIC (e1000, rtl8139) on a KVM host. Transmit: the NIC
// model hands a frame over inside the register handler the guest's tail write started, so
// QEMU's vCPU thread does the emulation and the write(2) into the host kernel, where the bridge
// takes it — all on that vCPU thread's time (`vcpuCharge`). Receive: a frame the bridge sends
// the tap waits in its queue; the tap's fd becomes readable and QEMU's I/O thread reads it and
// offers it to the NIC model (DMA into guest RAM, the interrupt raised with KVM_IRQ_LINE),
// until the NIC has no receive buffers; the guest's next buffers (an RDT or CAPR write) flush
// the queue again. Xen's device model does the same work in dom0 (dom0/qemu/nic.ts).
//
// Who calls it: the NIC model (send), the bridge (deliver), the I/O thread's loop. Wired by the lab.
import { TAP_QUEUE_FRAMES, type EthernetBackend, type NicModel } from '../../hw/net/ethernet';
import type { KernelCosts, NetCosts } from '../../hw/platforms/profile';
import type { EventFd } from '../../hypervisor/public/kvm';
import type { HostGen, HostThread } from '../thread';


export interface QemuTapDeps {
  readonly ioThread: HostThread;
  /** Signalled when the tap has frames to read; the I/O thread watches it. */
  readonly readable: EventFd;
  /** The frame into the host kernel (the bridge), with its kernel work charged to `payer`. */
  readonly intoKernel: (frame: Uint8Array, payer: (ns: number) => void) => void;
  /** Charges the vCPU thread running the register handler: user (QEMU) and kernel time. */
  readonly vcpuCharge: (userNs: number, kernelNs: number) => void;
  readonly costs: { kernel: KernelCosts; net: NetCosts };
}

export class QemuTapStats {
  txFrames = 0;
  rxFrames = 0;
  /** Dropped: the tap's queue was full, or the NIC refused the frame (filtered). */
  rxDropped = 0;
  irqsRaised = 0;
}

export class QemuTap implements EthernetBackend {
  readonly stats = new QemuTapStats();
  private nic: NicModel | undefined;
  private readonly queue: Uint8Array[] = [];

  constructor(readonly name: string, private readonly deps: QemuTapDeps) {
    deps.ioThread.watch(deps.readable, () => this.receive());
  }

  attach(nic: NicModel): void {
    this.nic = nic;
    nic.onRxSpace = () => {
      if (this.queue.length > 0) this.deps.readable.signal();
    };
  }

  /** A frame the guest transmitted, from QEMU's NIC model in the vCPU thread. */
  send(frame: Uint8Array): boolean {
    this.stats.txFrames++;
    const c = this.deps.costs;
    this.deps.vcpuCharge(c.net.driverPerPacketNs + Math.ceil(frame.length / c.kernel.memcpyBytesPerNs), c.kernel.syscallNs);
    this.deps.intoKernel(frame, (ns) => this.deps.vcpuCharge(0, ns));
    return true;
  }

  /** A frame the bridge sends this guest. */
  deliver(frame: Uint8Array): void {
    if (this.queue.length >= TAP_QUEUE_FRAMES) return void this.stats.rxDropped++;
    this.queue.push(frame);
    this.deps.readable.signal();
  }

  /** The I/O thread reads the tap and offers each frame until the NIC has no buffers left. */
  private *receive(): HostGen {
    const nic = this.nic;
    const t = this.deps.ioThread;
    const c = this.deps.costs;
    while (nic && this.queue.length > 0) {
      const r = nic.receive(this.queue[0]!);
      if (r === 'no-buffers') break; // flushed again when the guest gives buffers
      const f = this.queue.shift()!;
      if (r === 'filtered') this.stats.rxDropped++;
      else this.stats.rxFrames++;
      t.syscall(); // read(2)
      t.charge(c.net.driverPerPacketNs + Math.ceil(f.length / c.kernel.memcpyBytesPerNs), 'user');
      yield* t.settle();
    }
  }
}
