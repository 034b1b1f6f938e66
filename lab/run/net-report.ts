// A domain's network as the report shows it: its interface, what went through it, and for the
// backend side what netback, the device model's tap and the bridge did with it.
import { ipToString, macToString } from '../../hw/net/frame';
import type { GuestEntry } from './world';

export interface NetReport {
  /** netfront, e1000, rtl8139 or virtio. */
  nic: string;
  ip: string;
  mac: string;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Interrupts (or events) the driver took, and doorbells or ring pushes it made. */
  interrupts: number;
  kicks: number;
  /** Frames the stack dropped (not for it, malformed, no socket). */
  dropped: number;
  /** The backend side: netback's or the tap's counts (the frames it dropped included). */
  backend: Record<string, number>;
}

export function netReport(g: GuestEntry): NetReport | undefined {
  const gn = g.net;
  const stack = gn?.stack;
  if (!gn || !stack) return undefined;
  const d = stack.dev.stats;
  const vif = gn.vifs[0];
  const other = gn.tap?.stats ?? gn.qemuTap?.stats ?? gn.virtio?.stats;
  const backend = vif && vif.connected ? { ...vif.stats } : other ? { ...other } : {};
  return {
    nic: g.kernel ? 'netfront' : (gn.model ?? 'none'), ip: ipToString(gn.ip), mac: macToString(gn.mac),
    framesIn: stack.stats.framesIn, framesOut: stack.stats.framesOut, bytesIn: d.rxBytes, bytesOut: d.txBytes,
    interrupts: d.interrupts, kicks: d.kicks, dropped: stack.stats.dropped, backend: backend as unknown as Record<string, number>,
  };
}
