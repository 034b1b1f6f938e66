// The guest kernel's view of a network interface: what every network driver (netfront, and the
// native e1000 and rtl8139 drivers) offers the protocol stack, in the shape of Linux's
// net_device with NAPI. Transmit: frames are queued as fragments in guest memory, then one
// kick makes the whole batch visible (a tail-register write, or a ring push that notifies only
// if the other end asked, like xmit_more). Receive: the device signals (an interrupt, an event
// channel), the stack acknowledges it, polls until the device is drained, then re-arms it.
import type { Mac } from '../../hw/net/frame';
import type { KGen } from '../kernel/types';

/** A piece of a frame in guest-physical memory that does not cross a page boundary. */
export interface TxFrag {
  readonly gpa: number;
  readonly len: number;
}

export interface TxFrame {
  /** The frame's pieces in order: the headers first. */
  readonly frags: TxFrag[];
  readonly bytes: number;
  /** Called once the device no longer needs the memory (transmit completion). */
  readonly done: () => void;
}

export class NetDeviceStats {
  txFrames = 0;
  txBytes = 0;
  rxFrames = 0;
  rxBytes = 0;
  /** Doorbells or ring pushes. */
  kicks = 0;
  /** Notifications (event sends) the driver made, and pushes that needed none. */
  notifications = 0;
  suppressed = 0;
  /** Interrupts or events taken. */
  interrupts = 0;
  /** Frames or responses the driver found malformed and threw away. */
  rxErrors = 0;
  txErrors = 0;
}

export interface NetDevice {
  readonly name: string;
  readonly mac: Mac;
  readonly stats: NetDeviceStats;
  /** The largest MTU the device can carry, if it has a limit below what the link allows. */
  readonly maxMtu?: number;
  /** Why the device stopped working (a broken backend, a device that never answered). */
  readonly failed: string | undefined;
  /** How many more frames of up to `frags` fragments the device can accept now. */
  txRoom(frags: number): number;
  /** Queues a frame for the next kick; false if there is no room (nothing queued). */
  queue(f: TxFrame): boolean;
  /** Makes every queued frame visible to the device. */
  kick(): KGen;
  /** Has the device signalled since it was last acknowledged? Takes the signal. */
  signalled(): boolean;
  /** The interrupt handler's device work (read and acknowledge the cause, mask it). */
  ack(): KGen;
  /** Reaps transmit completions and returns up to `budget` received frames, each a private
   *  copy; their buffers go back to the device. */
  poll(budget: number): KGen<Uint8Array[]>;
  /** The poll is done: unmask the device (more work shows up as a new signal). */
  rearm(): KGen;
}
