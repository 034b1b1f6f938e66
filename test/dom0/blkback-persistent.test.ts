// blkback's persistent grants against a raw frontend that offers them: a grant is mapped the
// first time a request names it and kept, a ref already carrying a request in flight is mapped
// a second time for that request only, a read-only grant cannot be kept (the backend maps
// writable), at most 1,056 are kept, a kept grant's entry rewritten to another page changes
// nothing dom0 touches, and all go when the ring does.
import { describe, expect, it } from 'vitest';
import { BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_RSP_ERROR } from '../../hypervisor/public/io/blkif';
import { MAX_PERSISTENT_GRANTS } from '../../dom0/blkback-map';
import { gnttabSetupTable } from '../../hypervisor/public/calls';
import { grantAccess } from '../../hypervisor/public/grant_table';
import { destroyGuest } from '../../lab/run/toolstack';
import { grantedPage, withRawFront } from '../helpers/rawfront-world';

const seg = (gref: number) => ({ gref, first: 0, last: 7 });

describe('blkback with persistent grants', () => {
  it('is offered in map mode and not by qdisk, and is used only when the frontend offers it too', () => {
    for (const [mode, persistent, kept] of [['map', true, 1], ['map', false, 0], ['copy', true, 0]] as const) {
      let offered: string | undefined;
      const { bb } = withRawFront(mode, function* (k, env, f) {
        offered = yield* k.xs.read(`${f.be}/feature-persistent`);
        const p = grantedPage(k, env, () => 1);
        for (let id = 0; id < 3; id++) {
          f.produce({ op: BLKIF_OP_READ, id, sector: 8 * id, segs: [seg(p.gref)] });
          f.publish();
          yield* f.awaitResponses(1, 50e6);
        }
      }, persistent);
      expect(offered, `${mode}`).toBe(mode === 'map' ? '1' : '0');
      expect(bb.persistentGrants, `${mode} ${persistent}`).toBe(kept);
      expect(bb.stats.responses).toBe(3);
      if (mode === 'map') expect(bb.stats).toMatchObject(persistent ? { grantMaps: 1, persistentHits: 2, unmapBatches: 0 } : { grantMaps: 3, persistentHits: 0, unmapBatches: 3 });
    }
  });

  it('maps a ref that a request in flight already uses again, for the second request only, and both complete', () => {
    const statuses: number[] = [];
    const { bb } = withRawFront('map', function* (k, env, f) {
      const p = grantedPage(k, env, () => 7);
      f.produce({ op: BLKIF_OP_READ, id: 1, sector: 0, segs: [seg(p.gref)] });
      f.produce({ op: BLKIF_OP_READ, id: 2, sector: 8, segs: [seg(p.gref)] });
      f.publish();
      statuses.push(...(yield* f.awaitResponses(2, 50e6)).map((r) => r.status));
    }, true);
    expect(statuses).toEqual([0, 0]);
    expect(bb.stats).toMatchObject({ grantMaps: 2, persistentHits: 0, unmapBatches: 1 });
    expect(bb.persistentGrants).toBe(1);
  });

  it('answers a write through a read-only grant with an error, since a kept grant is mapped writable, and keeps nothing', () => {
    const statuses: number[] = [];
    const { bb } = withRawFront('map', function* (k, env, f) {
      const ro = grantedPage(k, env, () => 3, true);
      f.produce({ op: BLKIF_OP_WRITE, id: 1, sector: 0, segs: [seg(ro.gref)] });
      f.publish();
      statuses.push(...(yield* f.awaitResponses(1, 50e6)).map((r) => r.status));
    }, true);
    expect(statuses).toEqual([BLKIF_RSP_ERROR]);
    expect(bb.persistentGrants).toBe(0);
    expect(bb.stats.bytes).toBe(0);
    expect(bb.failed).toBeUndefined();
  });

  it(`keeps at most ${MAX_PERSISTENT_GRANTS} grants and maps and unmaps the rest per request`, () => {
    const perRequest = 11;
    const requests = Math.ceil(MAX_PERSISTENT_GRANTS / perRequest) + 1; // 97: 1,067 refs
    let ok = 0;
    const { bb } = withRawFront('map', function* (k, env, f) {
      for (let id = 0; id < requests; id++) {
        const segs = Array.from({ length: perRequest }, () => seg(grantedPage(k, env, () => id).gref));
        f.produce({ op: BLKIF_OP_READ, id, sector: 88 * id, segs });
        f.publish();
        ok += (yield* f.awaitResponses(1, 50e6)).filter((r) => r.status === 0).length;
      }
    }, true);
    const refs = requests * perRequest;
    expect(ok).toBe(requests);
    expect(bb.persistentGrants).toBe(MAX_PERSISTENT_GRANTS);
    expect(bb.stats.grantMaps).toBe(refs);
    // 96 requests of 11 fill the 1,056 exactly; only the 97th had pages to unmap.
    expect(bb.stats.unmapBatches).toBe(1);
  });

  it("keeps using the frame it mapped when the frontend rewrites a kept grant's entry to another page", () => {
    // Xen fixes a pinned entry's frame until its last unmap; a kept grant stays pinned.
    const seen: { statuses: number[]; disk?: Uint8Array; other?: Uint8Array } = { statuses: [] };
    withRawFront('map', function* (k, env, f) {
      const a = grantedPage(k, env, () => 0x11);
      const b = grantedPage(k, env, () => 0x22);
      const table = gnttabSetupTable(env, 4).frames.map((mfn) => env.machinePage(mfn)!);
      f.produce({ op: BLKIF_OP_READ, id: 1, sector: 0, segs: [seg(a.gref)] }); // kept from now on
      f.publish();
      seen.statuses.push(...(yield* f.awaitResponses(1, 50e6)).map((r) => r.status));
      grantAccess(table, a.gref, 0, b.gfn, false); // the entry now names page b
      a.p.fill(0x33);
      f.produce({ op: BLKIF_OP_WRITE, id: 2, sector: 8, segs: [seg(a.gref)] });
      f.publish();
      seen.statuses.push(...(yield* f.awaitResponses(1, 50e6)).map((r) => r.status));
      const c = grantedPage(k, env, () => 0);
      f.produce({ op: BLKIF_OP_READ, id: 3, sector: 8, segs: [seg(c.gref)] });
      f.publish();
      seen.statuses.push(...(yield* f.awaitResponses(1, 50e6)).map((r) => r.status));
      seen.disk = c.p.slice();
      seen.other = b.p.slice();
    }, true);
    expect(seen.statuses).toEqual([0, 0, 0]);
    expect(seen.disk!.every((x) => x === 0x33)).toBe(true); // written from page a, the mapped frame
    expect(seen.other!.every((x) => x === 0x22)).toBe(true); // page b was never touched
  });

  it('unmaps every kept grant when the guest is destroyed, so no frame of it stays mapped', () => {
    const { w, bb } = withRawFront('map', function* (k, env, f) {
      for (let id = 0; id < 4; id++) f.produce({ op: BLKIF_OP_READ, id, sector: 8 * id, segs: [seg(grantedPage(k, env, () => id).gref)] });
      f.publish();
      yield* f.awaitResponses(4, 50e6);
    }, true);
    const dom = w.hv.domainByName('front')!;
    const mappedOfFront = () => w.hv.grants.liveMappings().filter((m) => m.granter === dom.id).length;
    expect(bb.persistentGrants).toBe(4);
    expect(mappedOfFront()).toBe(5); // the four kept pages and the ring
    expect(destroyGuest(w.hv, w.dom0, dom, [bb])).toBe(0);
    w.engine.run(w.engine.now + 50e6);
    expect(bb.persistentGrants).toBe(0);
    expect(mappedOfFront()).toBe(0);
    expect(w.hv.grants.checkInvariants()).toEqual([]);
  });
});
