// Fuzzing what hostile guests write into shared memory (issue 9, item 4): two hostile PV
// domains, each with a block ring connected to dom0's blkback and a xenstore ring to
// xenstored, run random sequences of raw ring slots (INDIRECT ones too), producer indices
// (sane, behind, far ahead), responses taken or not (one of the two with persistent grants), xenstore messages (well-formed or not,
// any type, any path, lying lengths), raw bytes and bogus indices in the xenstore ring, event sends and closes,
// and grants, with simulated time passing between them. Property: nothing throws, the
// invariant checker (tables, frame ownership, write attribution to the hostile domains) finds
// nothing after every engine event, and once both are destroyed nothing of them is left and
// dom0's pools are back to what they were before they existed.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evtchnClose, evtchnSend } from '../../hypervisor/public/calls';
import { block, compute, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import { encodeMessage, xsMessage, utf8 } from '../../hypervisor/public/io/xs_wire';
import { XS_REQ_PROD, XS_RSP_CONS, XsClientEnd } from '../../ringbuf/xsring';
import { idxAdd } from '../../ringbuf/ring-idx';
import type { Domain } from '../../hypervisor/domain';
import { PvKernel } from '../../guests/kernel/pv';
import { bootBare, vbdDevids } from '../../guests/hostile/kernel';
import { RawFront, type RawRequest } from '../../guests/hostile/rawfront';
import { buildWorld, type World } from '../../lab/run/world';
import { addDisk, destroyGuest, introduce } from '../../lab/run/toolstack';
import type { Blkback } from '../../dom0/blkback';
import { InvariantChecker, census, compareCensus, leftovers } from '../../lab/check/invariants';
import { scenarioFrom } from '../helpers/world';
import { FUZZ_SEED, FUZZ_TIMEOUT_MS, fuzzRuns, report } from './fuzz-config';

type RingOp =
  | { t: 'request'; req: RawRequest }
  | { t: 'publish'; delta: number }
  | { t: 'notify' }
  | { t: 'take' }
  | { t: 'xs'; type: number; path: string; value: string; tx: number; lie: number }
  | { t: 'xs-bytes'; bytes: number[] }
  | { t: 'xs-index'; field: 'req_prod' | 'rsp_cons'; value: number }
  | { t: 'evtchn'; port: number; close: boolean }
  | { t: 'grant'; to: 'dom0' | 'other' | 'self'; ro: boolean };
type Step = { who: 0 | 1; op: RingOp } | { who: 'time'; ns: number };

const u64 = fc.oneof(fc.integer({ min: 0, max: 300_000 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const seg = fc.record({ gref: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(0xffffffff)), first: fc.integer({ min: 0, max: 9 }), last: fc.integer({ min: 0, max: 9 }) });
const request: fc.Arbitrary<RawRequest> = fc.record({
  op: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 1 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  nrSegments: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
  id: u64,
  sector: u64,
  segs: fc.array(seg, { maxLength: 11 }),
  // Sometimes an INDIRECT request: its u16 count and the grefs of its pages of descriptors.
  indirect: fc.option(fc.record({
    nrSegments: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constant(0xffff)),
    grefs: fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(0xffffffff)), { maxLength: 8 }),
  }), { nil: undefined, freq: 6 }),
});
const PATHS = ['data/x', 'data', '/local/domain/0', '/local/domain/1/data', '/', '@releaseDomain', 'a//b', 'bad path!', 'x'.repeat(3000), ''];
const ringOp: fc.Arbitrary<RingOp> = fc.oneof(
  { weight: 4, arbitrary: request.map((req) => ({ t: 'request' as const, req })) },
  { weight: 2, arbitrary: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.constantFrom(2 ** 31, 2 ** 32 - 1)).map((delta) => ({ t: 'publish' as const, delta })) },
  { weight: 1, arbitrary: fc.constant({ t: 'notify' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'take' as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('xs' as const), type: fc.integer({ min: 0, max: 30 }), path: fc.constantFrom(...PATHS), value: fc.string({ maxLength: 8 }), tx: fc.constantFrom(0, 0, 1, 7), lie: fc.constantFrom(0, 0, 0, 1, -1, 5000) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('xs-bytes' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('xs-index' as const), field: fc.constantFrom('req_prod' as const, 'rsp_cons' as const), value: fc.integer({ min: 0, max: 0xffffffff }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('evtchn' as const), port: fc.integer({ min: 0, max: 8 }), close: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('grant' as const), to: fc.constantFrom('dom0' as const, 'other' as const, 'self' as const), ro: fc.boolean() }) },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ who: fc.constantFrom(0 as const, 1 as const), op: ringOp }) },
  { weight: 1, arbitrary: fc.record({ who: fc.constant('time' as const), ns: fc.integer({ min: 1_000, max: 300_000 }) }) },
);

interface Puppet {
  domain: Domain;
  k: PvKernel;
  backends: Blkback[];
  queue: RingOp[];
  ready: boolean;
  /** Offers feature-persistent, so that blkback keeps what it maps (the second puppet does). */
  persistent: boolean;
  front?: RawFront;
  xs?: XsClientEnd;
  other: () => number;
}

/** The puppet's one vCPU: boot bare, connect the ring, then run whatever is queued. */
function* puppetProgram(p: Puppet, env: VcpuEnv): GuestProgram {
  if (!(yield* bootBare(p.k, env))) return;
  const ids = yield* vbdDevids(p.k);
  const f = new RawFront(p.k, ids[0]!);
  f.offerPersistent = p.persistent;
  if ((yield* f.connect('none', 5_000_000)).ok) p.front = f;
  p.xs = new XsClientEnd(env.page(p.k.start.storeGfn)!);
  p.k.events.unbind(p.k.start.storePort);
  p.ready = true;
  for (;;) {
    while (p.queue.length > 0) {
      run(p, env, p.queue.shift()!);
      yield compute(200, 'kernel');
    }
    yield block(env.now() + 20_000);
    p.k.events.dispatch();
  }
}

