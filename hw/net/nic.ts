// The host's physical NIC, the one dom0's driver owns (a Broadcom Tigon3 on xeon-2003, a
// 10 GbE card on modern): a transmit queue onto the wire and a receive ring with interrupt
// moderation. Received frames wait in the ring and the NIC interrupts, then stays quiet until
// the driver has drained the ring and re-enabled it (NAPI). Moderation is adaptive, as ixgbe's
// adaptive ITR and e1000e's dynamic mode are: while frames come a few at a time (latency
// traffic) the interrupt is immediate; once an interrupt had a batch behind it (bulk traffic)
// the next comes no sooner than `rxCoalesceNs` after it. A full ring drops frames.
//
// Who calls it: dom0's NIC driver (transmit, take, enable) and the wire (receive). Its
// descriptor rings are not modelled register by register: dom0 is trusted, and only its CPU
// time per frame (charged by the driver) and the NIC's own timing matter here.
import { Timer, type Engine } from '../engine';
import { EthernetPort, type FrameSink, type LinkTiming } from './link';

/** An interrupt with at most this many frames behind it counts as latency traffic. */
const LATENCY_FRAMES = 2;

export interface PhysicalNicOptions {
  /** Frames the transmit queue holds (Linux txqueuelen plus the ring). */
  readonly txQueueFrames: number;
  /** Receive descriptors. */
  readonly rxRingFrames: number;
  /** Interrupt moderation: the shortest time between two receive interrupts. */
  readonly rxCoalesceNs: number;
}

export class PhysicalNicStats {
  txFrames = 0;
  txDropped = 0;
  rxFrames = 0;
  rxDropped = 0;
  interrupts = 0;
}

export class PhysicalNic implements FrameSink {
  readonly port: EthernetPort;
  readonly stats = new PhysicalNicStats();
  private readonly rx: Uint8Array[] = [];
  private irqEnabled = true;
  private lastIrqAt = -Infinity;
  /** Frames received since the last interrupt, and behind it. */
  private sinceIrq = 0;
  private behindLastIrq = 0;
  private readonly coalesce: Timer;

  constructor(
    private readonly engine: Engine,
    timing: LinkTiming,
    private readonly opts: PhysicalNicOptions,
    /** The NIC's interrupt line (routed by Xen to dom0). */
    private readonly raise: () => void,
  ) {
    this.port = new EthernetPort(engine, timing, opts.txQueueFrames);
    this.port.receiver = this;
    this.coalesce = new Timer(engine, () => this.fire());
  }

  /** Queues a frame for the wire; false when the queue is full (the frame is dropped). */
  transmit(frame: Uint8Array): boolean {
    if (!this.port.send(frame)) {
      this.stats.txDropped++;
      return false;
    }
    this.stats.txFrames++;
    return true;
  }

  /** A frame from the wire. */
  receive(frame: Uint8Array): void {
    if (this.rx.length >= this.opts.rxRingFrames) {
      this.stats.rxDropped++;
      return;
    }
    this.stats.rxFrames++;
    this.rx.push(frame);
    this.sinceIrq++;
    this.schedule();
  }

  /** Frames waiting in the receive ring. */
  get pending(): number {
    return this.rx.length;
  }

  /** Takes up to `max` received frames, oldest first. */
  take(max: number): Uint8Array[] {
    return this.rx.splice(0, Math.max(0, max));
  }

  /** The driver finished its poll: interrupts back on (frames already waiting raise one). */
  enableIrq(): void {
    this.irqEnabled = true;
    this.schedule();
  }

  private schedule(): void {
    if (!this.irqEnabled || this.rx.length === 0 || this.coalesce.armed) return;
    const bulk = this.behindLastIrq > LATENCY_FRAMES;
    this.coalesce.set(bulk ? Math.max(this.engine.now, this.lastIrqAt + this.opts.rxCoalesceNs) : this.engine.now);
  }

  private fire(): void {
    if (!this.irqEnabled || this.rx.length === 0) return;
    this.irqEnabled = false;
    this.lastIrqAt = this.engine.now;
    this.behindLastIrq = this.sinceIrq;
    this.sinceIrq = 0;
    this.stats.interrupts++;
    this.raise();
  }
}
