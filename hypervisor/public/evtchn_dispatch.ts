// A kernel's event-channel dispatch: which handler each port runs, and one pass of the 2-level
// upcall handler over shared_info (scanPending's order; each port's pending bit is acked by
// clearing it before its handler runs). Both guest kernels and dom0 use it, as Linux's
// drivers/xen/events code serves every Xen kernel.
import { clearPending, scanPending, isUpcallPending } from './event_channel';

export type PortHandler = (port: number) => void;

/** Bounds one upcall: Linux loops while upcall_pending is set again; so do we, this often. */
export const MAX_UPCALL_PASSES = 64;

export class PortDispatch {
  private readonly handlers: (PortHandler | undefined)[] = [];
  private resumeFrom = 0;
  /** Events whose port had no handler (spurious, or for a port the kernel closed). */
  spurious = 0;

  constructor(
    private readonly sharedInfo: () => Uint8Array,
    private readonly vcpu: number,
  ) {}

  bind(port: number, handler: PortHandler): void {
    this.handlers[port] = handler;
  }

  unbind(port: number): void {
    this.handlers[port] = undefined;
  }

  /** Handles every pending, unmasked port; returns how many handlers ran. */
  dispatch(): number {
    const si = this.sharedInfo();
    let ran = 0;
    for (let pass = 0; pass < MAX_UPCALL_PASSES; pass++) {
      const ports = scanPending(si, this.vcpu, this.resumeFrom);
      for (const port of ports) {
        clearPending(si, port);
        this.resumeFrom = port + 1;
        const h = this.handlers[port];
        if (h === undefined) this.spurious++;
        else {
          h(port);
          ran++;
        }
      }
      if (!isUpcallPending(si, this.vcpu)) break;
    }
    return ran;
  }
}
