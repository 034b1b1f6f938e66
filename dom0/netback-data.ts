// netback's two data paths over the shared rings (REFERENCE §2.3, §2.5), in the manner of
// Linux's xen-netback with grant copy in both directions.
//
// Transmit (guest → bridge): requests are taken as private copies, chained into packets by
// NETTXF_more_data and checked (netif-validate.ts); every fragment of a batch is copied into
// dom0's own pages with ONE GNTTABOP_copy; each packet is assembled from those pages and handed
// to the bridge; every slot is answered (OKAY, ERROR, NULL for an extra-info slot), pushed,
// and the frontend notified only if its rsp_event asks.
// Receive (bridge → guest): frames wait in a queue; each takes as many posted rx requests as
// its length needs, is copied into the guest's granted pages with one GNTTABOP_copy per batch,
// and answered in the request's own slot with its byte count (NETRXF_more_data on all but the
// last piece of a frame). With no request posted it arms req_event and waits for the frontend.
// A packet chain running past the pushed requests, or a bogus producer index, is "impossible":
// it shuts this vif down (the caller's `fatal`).
import { gnttabCopy } from '../hypervisor/public/calls';
import type { VcpuEnv } from '../hypervisor/public/guest';
import { GNTCOPY_dest_gref, GNTCOPY_source_gref, GNTST, type CopyOp } from '../hypervisor/public/grant_table';
import {
  NETIF_RSP_ERROR, NETIF_RSP_NULL, NETIF_RSP_OKAY, NETRXF_data_validated, NETRXF_more_data, NETTXF_extra_info,
  NETTXF_more_data, decodeNetifRxRequest, decodeNetifTxRequest, encodeNetifRxResponse, encodeNetifTxResponse,
  type NetifRxRequest, type NetifTxRequest,
} from '../hypervisor/public/io/netif';
import type { BackRing } from '../ringbuf/ring';
import type { ScratchPage } from './blkback-segments';
import { validateTxPacket, type TxCheck } from './netif-validate';
import { joined } from '../hw/bytes';

const PAGE = 4096;
/** Slots taken per transmit round (one GNTTABOP_copy batch, before answering). */
export const TX_BATCH_SLOTS = 64;
/** Frames copied per receive round. */
export const RX_BATCH_FRAMES = 64;

export class NetbackStats {
  txPackets = 0;
  txBytes = 0;
  /** Packets answered NETIF_RSP_ERROR (malformed, or their grant copy failed). */
  txErrors = 0;
  txBatches = 0;
  rxPackets = 0;
  rxBytes = 0;
  /** Frames from the bridge dropped: the queue was full, or the vif was not connected. */
  rxDropped = 0;
  /** Pieces answered NETIF_RSP_ERROR (the guest's buffer grant was bad). */
  rxErrors = 0;
  rxBatches = 0;
  notificationsSent = 0;
  pushesSuppressed = 0;
}

/** What the data paths need from their netback. */
export interface NetbackCtx {
  readonly frontDom: number;
  readonly stats: NetbackStats;
  scratch(i: number): ScratchPage | undefined;
  /** Per-packet work, charged to dom0's kernel. */
  charge(): void;
  /** Pushes responses on `ring` and notifies the frontend if it asked. */
  push(env: VcpuEnv, ring: BackRing): void;
}

interface TxPacket {
  slots: NetifTxRequest[];
  /** Ids of extra-info slots (answered NULL). */
  extras: number[];
  check: TxCheck;
}

export type Outcome = { kind: 'ok' } | { kind: 'fatal'; reason: string };

/** One transmit round: up to a batch of packets from the ring to `out`. 'empty' when none. */
export function txRound(env: VcpuEnv, ring: BackRing, c: NetbackCtx, out: (frame: Uint8Array) => void): Outcome | { kind: 'empty' } {
  const taken = takePackets(ring);
  if (taken.kind === 'fatal') return taken;
  const pkts = taken.pkts;
  if (pkts.length === 0) return { kind: 'empty' };
  c.stats.txBatches++;
  const ops: CopyOp[] = [];
  const pages: ScratchPage[] = [];
  for (const p of pkts) {
    if (p.check.kind !== 'ok') continue;
    for (const f of p.check.frags) {
      const page = c.scratch(pages.length);
      if (!page) return { kind: 'fatal', reason: 'dom0 has no scratch page for the copy' };
      pages.push(page);
      ops.push({ source: { refOrGfn: f.gref, domid: c.frontDom, offset: f.offset }, dest: { refOrGfn: page.gfn, domid: 0, offset: 0 }, len: f.len, flags: GNTCOPY_source_gref });
    }
  }
  const st = ops.length > 0 ? gnttabCopy(env, ops) : [];
  let at = 0;
  for (const p of pkts) {
    let status = p.check.kind === 'ok' ? NETIF_RSP_OKAY : NETIF_RSP_ERROR;
    if (p.check.kind === 'ok') {
      const n = p.check.frags.length;
      if (st.slice(at, at + n).some((s) => s !== GNTST.okay)) status = NETIF_RSP_ERROR;
      else out(joined(p.check.frags.map((f, i) => pages[at + i]!.subarray(0, f.len)), p.check.size));
      at += n;
    }
    answerTx(ring, p, status, c.stats);
    c.charge();
  }
  return { kind: 'ok' };
}

