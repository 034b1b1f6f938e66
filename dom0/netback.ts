// netback: the PV network backend in dom0, one per vif (REFERENCE §2.5, §5.2, §5.3), and that
// vif's port on the bridge, named vif<domid>.<devid> as Xen names it. The handshake: features
// and InitWait when created (feature-sg, feature-rx-copy; no GSO, no split event channels);
// on the frontend's Initialised it reads tx-ring-ref, rx-ring-ref and event-channel, refuses a
// frontend that does not ask for rx-copy, maps both rings in one batch, binds the channel, joins
// the bridge and goes Connected; on Closing it leaves the bridge, unmaps, closes, goes Closed.
// The data paths are in netback-data.ts. The event channel's handler only schedules them; they
// run as dom0 kernel work, charged per packet. Anything impossible the frontend does shuts this
// vif down (an error node, Closing) and touches nothing else.
import { evtchnBindInterdomain, evtchnClose, evtchnSend, gnttabMap, gnttabUnmap } from '../hypervisor/public/calls';
import type { VcpuEnv } from '../hypervisor/public/guest';
import { GNTMAP_host_map, GNTST } from '../hypervisor/public/grant_table';
import { NETIF_RX_RING, NETIF_TX_RING } from '../hypervisor/public/io/netif';
import { XenbusState } from '../hypervisor/public/io/xs_wire';
import { BackRing } from '../ringbuf/ring';
import type { Mac } from '../hw/net/frame';
import type { ScratchPage } from './blkback-segments';
import type { Dom0Kernel, DGen } from './kernel';
import type { XenstoreService } from './xenstore/service';
import type { Bridge, BridgePort } from './net/bridge';
import { NetbackStats, rxRound, txRound, type NetbackCtx, type Outcome } from './netback-data';

/** Frames waiting for the guest's receive buffers before the vif drops more (a qdisc's length). */
export const RX_QUEUE_FRAMES = 512;
/** Rounds one scheduling of a data path runs before it yields to other dom0 work. */
const ROUNDS = 64;

export interface NetbackOptions {
  readonly mac: Mac;
  /** netback's own work per packet (skb handling, slot bookkeeping), ns. */
  readonly perPacketNs: number;
  /** Pages of dom0's memory for the copies. */
  scratchPage(): ScratchPage | undefined;
}

/** Schedules a data path as dom0 work, at most once at a time; a kick while it runs reruns it. */
class Job {
  private scheduled = false;
  private again = false;

  constructor(private readonly k: Dom0Kernel, private readonly body: (env: VcpuEnv) => DGen) {}

  kick(): void {
    if (this.scheduled) {
      this.again = true;
      return;
    }
    this.scheduled = true;
    this.k.defer((env) => this.run(env));
  }

  private *run(env: VcpuEnv): DGen {
    do {
      this.again = false;
      yield* this.body(env);
    } while (this.again);
    this.scheduled = false;
  }
}

export class Netback implements BridgePort, NetbackCtx {
  readonly name: string;
  readonly be: string;
  readonly fe: string;
  readonly stats = new NetbackStats();
  state: number = XenbusState.Initialising;
  failed: string | undefined;
  private tx: BackRing | undefined;
  private rx: BackRing | undefined;
  private handles: number[] = [];
  private port = -1;
  private readonly rxQueue: Uint8Array[] = [];
  private readonly pages: ScratchPage[] = [];
  private readonly txJob: Job;
  private readonly rxJob: Job;

  constructor(
    private readonly k: Dom0Kernel,
    private readonly xs: XenstoreService,
    private readonly bridge: Bridge,
    readonly frontDom: number,
    readonly devid: number,
    private readonly opts: NetbackOptions,
  ) {
    this.name = `vif${frontDom}.${devid}`;
    this.be = `/local/domain/0/backend/vif/${frontDom}/${devid}`;
    this.fe = `/local/domain/${frontDom}/device/vif/${devid}`;
    this.txJob = new Job(k, (env) => this.serveTx(env));
    this.rxJob = new Job(k, (env) => this.serveRx(env));
  }

  get connected(): boolean {
    return this.tx !== undefined;
  }

  /** Publishes the features and waits for the frontend (the hotplug script has run). */
  start(env: VcpuEnv | undefined): void {
    for (const [key, v] of Object.entries({ 'feature-sg': '1', 'feature-rx-copy': '1', 'feature-rx-flip': '0', 'feature-gso-tcpv4': '0', 'feature-split-event-channels': '0' })) {
      this.xs.write(env, `${this.be}/${key}`, v);
    }
    this.setState(env, XenbusState.InitWait);
    this.xs.watch(env, `${this.fe}/state`, `netback-${this.frontDom}-${this.devid}`, () => this.k.defer((e) => this.frontendChanged(e)));
  }

  /** A frame the bridge sends this guest. */
  deliver(frame: Uint8Array): void {
    if (!this.connected || this.rxQueue.length >= RX_QUEUE_FRAMES) return void this.stats.rxDropped++;
    this.rxQueue.push(frame);
    this.rxJob.kick();
  }

  scratch(i: number): ScratchPage | undefined {
    while (this.pages.length <= i) {
      const p = this.opts.scratchPage();
      if (!p) return undefined;
      this.pages.push(p);
    }
    return this.pages[i];
  }

