// A guest kernel's clean power-off: Linux's xenbus_dev_shutdown walks every PV device to
// Closing and waits for its backend to reach Closed (REFERENCE §5.3, "Disconnect"), then the
// kernel calls SCHEDOP_shutdown(poweroff). A kernel without PV devices just shuts down.
import type { KGen } from './types';

/** A PV device that can take part in the disconnect handshake. */
export interface ClosableDevice {
  close(): KGen;
}

export function* powerOff(devices: readonly ClosableDevice[]): KGen {
  for (const d of devices) yield* d.close();
  yield { op: 'shutdown', reason: 'poweroff' };
}
