// QEMU's block layer under an emulated disk controller on a KVM host (IDE, AHCI): the device
// model submits from the vCPU thread, inside the register handler that started the transfer;
// the host disk completes asynchronously (linux-aio), its completion eventfd wakes QEMU's I/O
// thread, and that thread runs the device's completion callback — DMA into guest RAM, the
// interrupt line raised with KVM_IRQ_LINE — as user time. Xen's device model does the same
// work in dom0 (dom0/qemu/dm.ts); here nothing but the I/O thread has to be scheduled.
//
// Who calls it: the lab, wiring a VM's emulated devices to the host's block devices.
import type { BlockBackend, BlockResult } from '../../hw/devices/bus';
import type { DeviceCosts, KernelCosts } from '../../hw/platforms/profile';
import type { EventFd } from '../../hypervisor/public/kvm';
import type { HostGen, HostThread } from '../thread';

interface Done {
  result: BlockResult;
  callback: (r: BlockResult) => void;
}

export class QemuAio {
  private readonly completed: Done[] = [];
  readonly stats = { submitted: 0, completed: 0, batches: 0 };

  constructor(
    private readonly thread: HostThread,
    private readonly doneFd: EventFd,
    private readonly costs: { kernel: KernelCosts; devices: DeviceCosts },
  ) {
    thread.watch(doneFd, () => this.onDone());
  }

  /** The disk as a device model sees it: completions come back on the I/O thread. */
  backend(target: BlockBackend): BlockBackend {
    return {
      sizeSectors: target.sizeSectors,
      submit: (req, done) => {
        this.stats.submitted++;
        target.submit(req, (result) => {
          this.completed.push({ result, callback: done });
          this.doneFd.signal();
        });
      },
    };
  }

  private *onDone(): HostGen {
    const batch = this.completed.splice(0);
    if (batch.length === 0) return;
    this.stats.batches++;
    this.thread.charge(this.costs.kernel.irqEntryNs, 'kernel'); // the host disk's interrupt
    for (const d of batch) {
      this.thread.charge(this.costs.devices.dmCompletionNs, 'user');
      yield* this.thread.settle();
      this.stats.completed++;
      d.callback(d.result);
    }
  }
}
