// Hostile cases on xenbus and xenstore (REFERENCE §5):
//   T14 malformed handshakes, one device per fault (a ring-ref that is no number or was never
//       granted or is read-only or granted to someone else, an event channel that is no number
//       or not offered, a jump straight to Connected); the last device gets a correct one;
//   T15 a frontend that never reads: it keeps its block ring full without consuming a
//       response, creates nodes and watches up to its quotas, then floods xenstored with
//       requests whose replies (and watch events) it never reads, until it is destroyed.
import { BLKIF_OP_READ } from '../../hypervisor/public/io/blkif';
import { encodeMessage, xsRequest } from '../../hypervisor/public/io/xs_wire';
import { evtchnSend } from '../../hypervisor/public/calls';
import { compute } from '../../hypervisor/public/guest';
import { XsClientEnd } from '../../ringbuf/xsring';
import { idxDiff } from '../../ringbuf/ring-idx';
import type { KGen } from '../kernel/types';
import { grantedPage, type AttackCtx, type DataPage } from './attack';
import { vbdDevids } from './kernel';
import { HANDSHAKE_FAULTS, RawFront, type HandshakeFault } from './rawfront';

const MS = 1_000_000;
/** Nodes and watches asked for beyond the default quotas (1000 nodes, 128 watches). */
const NODES_TRIED = 1100;
const WATCHES_TRIED = 140;

/** T14: the i-th disk gets the i-th fault; the disk after the faults gets a good handshake. */
export function* malformedHandshakes(c: AttackCtx): KGen {
  const ids = yield* vbdDevids(c.k);
  const faults: HandshakeFault[] = c.opts.variant ? [c.opts.variant as HandshakeFault] : [...HANDSHAKE_FAULTS.filter((f) => f !== 'none'), 'none'];
  if (ids.length === 0) return void (c.log.skipped = 'no disk to attack');
  for (let i = 0; i < Math.min(ids.length, faults.length); i++) {
    const f = new RawFront(c.k, ids[i]!);
    const r = yield* f.connect(faults[i], 20 * MS);
    c.log.count(5);
    c.log.note(`${faults[i]}.devid`, ids[i]!);
    c.log.note(`${faults[i]}.backendState`, r.backendState);
    c.log.note(`${faults[i]}.error`, r.error ?? '');
  }
}

/** T15: see the header. Runs until `durationNs` passes or the domain is destroyed. */
export function* neverConsume(c: AttackCtx): KGen {
  const ids = yield* vbdDevids(c.k);
  const front = ids.length > 0 ? new RawFront(c.k, ids[0]!) : undefined;
  const ring = front && (yield* front.connect()).ok ? front : undefined;
  const pages = ring ? Array.from({ length: ring.size }, () => grantedPage(c, ring.beId, false)!) : [];
  yield* fillQuotas(c);
  c.k.events.unbind(c.k.start.storePort); // from now on nobody reads the replies
  const xs = new XsClientEnd(c.env.page(c.k.start.storeGfn)!);
  const deadline = c.env.now() + (c.opts.durationNs ?? 20 * MS);
  let sent = 0;
  let refused = 0;
  let inFlight = 0;
  while (c.env.now() < deadline) {
    if (ring) inFlight = topUp(c, ring, pages);
    // Each write changes a node all our watches cover: one reply and a watch event per watch.
    const w = xs.write(encodeMessage(xsRequest.write(`/local/domain/${c.env.domid}/data/g0/n0`, String(sent), { reqId: sent })));
    if (w.kind === 'ok' && w.written > 0) {
      sent++;
      evtchnSend(c.env, c.k.start.storePort);
    } else refused++;
    c.log.note('flood.requestsWritten', sent);
    c.log.note('flood.ringFull', refused);
    c.log.note('ring.inFlight', inFlight);
    c.log.count(2);
    yield compute(2_000, 'kernel');
  }
}

/** Nodes under data/ until the node quota refuses, then watches until the watch quota does. */
function* fillQuotas(c: AttackCtx): KGen {
  const xs = c.k.xs;
  const home = `/local/domain/${c.env.domid}/data`;
  let nodes = 0;
  let err: number | undefined;
  // 64 to a directory: a directory's child list counts against the node-size quota.
  for (; nodes < NODES_TRIED && err === undefined; nodes++) err = yield* xs.write(`${home}/g${nodes >> 6}/n${nodes & 63}`, 'x');
  c.log.note('nodes.created', nodes - (err === undefined ? 0 : 1));
  c.log.note('nodes.refusedWith', err ?? 0);
  let watches = 0;
  let werr: number | undefined;
  for (; watches < WATCHES_TRIED && werr === undefined; watches++) werr = yield* xs.watch(home, `t${watches}`, () => undefined);
  c.log.note('watches.registered', watches - (werr === undefined ? 0 : 1));
  c.log.note('watches.refusedWith', werr ?? 0);
  c.log.count(nodes + watches);
}

/** Keeps the ring full of reads without ever taking a response; returns requests in flight. */
function topUp(c: AttackCtx, f: RawFront, pages: DataPage[]): number {
  let pushed = false;
  while (idxDiff(f.reqProd, f.rspProd) < f.size) {
    const p = pages[f.reqProd % pages.length]!;
    f.produce({ op: BLKIF_OP_READ, id: f.reqProd, sector: (f.reqProd % 64) * 8, segs: [{ gref: p.gref, first: 0, last: 7 }] });
    pushed = true;
  }
  if (pushed) f.publish();
  c.log.note('ring.requestsMade', f.reqProd);
  return idxDiff(f.reqProd, f.rspProd);
}