/** Takes whole packets (up to about a batch of slots) as private copies. */
function takePackets(ring: BackRing): { kind: 'ok'; pkts: TxPacket[] } | { kind: 'fatal'; reason: string } {
  const pkts: TxPacket[] = [];
  let slots = 0;
  while (slots < TX_BATCH_SLOTS) {
    const t = ring.takeRequest(decodeNetifTxRequest);
    if (t.kind === 'empty' || t.kind === 'wait') break;
    if (t.kind === 'overflow') return { kind: 'fatal', reason: `frontend provided bogus ring requests (${t.reason})` };
    const p: TxPacket = { slots: [t.value], extras: [], check: { kind: 'bad', reason: '' } };
    let cur = t.value;
    if (cur.flags & NETTXF_extra_info) {
      const x = ring.takeRequest(decodeNetifTxRequest);
      if (x.kind !== 'ok') return { kind: 'fatal', reason: 'extra-info slot missing' };
      p.extras.push(cur.id);
    }
    for (let guard = 0; cur.flags & NETTXF_more_data; guard++) {
      const n = ring.takeRequest(decodeNetifTxRequest);
      if (n.kind !== 'ok' || guard > ring.size) return { kind: 'fatal', reason: 'a packet continues past the requests pushed' };
      p.slots.push(n.value);
      cur = n.value;
    }
    p.check = validateTxPacket(p.slots, p.extras.length > 0);
    slots += p.slots.length + p.extras.length;
    pkts.push(p);
  }
  return { kind: 'ok', pkts };
}

function answerTx(ring: BackRing, p: TxPacket, status: number, stats: NetbackStats): void {
  if (status === NETIF_RSP_OKAY && p.check.kind === 'ok') {
    stats.txPackets++;
    stats.txBytes += p.check.size;
  } else stats.txErrors++;
  const first = p.slots[0]!;
  ring.produceResponse((v, at) => encodeNetifTxResponse(v, at, { id: first.id, status }));
  for (const id of p.extras) ring.produceResponse((v, at) => encodeNetifTxResponse(v, at, { id, status: NETIF_RSP_NULL }));
  for (const s of p.slots.slice(1)) ring.produceResponse((v, at) => encodeNetifTxResponse(v, at, { id: s.id, status }));
}

/** One receive round: queued frames into posted buffers. 'empty': nothing could be sent. */
export function rxRound(env: VcpuEnv, ring: BackRing, c: NetbackCtx, queue: Uint8Array[]): Outcome | { kind: 'empty' } {
  const batch = takeRxBatch(ring, queue);
  if (!Array.isArray(batch)) return batch;
  if (batch.length === 0) return { kind: 'empty' };
  c.stats.rxBatches++;
  const ops: CopyOp[] = [];
  for (const b of batch) {
    for (const [i, r] of b.reqs.entries()) {
      const page = c.scratch(ops.length);
      if (!page) return { kind: 'fatal', reason: 'dom0 has no scratch page for the copy' };
      const piece = b.frame.subarray(i * PAGE, (i + 1) * PAGE);
      page.set(piece);
      ops.push({ source: { refOrGfn: page.gfn, domid: 0, offset: 0 }, dest: { refOrGfn: r.gref, domid: c.frontDom, offset: 0 }, len: piece.length, flags: GNTCOPY_dest_gref });
    }
  }
  answerRx(ring, c, batch, gnttabCopy(env, ops));
  return { kind: 'ok' };
}

interface RxItem {
  frame: Uint8Array;
  reqs: NetifRxRequest[];
}

/** Takes the queued frames' rx requests (private copies), as many frames as have buffers. */
function takeRxBatch(ring: BackRing, queue: Uint8Array[]): RxItem[] | { kind: 'fatal'; reason: string } {
  const batch: RxItem[] = [];
  while (queue.length > 0 && batch.length < RX_BATCH_FRAMES) {
    const need = Math.max(1, Math.ceil(queue[0]!.length / PAGE));
    if (ring.unconsumedRequests() < need) break;
    const reqs: NetifRxRequest[] = [];
    for (let i = 0; i < need; i++) {
      const t = ring.takeRequest(decodeNetifRxRequest);
      if (t.kind === 'overflow') return { kind: 'fatal', reason: `frontend provided bogus rx requests (${t.reason})` };
      if (t.kind !== 'ok') return { kind: 'fatal', reason: 'rx requests vanished' };
      reqs.push(t.value);
    }
    batch.push({ frame: queue.shift()!, reqs });
  }
  return batch;
}

/** Each piece answered in its request's slot: its byte count, or an error if its copy failed. */
function answerRx(ring: BackRing, c: NetbackCtx, batch: RxItem[], st: number[]): void {
  let at = 0;
  for (const b of batch) {
    b.reqs.forEach((r, i) => {
      const len = Math.min(PAGE, b.frame.length - i * PAGE);
      const ok = st[at++] === GNTST.okay;
      if (!ok) c.stats.rxErrors++;
      const flags = NETRXF_data_validated | (i < b.reqs.length - 1 ? NETRXF_more_data : 0);
      ring.produceResponse((v, o) => encodeNetifRxResponse(v, o, { id: r.id, offset: 0, flags, status: ok ? len : NETIF_RSP_ERROR }));
    });
    c.stats.rxPackets++;
    c.stats.rxBytes += b.frame.length;
    c.charge();
  }
}
