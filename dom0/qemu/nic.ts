// The device model's NIC backend: QEMU's tap netdev. The emulated NIC (an e1000 or rtl8139 of
// hw/devices) sends each frame its guest driver queued into the tap — a write() into dom0's
// kernel, where the bridge forwards it — and frames the bridge sends the tap (port
// vif<domid>.<devid>-emu) wait in its queue until QEMU reads them and the NIC has receive
// buffers for them. When the guest gives the NIC buffers again (an RDT or CAPR write), QEMU
// flushes the queue, as qemu_flush_queued_packets does.
//
// Costs: QEMU's emulation of each frame (descriptors, the DMA copy through its mapcache) is
// dom0 user time; the tap's read or write is a system call of a dom0 process (dom0 is a PV
// kernel: on x86-64 the call bounces through Xen and returns with an iret hypercall).
// Interrupts: a frame received in QEMU's context raises the guest's line with dm_op there; one
// raised while QEMU serves an ioreq goes through the ioreq's own context; one raised by the
// NIC's own timer (e1000 interrupt moderation) is handed to QEMU as new work.
// `in-process` placement (TCG, where the emulator runs the devices inside the guest's own
// execution): the frame's trip into dom0's kernel is scheduled as dom0 work instead.
import type { AddressSpace, IoSize, IrqLine, PortDevice } from '../../hw/devices/bus';
import { TAP_QUEUE_FRAMES, type EthernetBackend, type NicModel } from '../../hw/net/ethernet';
import type { VcpuEnv } from '../../hypervisor/public/guest';
import { HYPERCALL } from '../../hypervisor/public/xen';
import { DMOP } from '../../hypervisor/public/hvm/dm_op';
import type { Dom0Kernel, DGen } from '../kernel';
import type { Bridge, BridgePort } from '../net/bridge';


export interface TapCosts {
  /** QEMU's emulation work per frame, ns. */
  readonly perPacketNs: number;
  readonly memcpyBytesPerNs: number;
}

export class TapStats {
  txFrames = 0;
  rxFrames = 0;
  /** Frames dropped: the tap's queue was full, or the NIC refused them (filtered). */
  rxDropped = 0;
  irqsRaised = 0;
}

export class TapBackend implements EthernetBackend, BridgePort {
  readonly name: string;
  readonly stats = new TapStats();
  private nicModel: NicModel | undefined;
  private readonly rxQueue: Uint8Array[] = [];
  private env: VcpuEnv | undefined;
  private inAccess = false;
  private scheduled = false;

  constructor(
    private readonly k: Dom0Kernel,
    private readonly bridge: Bridge,
    readonly guest: number,
    devid: number,
    private readonly costs: TapCosts,
    private readonly placement: 'device-model' | 'in-process',
    /** Makes dom0 run its queued work now (an event to its vCPU 0). */
    private readonly wake: () => void,
  ) {
    this.name = `vif${guest}.${devid}-emu`;
  }

  /** Plugs the emulated NIC in and the tap into the bridge. */
  attach(nic: NicModel): void {
    this.nicModel = nic;
    nic.onRxSpace = () => this.kick(this.placement === 'in-process');
    this.bridge.add(this);
  }

  /** Unplugged (PVHVM's unplug of the emulated NICs): the tap leaves the bridge. */
  detach(): void {
    this.bridge.remove(this);
    this.rxQueue.length = 0;
  }

  /** The NIC's register window, marked so interrupts raised during an ioreq use its context. */
  guard(dev: PortDevice): PortDevice {
    const run = <T>(fn: () => T): T => {
      this.inAccess = true;
      try {
        return fn();
      } finally {
        this.inAccess = false;
      }
    };
    return {
      name: dev.name, ports: dev.ports, mmio: dev.mmio,
      read: (a: number, s: IoSize, sp: AddressSpace) => run(() => dev.read(a, s, sp)),
      write: (a: number, s: IoSize, v: number, sp: AddressSpace) => run(() => dev.write(a, s, v, sp)),
    };
  }

  /** The guest's interrupt line for a device-model NIC: dm_op from whichever QEMU context. */
  irq(line: number, dmLine: IrqLine): IrqLine {
    const raise = (env: VcpuEnv): void => void env.hypercall(HYPERCALL.dm_op, this.guest, DMOP.set_isa_irq_level, { irq: line, level: 1 });
    return {
      raise: () => {
        this.stats.irqsRaised++;
        if (this.inAccess) return dmLine.raise();
        if (this.env) return raise(this.env);
        this.k.defer(function* (env: VcpuEnv): DGen {
          raise(env);
        });
        this.wake();
      },
      lower: () => {},
    };
  }

  /** A frame from the emulated NIC (the guest transmitted it). */
  send(frame: Uint8Array): boolean {
    this.stats.txFrames++;
    if (this.placement === 'in-process') {
      this.k.defer((env) => this.intoBridge(env, frame));
      this.wake();
      return true;
    }
    this.k.chargeUser(this.costs.perPacketNs + Math.ceil(frame.length / this.costs.memcpyBytesPerNs));
    this.k.syscall();
    this.bridge.input(this, frame);
    return true;
  }

  /** A frame the bridge sends this guest. */
  deliver(frame: Uint8Array): void {
    if (this.rxQueue.length >= TAP_QUEUE_FRAMES) return void this.stats.rxDropped++;
    this.rxQueue.push(frame);
    this.kick(false);
  }

  private *intoBridge(env: VcpuEnv, frame: Uint8Array): DGen {
    void env;
    this.k.syscall();
    this.bridge.input(this, frame);
  }

  private kick(wake: boolean): void {
    if (this.scheduled || this.rxQueue.length === 0) return;
    this.scheduled = true;
    this.k.defer((env) => this.receive(env));
    if (wake) this.wake();
  }

  /** QEMU reads the tap and offers each frame to the NIC until it has no buffers left. */
  private *receive(env: VcpuEnv): DGen {
    this.scheduled = false;
    const nic = this.nicModel;
    if (!nic) return;
    this.env = env;
    while (this.rxQueue.length > 0) {
      const r = nic.receive(this.rxQueue[0]!);
      if (r === 'no-buffers') break; // flushed again when the guest gives buffers
      const f = this.rxQueue.shift()!;
      if (r === 'filtered') this.stats.rxDropped++;
      else this.stats.rxFrames++;
      if (this.placement === 'device-model') this.k.chargeUser(this.costs.perPacketNs + Math.ceil(f.length / this.costs.memcpyBytesPerNs));
      this.k.syscall();
    }
    this.env = undefined;
    yield* this.k.settle(env);
  }
}
