// Hostile cases on the shared block ring (REFERENCE §2.2, §2.4):
//   T1 producer overrun: req_prod more than a ring ahead of the responses, or behind the
//      backend's consumer; and the legal twin, a ring whose indices wrap past 2^32 - 1;
//   T2 double fetch: a request rewritten after the backend copied it;
//   T3 garbage blkif fields: every validation rule of blkback, one request each.
// Each records what the backend answered; the tests say what it must have answered.
import { BLKIF_OP_DISCARD, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_WRITE_BARRIER } from '../../hypervisor/public/io/blkif';
import { XenbusState } from '../../hypervisor/public/io/xs_wire';
import { idxAdd, idxDiff } from '../../ringbuf/ring-idx';
import type { KGen } from '../kernel/types';
import { grantedPage, hasPattern, isZero, pattern, type AttackCtx, type DataPage } from './attack';
import { spinFor, vbdDevids } from './kernel';
import { RawFront, U64_MAX, type RawRequest } from './rawfront';

const MS = 1_000_000;
const WHOLE_PAGE = { first: 0, last: 7 };

/** Connects a raw frontend to the domain's `nth` disk; undefined (logged) if there is none. */
function* front(c: AttackCtx, nth: number, startIndex = 0): KGen<RawFront | undefined> {
  const ids = yield* vbdDevids(c.k);
  if (ids[nth] === undefined) return undefined;
  const f = new RawFront(c.k, ids[nth]!, startIndex);
  const r = yield* f.connect();
  c.log.count(4);
  return r.ok ? f : undefined;
}

/** T1: overrun the ring on disk 0, run it backwards on disk 1, wrap the indices on disk 2. */
export function* ringOverrun(c: AttackCtx): KGen {
  const a = yield* front(c, 0);
  if (!a) return void (c.log.skipped = 'no disk to attack');
  a.publish(idxAdd(a.rspProd, a.size + 5)); // more than N requests outstanding
  c.log.count();
  yield* recordEnd(c, a, 'ahead');
  const b = yield* front(c, 1);
  if (b) {
    const pages = [0, 1, 2, 3].map(() => grantedPage(c, b.beId, false)!);
    pages.forEach((p, i) => b.produce({ op: BLKIF_OP_READ, id: i, sector: i * 8, segs: [{ gref: p.gref, ...WHOLE_PAGE }] }));
    b.publish();
    yield* b.awaitResponses(4, 10 * MS);
    b.publish(idxAdd(b.reqProd, -2)); // req_prod moves back behind what the backend consumed
    c.log.count(5);
    yield* recordEnd(c, b, 'behind');
  }
  const w = yield* front(c, 2, 0xffffffff - 7); // the legal twin: 8 requests before the wrap
  if (w) yield* wrapRoundTrips(c, w, 64);
}

/** Waits for the backend to give up on `f` and logs its state and error node. */
function* recordEnd(c: AttackCtx, f: RawFront, step: string): KGen {
  const s = yield* f.waitState((x) => x >= XenbusState.Closing, 10 * MS);
  c.log.note(`${step}.backendState`, s);
  c.log.note(`${step}.error`, (yield* c.k.xs.read(`${f.be}/error`)) ?? '');
}

/** Writes then reads back `n` pages one at a time across the index wrap; logs how many matched. */
function* wrapRoundTrips(c: AttackCtx, f: RawFront, n: number): KGen {
  const out = grantedPage(c, f.beId, true)!;
  const back = grantedPage(c, f.beId, false)!;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    pattern(i)(out.page);
    back.page.fill(0);
    f.produce({ op: BLKIF_OP_WRITE, id: 2 * i, sector: i * 8, segs: [{ gref: out.gref, ...WHOLE_PAGE }] });
    f.publish();
    const w = yield* f.awaitResponses(1, 10 * MS);
    f.produce({ op: BLKIF_OP_READ, id: 2 * i + 1, sector: i * 8, segs: [{ gref: back.gref, ...WHOLE_PAGE }] });
    f.publish();
    const r = yield* f.awaitResponses(1, 10 * MS);
    c.log.count(2);
    if (w[0]?.status === 0 && r[0]?.status === 0 && r[0].id === 2 * i + 1 && hasPattern(back.page, i)) ok++;
  }
  c.log.note('wrap.roundTrips', ok);
  c.log.note('wrap.finalReqProd', f.reqProd);
}

/** T2: rewrite a request's slot once the backend has consumed it; only its copy may act. */
export function* doubleFetch(c: AttackCtx): KGen {
  const f = yield* front(c, 0);
  if (!f) return void (c.log.skipped = 'no disk to attack');
  const data = grantedPage(c, f.beId, true, pattern(0x5a))!;
  const idx = f.produce({ op: BLKIF_OP_WRITE, id: 7, sector: 64, segs: [{ gref: data.gref, ...WHOLE_PAGE }] });
  f.publish();
  // The backend arms req_event one past what it consumed: then it has its private copy.
  const consumed = yield* spinFor(c.k, () => idxDiff(f.reqEvent, idx) >= 2, c.env.now() + 10 * MS);
  f.writeSlot(idx, { op: BLKIF_OP_WRITE, id: 99, sector: 128, segs: [{ gref: data.gref, ...WHOLE_PAGE }] });
  c.log.count(2);
  c.log.note('rewrittenAfterCopy', consumed);
  const [rsp] = yield* f.awaitResponses(1, 10 * MS);
  c.log.note('response.id', rsp?.id ?? -1);
  c.log.note('response.status', rsp?.status ?? -99);
  f.writeSlot(idx, { op: 0xee, nrSegments: 200, id: 666, sector: U64_MAX, segs: [] }); // and scribble after the answer
  const at64 = yield* readBack(c, f, 64, 1000);
  const at128 = yield* readBack(c, f, 128, 1001);
  c.log.note('disk64.written', at64 !== undefined && hasPattern(at64, 0x5a));
  c.log.note('disk128.untouched', at128 !== undefined && isZero(at128));
}

