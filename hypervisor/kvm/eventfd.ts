// The kernel side of eventfds on a KVM host (REFERENCE §10.1): a counter and the host thread
// that polls it. Signalling a readable eventfd marks it pending for that thread (the thread's
// poll set, modelled by its interrupt bit) and, if the thread sleeps, wakes it — after the
// wake-up latency of its kind of sleep: a QEMU I/O thread comes back from ppoll through user
// space (virt.ioeventfdWakeNs for a kick), a vhost worker is woken inside the kernel. An irqfd
// is an eventfd whose signal injects a guest interrupt instead.
//
// Who calls it: hypervisor/kvm (ioeventfd matches, irqfd), and host code through the public
// EventFd interface.
import type { Hypervisor } from '../hypervisor';
import type { EventFd } from '../public/kvm';
import type { Vcpu } from '../vcpu';

/** The bit of a host thread's interrupt word that means "an fd you poll is readable". */
export const POLL_READABLE = 1;

export class KernelEventFd implements EventFd {
  private count = 0;
  signals = 0;

  constructor(
    private readonly hv: Hypervisor,
    /** The host thread polling it, or undefined when `onSignal` consumes it (irqfd). */
    readonly poller: Vcpu | undefined,
    private readonly wakeLatencyNs: number,
    private readonly onSignal?: () => void,
  ) {}

  signal(): void {
    this.count++;
    this.signals++;
    if (this.onSignal) return this.onSignal();
    const t = this.poller;
    if (!t) return;
    t.irqPending |= POLL_READABLE;
    if (!t.blocked) return; // it looks at its fds before it sleeps again
    if (this.wakeLatencyNs === 0) return this.hv.core.kick(t);
    // The thread is asleep: it runs its handler only after its wake-up path. If something else
    // woke it meanwhile and it took the event, the late wake-up finds nothing to do.
    this.hv.engine.after(this.wakeLatencyNs, { fire: () => { if (t.irqPending & POLL_READABLE) this.hv.core.kick(t); } });
  }

  read(): number {
    const c = this.count;
    this.count = 0;
    return c;
  }
}