  charge(): void {
    this.k.charge(this.opts.perPacketNs);
  }

  push(env: VcpuEnv, ring: BackRing): void {
    if (ring.pushResponsesAndCheckNotify()) {
      this.stats.notificationsSent++;
      evtchnSend(env, this.port);
    } else this.stats.pushesSuppressed++;
  }

  private setState(env: VcpuEnv | undefined, s: number): void {
    this.state = s;
    this.xs.write(env, `${this.be}/state`, String(s));
  }

  private *frontendChanged(env: VcpuEnv): DGen {
    const s = Number(this.xs.read(env, `${this.fe}/state`) ?? '0');
    if ((s === XenbusState.Initialised || s === XenbusState.Connected) && !this.connected && this.state !== XenbusState.Closed && !this.failed) {
      this.connect(env);
    } else if ((s === XenbusState.Closing || s === XenbusState.Closed) && this.state !== XenbusState.Closed) {
      this.release(env);
      this.setState(env, XenbusState.Closed);
    }
  }

  private connect(env: VcpuEnv): void {
    const num = (key: string): number => Number(this.xs.read(env, `${this.fe}/${key}`) ?? 'NaN');
    const [txRef, rxRef, evtchn] = [num('tx-ring-ref'), num('rx-ring-ref'), num('event-channel')];
    if (![txRef, rxRef, evtchn].every(Number.isInteger)) return this.error(env, 'tx-ring-ref, rx-ring-ref or event-channel missing or not a number');
    if (this.xs.read(env, `${this.fe}/request-rx-copy`) !== '1') return this.error(env, 'frontend does not support rx-copy');
    const maps = gnttabMap(env, [txRef, rxRef].map((ref) => ({ dom: this.frontDom, ref, flags: GNTMAP_host_map })));
    this.handles = maps.filter((m) => m.status === GNTST.okay).map((m) => m.handle);
    if (this.handles.length !== 2) return this.error(env, `mapping the rings failed (${maps.map((m) => m.status).join(', ')})`);
    const [txPage, rxPage] = this.handles.map((h) => env.mappedPage(h)?.page);
    const port = evtchnBindInterdomain(env, this.frontDom, evtchn);
    if (!txPage || !rxPage || port < 0) return this.error(env, `binding event-channel ${evtchn} failed (${port})`);
    this.port = port;
    this.tx = new BackRing(txPage, NETIF_TX_RING);
    this.rx = new BackRing(rxPage, NETIF_RX_RING);
    this.k.dispatch[0]!.bind(port, () => this.onEvent());
    this.bridge.add(this);
    this.setState(env, XenbusState.Connected);
  }

  private onEvent(): void {
    this.txJob.kick();
    if (this.rxQueue.length > 0) this.rxJob.kick();
  }

  /** Frames taken off the TX ring in a round, for the bridge once their work is spent. */
  private readonly sent: Uint8Array[] = [];

  private *serveTx(env: VcpuEnv): DGen {
    for (let round = 0; round < ROUNDS && this.tx; round++) {
      const ring = this.tx;
      const sent = this.sent;
      const r = txRound(env, ring, this, (frame) => sent.push(frame));
      if (r.kind === 'fatal') {
        sent.length = 0;
        return this.error(env, r.reason);
      }
      // The frames leave once netback has built them, and the guest hears of it once the bridge
      // has taken them: dom0's work lies on the packets' path.
      yield* this.k.settle(env);
      for (const frame of sent) this.bridge.input(this, frame);
      sent.length = 0;
      yield* this.k.settle(env);
      if (r.kind === 'ok' && this.tx === ring) this.push(env, ring);
      if (r.kind === 'empty' && !ring.finalCheckForRequests()) return;
    }
    if (this.tx) this.txJob.kick(); // more than ROUNDS of work: come back after the others
  }

  private *serveRx(env: VcpuEnv): DGen {
    for (let round = 0; round < ROUNDS && this.rx && this.rxQueue.length > 0; round++) {
      const ring = this.rx;
      const r: Outcome | { kind: 'empty' } = rxRound(env, ring, this, this.rxQueue);
      if (r.kind === 'fatal') return this.error(env, r.reason);
      yield* this.k.settle(env); // the guest hears of it once dom0 has done the work
      if (r.kind === 'ok' && this.rx === ring) this.push(env, ring);
      if (r.kind === 'empty' && !ring.finalCheckForRequests()) return; // woken when buffers come
    }
    if (this.rx && this.rxQueue.length > 0) this.rxJob.kick();
  }

  private release(env: VcpuEnv): void {
    this.bridge.remove(this);
    if (this.port >= 0) {
      this.k.dispatch[0]!.unbind(this.port);
      evtchnClose(env, this.port);
    }
    if (this.handles.length > 0) gnttabUnmap(env, this.handles);
    this.port = -1;
    this.handles = [];
    this.tx = this.rx = undefined;
    this.stats.rxDropped += this.rxQueue.length;
    this.rxQueue.length = 0;
  }

  /** Shuts this vif down: an error node for the toolstack, Closing, nothing else touched. */
  private error(env: VcpuEnv, why: string): void {
    this.failed = why;
    this.xs.write(env, `${this.be}/error`, why);
    this.release(env);
    this.setState(env, XenbusState.Closing);
  }
}
