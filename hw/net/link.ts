// An Ethernet link: two ports joined by a full-duplex cable through one switch hop. Each port
// is a NIC's transmit engine (its MAC and PHY): a frame queued on it is first fetched from host
// memory (the per-frame DMA work), then serialized onto the wire at the link rate — payload,
// header, FCS, preamble and inter-frame gap — and reaches the far port `latency` after its
// last bit left. Fetching the next frame overlaps sending this one, so a stream of frames runs
// at the slower of the two stages. A frame holds its place in the queue until it has left the
// wire; a full queue refuses more, and `onSpace` says when there is room again.
//
// Who calls it: the NIC models (the host's physical NIC, the native e1000) and the remote peer.
// The timing numbers come from the platform profile's `net` group, passed in by the lab.
import type { Engine, Handler } from '../engine';

export interface FrameSink {
  receive(frame: Uint8Array): void;
}

export interface LinkTiming {
  /** Link rate, bytes per ns. */
  readonly bytesPerNs: number;
  /** Wire bytes per frame beyond the frame itself (preamble, FCS, gap). */
  readonly frameOverheadBytes: number;
  /** The NIC's per-frame work before the frame can go (descriptor and data fetch). */
  readonly perPacketNs: number;
  /** Cable and switch, after the last bit left. */
  readonly latencyNs: number;
}

/** Frames shorter than this are padded on the wire (60 bytes + 4 of FCS = 64). */
const MIN_FRAME_BYTES = 60;

export class PortStats {
  txFrames = 0;
  txBytes = 0;
  rxFrames = 0;
  rxBytes = 0;
  /** Frames refused because the transmit queue was full. */
  txRefused = 0;
  /** Wire time spent sending, ns. */
  busyNs = 0;
}

export class EthernetPort {
  readonly stats = new PortStats();
  /** Who gets the frames that arrive at this port. */
  receiver: FrameSink | undefined;
  /** Called when a frame has left the wire and the queue has room again. */
  onSpace: (() => void) | undefined;
  private far: EthernetPort | undefined;
  private queued = 0;
  private fetchFree = 0;
  private wireFree = 0;

  constructor(
    private readonly engine: Engine,
    readonly timing: LinkTiming,
    /** Frames the port holds (queued, fetching, on the wire) before it refuses more. */
    readonly queueFrames: number,
  ) {}

  /** Plugs the cable between two ports. */
  static connect(a: EthernetPort, b: EthernetPort): void {
    a.far = b;
    b.far = a;
  }

  /** Frames queued and not yet off the wire. */
  get backlog(): number {
    return this.queued;
  }

  get full(): boolean {
    return this.queued >= this.queueFrames;
  }

  /** Wire time of one frame of `len` bytes. */
  serializeNs(len: number): number {
    return Math.ceil((Math.max(MIN_FRAME_BYTES, len) + this.timing.frameOverheadBytes) / this.timing.bytesPerNs);
  }

  /** Queues a frame; false (and nothing sent) when the queue is full. */
  send(frame: Uint8Array): boolean {
    if (this.full) {
      this.stats.txRefused++;
      return false;
    }
    const now = this.engine.now;
    const fetched = Math.max(now, this.fetchFree) + this.timing.perPacketNs;
    this.fetchFree = fetched;
    const start = Math.max(fetched, this.wireFree);
    const wire = this.serializeNs(frame.length);
    this.wireFree = start + wire;
    this.queued++;
    this.stats.txFrames++;
    this.stats.txBytes += frame.length;
    this.stats.busyNs += wire;
    this.engine.at(this.wireFree, this.leftWire);
    const far = this.far;
    if (far) this.engine.at(this.wireFree + this.timing.latencyNs, { fire: () => far.arrive(frame) });
    return true;
  }

  private readonly leftWire: Handler = {
    fire: () => {
      this.queued--;
      this.onSpace?.();
    },
  };

  private arrive(frame: Uint8Array): void {
    this.stats.rxFrames++;
    this.stats.rxBytes += frame.length;
    this.receiver?.receive(frame);
  }
}