/** Reads one page at `sector` into a fresh granted page; undefined if the read failed. */
function* readBack(c: AttackCtx, f: RawFront, sector: number, id: number): KGen<Uint8Array | undefined> {
  const p = grantedPage(c, f.beId, false)!;
  f.produce({ op: BLKIF_OP_READ, id, sector, segs: [{ gref: p.gref, ...WHOLE_PAGE }] });
  f.publish();
  c.log.count();
  const [r] = yield* f.awaitResponses(1, 10 * MS);
  return r?.status === 0 && r.id === id ? p.page : undefined;
}

/** The T3 requests, by name; `aim` is a sector no valid request touches. */
function garbage(sizeSectors: number, rw: DataPage, ro: DataPage, aim: number): Record<string, RawRequest> {
  const seg = [{ gref: rw.gref, ...WHOLE_PAGE }];
  const eleven = Array.from({ length: 11 }, () => ({ gref: rw.gref, first: 0, last: 0 }));
  return {
    'no-segments': { op: BLKIF_OP_WRITE, nrSegments: 0, id: 101, sector: aim, segs: [] },
    'twelve-segments': { op: BLKIF_OP_WRITE, nrSegments: 12, id: 102, sector: aim, segs: eleven },
    'first-after-last': { op: BLKIF_OP_WRITE, id: 103, sector: aim, segs: [{ gref: rw.gref, first: 5, last: 2 }] },
    'last-sect-8': { op: BLKIF_OP_WRITE, id: 104, sector: aim, segs: [{ gref: rw.gref, first: 0, last: 8 }] },
    'past-the-end': { op: BLKIF_OP_WRITE, id: 105, sector: sizeSectors - 4, segs: seg },
    'sector-u64-max': { op: BLKIF_OP_WRITE, id: 106, sector: U64_MAX, segs: seg },
    'sector-wraps-64-bits': { op: BLKIF_OP_WRITE, id: 107, sector: U64_MAX - 3n, segs: seg },
    'sector-near-2^53': { op: BLKIF_OP_WRITE, id: 108, sector: 2 ** 53 - 4, segs: seg },
    'unknown-op': { op: 0xee, id: 109, sector: aim, segs: seg },
    'write-barrier': { op: BLKIF_OP_WRITE_BARRIER, id: 110, sector: aim, segs: seg },
    discard: { op: BLKIF_OP_DISCARD, id: 111, sector: aim, segs: seg },
    'indirect-flush': { op: BLKIF_OP_FLUSH_DISKCACHE, id: 112, sector: aim, segs: [], indirect: { nrSegments: 1, grefs: [rw.gref] } },
    'indirect-257-segments': { op: BLKIF_OP_WRITE, id: 116, sector: aim, segs: [], indirect: { nrSegments: 257, grefs: [rw.gref] } },
    'indirect-bad-page': { op: BLKIF_OP_WRITE, id: 117, sector: aim, segs: [], indirect: { nrSegments: 1, grefs: [0xffffffff] } },
    'bad-gref': { op: BLKIF_OP_WRITE, id: 113, sector: aim, segs: [{ gref: 0xffffffff, ...WHOLE_PAGE }] },
    'read-into-readonly-grant': { op: BLKIF_OP_READ, id: 114, sector: 0, segs: [{ gref: ro.gref, ...WHOLE_PAGE }] },
    'valid-write': { op: BLKIF_OP_WRITE, id: 115, sector: 0, segs: seg },
  };
}

/** T3: one request per validation rule, all in one batch; then check the ring still works. */
export function* garbageFields(c: AttackCtx): KGen {
  const f = yield* front(c, 0);
  if (!f) return void (c.log.skipped = 'no disk to attack');
  const size = Number((yield* c.k.xs.read(`${f.be}/sectors`)) ?? '0');
  const rw = grantedPage(c, f.beId, false, pattern(3))!;
  const ro = grantedPage(c, f.beId, true)!;
  const aim = 256;
  const cases = garbage(size, rw, ro, aim);
  for (const r of Object.values(cases)) f.produce(r);
  f.publish();
  c.log.count(Object.keys(cases).length);
  const rsps = yield* f.awaitResponses(Object.keys(cases).length, 20 * MS);
  for (const [name, r] of Object.entries(cases)) {
    const got = rsps.find((x) => BigInt(x.id) === BigInt(r.id));
    c.log.note(`status.${name}`, got === undefined ? 'no response' : got.status);
  }
  c.log.note('responses', rsps.length);
  const after = yield* readBack(c, f, aim, 200);
  c.log.note('aimedAt.untouched', after !== undefined && isZero(after));
  const first = yield* readBack(c, f, 0, 201);
  c.log.note('validWrite.readBack', first !== undefined && hasPattern(first, 3));
  c.log.note('backendState', Number((yield* c.k.xs.read(`${f.be}/state`)) ?? '0'));
}
