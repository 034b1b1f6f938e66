// What a native NIC driver needs from the unmodified kernel beyond register access (GuestIo):
// to take its interrupt line without sleeping, and to charge its CPU time to the kernel. (The
// per-packet work every driver does alike is charged by the stack, not here.)
import type { GuestIo } from './io';

export interface NicHost {
  readonly io: GuestIo;
  /** True if interrupt `line` fired since it was last taken. */
  takeIrq(line: number): boolean;
  /** Kernel CPU time to spend at the next opportunity. */
  charge(ns: number): void;
  readonly irqEntryNs: number;
  /** Copying memory inside the kernel, bytes per ns. */
  readonly memcpyBytesPerNs: number;
}
