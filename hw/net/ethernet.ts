// The two sides of a NIC register model (the e1000, the rtl8139), whoever is behind it: the
// wire itself for a native machine's NIC, or the device model's tap into dom0's bridge for an
// emulated one. The model hands every frame its driver queued to its backend, and the backend
// hands it every frame that arrives.
import type { Mac } from './frame';

/** Frames a tap holds for a guest that has posted no receive buffers: Linux tun's default
 *  txqueuelen. Every tap backend uses it (Xen's device model, QEMU on KVM, virtio-net). */
export const TAP_QUEUE_FRAMES = 1000;

/** Where a NIC model sends frames. `false` means "busy": the model keeps the frame and stops
 *  its transmit ring until `NicModel.backendReady()` is called. */
export interface EthernetBackend {
  send(frame: Uint8Array): boolean;
}

/** What a NIC model did with a frame offered to it. */
export type RxResult =
  /** Written into the guest's buffers. */
  | 'ok'
  /** No receive buffer was free: a real NIC drops it (missed), a device model may queue it. */
  | 'no-buffers'
  /** Not for this NIC's address, or receive is off: dropped. */
  | 'filtered';

export interface NicModel {
  readonly name: string;
  readonly mac: Mac;
  receive(frame: Uint8Array): RxResult;
  /** The backend can take frames again after refusing one. */
  backendReady(): void;
  /** Set by the backend: called when the driver gives the NIC new receive buffers. */
  onRxSpace: (() => void) | undefined;
}
