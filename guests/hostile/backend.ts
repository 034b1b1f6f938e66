// T16, the other direction: a driver domain serving a block device badly. It is a guest like
// any other (the toolstack named it the backend of a frontend's vbd), so it speaks only the
// public ABI: it does the backend half of the handshake, maps the ring, binds the channel, and
// then answers the frontend's first request with a lie (variant):
//   'bogus-rsp-prod'   rsp_prod a hundred past anything requested;
//   'unknown-id'       a response for a request id the frontend never used;
//   'write-readonly'   tries to write into the pages of a write request (granted read-only),
//                      by a writable map and by a grant copy, then answers OKAY.
// The frontend must drop its device (blkfront) or see its pages untouched, and go on.
import { evtchnBindInterdomain, evtchnSend, gnttabCopy, gnttabMap } from '../../hypervisor/public/calls';
import { GNTCOPY_dest_gref, GNTMAP_host_map, GNTST } from '../../hypervisor/public/grant_table';
import { BLKIF_RING, BLKIF_RSP_OKAY, decodeBlkifRequest, encodeBlkifResponse, type BlkifRequest } from '../../hypervisor/public/io/blkif';
import { XenbusState } from '../../hypervisor/public/io/xs_wire';
import { DOMID_SELF } from '../../hypervisor/public/xen';
import { BackRing, SRING_RSP_PROD } from '../../ringbuf/ring';
import { idxAdd } from '../../ringbuf/ring-idx';
import type { KGen } from '../kernel/types';
import type { AttackCtx } from './attack';
import { waitFor } from './kernel';

export const HOSTILE_BACKEND_VARIANTS = ['bogus-rsp-prod', 'unknown-id', 'write-readonly'] as const;
export type HostileBackendVariant = (typeof HOSTILE_BACKEND_VARIANTS)[number];

const MS = 1_000_000;

interface Served {
  fe: string;
  feDom: number;
  ring: BackRing;
  page: Uint8Array;
  port: number;
}

/** Serves (badly) the first frontend whose vbd names this domain as its backend. */
export function* hostileBackend(c: AttackCtx): KGen {
  const variant = (c.opts.variant ?? 'bogus-rsp-prod') as HostileBackendVariant;
  const base = `/local/domain/${c.env.domid}/backend/vbd`;
  const doms = yield* c.k.xs.directory(base);
  const devs = doms.length > 0 ? yield* c.k.xs.directory(`${base}/${doms[0]}`) : [];
  if (devs.length === 0) return void (c.log.skipped = 'no frontend names this domain as its backend');
  const be = `${base}/${doms[0]}/${devs[0]}`;
  const s = yield* connect(c, be, Number(doms[0]));
  if (!s) return;
  let req: BlkifRequest | undefined;
  yield* waitFor(c.k, () => (req ??= take(s)) !== undefined, c.env.now() + 100 * MS);
  if (!req) return void c.log.note('request.seen', false);
  c.log.note('request.seen', true);
  lie(c, s, variant, req);
  evtchnSend(c.env, s.port);
  c.log.count(3);
}

/** The backend half of the handshake: InitWait, then on Initialised map, bind, Connected. */
function* connect(c: AttackCtx, be: string, feDom: number): KGen<Served | undefined> {
  const xs = c.k.xs;
  const fe = (yield* xs.read(`${be}/frontend`)) ?? '';
  yield* xs.write(`${be}/sectors`, String(1 << 20));
  yield* xs.write(`${be}/state`, String(XenbusState.InitWait));
  let changed = true;
  yield* xs.watch(`${fe}/state`, 'hostile-backend', () => (changed = true));
  const ready = (s: number) => s === XenbusState.Initialised || s === XenbusState.Connected;
  let s = 0;
  for (let i = 0; i < 100 && !ready(s); i++) {
    yield* waitFor(c.k, () => changed, c.env.now() + 20 * MS);
    changed = false;
    s = Number((yield* xs.read(`${fe}/state`)) ?? '0');
  }
  if (!ready(s)) return void (c.log.skipped = 'the frontend never initialised');
  const ref = Number(yield* xs.read(`${fe}/ring-ref`));
  const evtchn = Number(yield* xs.read(`${fe}/event-channel`));
  const [m] = gnttabMap(c.env, [{ dom: feDom, ref, flags: GNTMAP_host_map }]);
  const page = m?.status === GNTST.okay ? c.env.mappedPage(m.handle)?.page : undefined;
  const port = evtchnBindInterdomain(c.env, feDom, evtchn);
  if (!page || port < 0) return void (c.log.skipped = `could not map the ring or bind its channel (${m?.status}, ${port})`);
  c.k.events.bind(port, () => undefined);
  yield* xs.write(`${be}/state`, String(XenbusState.Connected));
  c.log.count(6);
  return { fe, feDom, ring: new BackRing(page, BLKIF_RING), page, port };
}

function take(s: Served): BlkifRequest | undefined {
  const t = s.ring.takeRequest(decodeBlkifRequest);
  if (t.kind !== 'ok') s.ring.finalCheckForRequests();
  return t.kind === 'ok' ? t.value : undefined;
}

function lie(c: AttackCtx, s: Served, variant: HostileBackendVariant, req: BlkifRequest): void {
  const view = new DataView(s.page.buffer, s.page.byteOffset, s.page.byteLength);
  switch (variant) {
    case 'bogus-rsp-prod':
      view.setUint32(SRING_RSP_PROD, idxAdd(view.getUint32(SRING_RSP_PROD, true), 100), true);
      return;
    case 'unknown-id':
      s.ring.produceResponse((v, o) => encodeBlkifResponse(v, o, { id: 12345, operation: req.operation, status: BLKIF_RSP_OKAY }));
      s.ring.pushResponses();
      return;
    case 'write-readonly': {
      const refs = req.segments.map((g) => ({ dom: s.feDom, ref: g.gref, flags: GNTMAP_host_map }));
      c.log.note('writableMap.statuses', gnttabMap(c.env, refs).map((r) => r.status));
      const scratch = c.k.pages.alloc();
      c.env.page(scratch)!.fill(0xee);
      const copies = req.segments.map((g) => ({
        source: { refOrGfn: scratch, domid: DOMID_SELF, offset: 0 }, dest: { refOrGfn: g.gref, domid: s.feDom, offset: 0 }, len: 4096, flags: GNTCOPY_dest_gref,
      }));
      c.log.note('copyInto.statuses', gnttabCopy(c.env, copies));
      s.ring.produceResponse((v, o) => encodeBlkifResponse(v, o, { id: req.id, operation: req.operation, status: BLKIF_RSP_OKAY }));
      s.ring.pushResponses();
      return;
    }
  }
}