function run(p: Puppet, env: VcpuEnv, op: RingOp): void {
  const f = p.front;
  switch (op.t) {
    case 'request':
      return void f?.produce(op.req);
    case 'publish':
      return void f?.publish(idxAdd(f.reqProd, op.delta), false);
    case 'notify':
      return f?.notify();
    case 'take':
      return void f?.takeResponses();
    case 'xs': {
      const payload = utf8(op.path + '\0' + op.value);
      const bytes = encodeMessage(xsMessage(op.type, payload, { reqId: 1, txId: op.tx }));
      new DataView(bytes.buffer).setUint32(12, (payload.length + op.lie) >>> 0, true); // a lying length
      p.xs!.write(bytes);
      return void evtchnSend(env, p.k.start.storePort);
    }
    case 'xs-bytes':
      p.xs!.write(Uint8Array.from(op.bytes));
      return void evtchnSend(env, p.k.start.storePort);
    case 'xs-index': {
      const page = env.page(p.k.start.storeGfn)!;
      new DataView(page.buffer, page.byteOffset).setUint32(op.field === 'req_prod' ? XS_REQ_PROD : XS_RSP_CONS, op.value, true);
      return void evtchnSend(env, p.k.start.storePort);
    }
    case 'evtchn':
      return void (op.close ? evtchnClose(env, op.port) : evtchnSend(env, op.port));
    case 'grant': {
      const to = op.to === 'dom0' ? 0 : op.to === 'self' ? env.domid : p.other();
      const gfn = p.k.pages.alloc();
      if (gfn >= 0) p.k.grants.grant(to, gfn, op.ro);
    }
  }
}

function world() {
  const w = buildWorld(scenarioFrom(`
name: ring-fuzz
duration: 1s
host: {pcpus: 2, memory: 512}
dom0: {memory: 128, volumes: [{name: /dev/vg0/p0, disk: sda, size: 8MiB}, {name: /dev/vg0/p1, disk: sda, size: 8MiB}]}
domains: []
`));
  // What a host keeps whatever guests come and go: dom0's home and its backend directory.
  w.dom0.xs.write(undefined, '/local/domain/0/backend/vbd', '');
  return w;
}

function addPuppet(w: World, i: number, puppets: Puppet[]): Puppet {
  let p!: Puppet;
  const d = w.hv.createDomain({ name: `puppet${i}`, type: 'pv', vcpus: 1, memoryMiB: 16, weight: 256, cap: 0 }, (env) => (function* (): GuestProgram { yield* puppetProgram(p, env); })());
  if (typeof d === 'string') throw new Error(d);
  const k = new PvKernel(w.profile.kernel, introduce(w.hv, w.dom0, d));
  const bb = addDisk(w.hv, w.dom0, w.storage, d, { vdev: 'xvda', target: `/dev/vg0/p${i}`, access: 'rw', format: 'raw' });
  if (typeof bb === 'string') throw new Error(bb);
  p = { domain: d, k, backends: [bb], queue: [], ready: false, persistent: i === 1, other: () => puppets[1 - i]!.domain.id };
  w.hv.unpause(d.id);
  return p;
}

const stats = { sequences: 0, ops: 0, connected: 0, ringsShut: 0, invalidRequests: 0, xenstoreErrors: 0 };
afterAll(() => {
  report('rings and xenstore', stats);
  console.log(`  rings connected ${stats.connected}, shut down for overrun ${stats.ringsShut}, requests refused ${stats.invalidRequests}, xenstore error replies ${stats.xenstoreErrors}`);
});

describe('fuzzing shared rings and xenstore from two hostile domains', () => {
  it('never throws, keeps every invariant after every event, and leaves nothing once both are destroyed', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 14 }), (steps) => {
        const w = world();
        const src = { hv: w.hv, xsd: w.dom0.xs.xsd };
        const checker = new InvariantChecker({ engine: w.engine, hv: w.hv, xsd: w.dom0.xs.xsd }, { every: 16 });
        checker.run(1_000_000); // dom0 settles
        const before = census(src);
        const puppets: Puppet[] = [];
        puppets.push(addPuppet(w, 0, puppets), addPuppet(w, 1, puppets));
        checker.runUntil(() => puppets.every((p) => p.ready), w.engine.now + 20_000_000);
        for (const s of steps) {
          if (s.who === 'time') checker.run(w.engine.now + s.ns);
          else {
            puppets[s.who]!.queue.push(s.op);
            checker.run(w.engine.now + 30_000);
          }
        }
        for (const p of puppets) {
          stats.connected += p.front ? 1 : 0;
          stats.ringsShut += p.backends[0]!.failed ? 1 : 0;
          stats.invalidRequests += p.backends[0]!.stats.invalid;
        }
        stats.xenstoreErrors += Object.values(w.dom0.xs.xsd.stats().errorsByName).reduce((a, b) => a + b, 0);
        for (const p of puppets) expect(destroyGuest(w.hv, w.dom0, p.domain, p.backends)).toBe(0);
        checker.run(w.engine.now + 5_000_000);
        checker.check();
        for (const p of puppets) expect(leftovers(src, p.domain.id)).toEqual([]);
        expect(compareCensus(before, census(src))).toEqual([]);
        stats.sequences++;
        stats.ops += steps.length;
      }),
      { seed: FUZZ_SEED + 2, numRuns: fuzzRuns(600) },
    );
  }, FUZZ_TIMEOUT_MS);
});
