// The device model (QEMU as Xen's ioreq server, REFERENCE §6.2): a user-space process in dom0
// holding an HVM guest's emulated devices. Xen forwards each trapped access as an ioreq in
// the shared page and kicks the vCPU's port; the DM takes it (READY → INPROCESS), runs the
// device's register handler, writes the result and answers (IORESP_READY), then notifies.
// The devices DMA into guest memory through foreign mappings, their disk I/O goes to the
// same dom0 volumes blkback serves, and their interrupts go back with dm_op. All of its work
// runs on dom0's vCPUs as user time, so a busy or capped dom0 slows the guest it serves.
import type { BlockBackend, DmaMemory, IoSpace, IrqLine } from '../../hw/devices/bus';
import type { VcpuEnv } from '../../hypervisor/public/guest';
import { HYPERCALL } from '../../hypervisor/public/xen';
import { evtchnSend } from '../../hypervisor/public/calls';
import { IOREQ_READ, IOREQ_TYPE_PIO, STATE_IOREQ_INPROCESS, STATE_IOREQ_READY, STATE_IORESP_READY, readIoreq, setIoreqData, setIoreqState } from '../../hypervisor/public/hvm/ioreq';
import type { Dom0Kernel, DGen } from '../kernel';
import type { BlockTarget } from '../volumes';
import { pagedMemory } from '../../hw/devices/paged';
import type { DeviceCosts } from '../../hw/platforms/profile';

/** dm_op sub-op that raises an ISA interrupt line (public/hvm/dm_op.h). */
const DMOP_SET_ISA_IRQ_LEVEL = 9;

export class DeviceModel {
  private env: VcpuEnv | undefined;
  readonly stats = { ioreqs: 0, irqsRaised: 0, completions: 0 };

  constructor(
    private readonly k: Dom0Kernel,
    readonly guest: number,
    private readonly ioreqPage: Uint8Array,
    /** dom0's ends of the per-vCPU ioreq event channels. */
    private readonly localPorts: number[],
    readonly io: IoSpace,
    private readonly costs: DeviceCosts,
  ) {
    localPorts.forEach((port, vcpu) => k.dispatch[0]?.bind(port, () => k.defer((env) => this.serve(env, vcpu))));
  }

  /** Guest RAM as the devices see it: dom0's foreign mappings of the guest's frames. */
  dma(): DmaMemory {
    const guest = this.guest;
    return pagedMemory((gfn) => this.k.envs[0]?.foreignPage(guest, gfn));
  }

  /** An interrupt line of the guest: raised with dm_op from the DM's context. */
  irq(line: number): IrqLine {
    return {
      raise: () => {
        this.stats.irqsRaised++;
        if (this.env) this.setIrq(this.env, line);
        else this.k.defer((env) => this.setIrqWork(env, line));
      },
      lower: () => {},
    };
  }

  /** A disk for the devices: the dom0 volume, whose completions QEMU handles in its loop. */
  block(target: BlockTarget): BlockBackend {
    return {
      sizeSectors: target.sizeSectors,
      submit: (req, done) =>
        target.submit(req, (r) => {
          this.k.defer((env) => this.complete(env, () => done(r)));
          this.k.raiseDiskIrq();
        }),
    };
  }

  private *complete(env: VcpuEnv, fn: () => void): DGen {
    this.stats.completions++;
    this.k.chargeUser(this.costs.dmCompletionNs);
    yield* this.k.settle(env); // the interrupt is raised once QEMU has done the work
    this.env = env;
    fn();
    this.env = undefined;
  }

  private *setIrqWork(env: VcpuEnv, line: number): DGen {
    this.setIrq(env, line);
  }

  private setIrq(env: VcpuEnv, line: number): void {
    env.hypercall(HYPERCALL.dm_op, this.guest, DMOP_SET_ISA_IRQ_LEVEL, { irq: line, level: 1 });
  }

  /** One ioreq: READY → INPROCESS → run the access → IORESP_READY → notify. */
  private *serve(env: VcpuEnv, vcpu: number): DGen {
    const r = readIoreq(this.ioreqPage, vcpu);
    if (r.state !== STATE_IOREQ_READY) return;
    setIoreqState(this.ioreqPage, vcpu, STATE_IOREQ_INPROCESS);
    this.stats.ioreqs++;
    this.k.chargeUser(this.costs.dmAccessNs);
    const space = r.type === IOREQ_TYPE_PIO ? 'pio' : 'mmio';
    const size = r.size === 1 || r.size === 2 ? r.size : 4;
    this.env = env;
    let value = 0;
    if (r.dir === IOREQ_READ) value = this.io.read(r.addr, size, space);
    else this.io.write(r.addr, size, r.data, space);
    this.env = undefined;
    yield* this.k.settle(env); // the vCPU resumes once QEMU has done the access
    setIoreqData(this.ioreqPage, vcpu, value);
    setIoreqState(this.ioreqPage, vcpu, STATE_IORESP_READY);
    evtchnSend(env, this.localPorts[vcpu]!);
  }
}
