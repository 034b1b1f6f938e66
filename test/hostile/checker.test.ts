// The invariant checker catches what it promises to: a guest that writes through a read-only
// mapping, or through a page it kept after unmapping it, or into a frame it was never granted
// is reported, naming itself and the frame's owner; a write through a writable grant is not;
// a clean destroy leaves nothing behind, and a leak is named.
import { describe, expect, it } from 'vitest';
import { gnttabMap, gnttabUnmap } from '../../hypervisor/public/calls';
import { GNTMAP_host_map, GNTMAP_readonly, endForeignAccess, grantAccess, GNTST } from '../../hypervisor/public/grant_table';
import { block, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import { gnttabSetupTable } from '../../hypervisor/public/calls';
import { InvariantChecker, InvariantViolation, leftovers } from '../../lab/check/invariants';
import { testHost } from '../helpers/host';

const REF = 100;

/** Two domUs: `owner` grants one page to `thief`, who then does `act` with the mapping. */
function pair(readonly: boolean, act: (page: Uint8Array, env: VcpuEnv, handle: number) => GuestProgram) {
  const h = testHost({ pcpus: 1, guests: [] });
  let thiefId = -1;
  const shared = { gfn: 20, granted: false };
  const owner = h.hv.createDomain({ name: 'owner', type: 'pv', vcpus: 1, memoryMiB: 16, weight: 256, cap: 0 }, (env) =>
    (function* (): GuestProgram {
      const table = gnttabSetupTable(env, 1).frames.map((m) => env.machinePage(m)!);
      env.page(shared.gfn)!.fill(7);
      grantAccess(table, REF, thiefId, shared.gfn, readonly);
      shared.granted = true;
      for (;;) yield block();
    })(),
  );
  if (typeof owner === 'string') throw new Error(owner);
  const thief = h.hv.createDomain({ name: 'thief', type: 'pv', vcpus: 1, memoryMiB: 16, weight: 256, cap: 0 }, (env) =>
    (function* (): GuestProgram {
      while (!shared.granted) yield 1000;
      const [m] = gnttabMap(env, [{ dom: owner.id, ref: REF, flags: GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0) }]);
      if (m!.status !== GNTST.okay) throw new Error(`map failed ${m!.status}`);
      yield* act(env.mappedPage(m!.handle)!.page, env, m!.handle);
      for (;;) yield block();
    })(),
  );
  if (typeof thief === 'string') throw new Error(thief);
  thiefId = thief.id;
  h.hv.unpause(owner.id);
  h.hv.unpause(thief.id);
  const checker = new InvariantChecker({ engine: h.engine, hv: h.hv });
  return { h, checker, owner, thief };
}

describe('the invariant checker', () => {
  it('reports a write through a read-only mapping, naming the writer and the owner', () => {
    const { checker } = pair(true, function* (page) {
      yield 1000;
      page[5] = 0xff; // the page table would say no; pvlab hands out the bytes on trust
      yield 1000;
    });
    expect(() => checker.run(1_000_000)).toThrow(InvariantViolation);
    expect(checker.violations.join('\n')).toMatch(/dom2 changed dom1's frame gfn 20 .* without a writable grant/);
  });

  it('accepts a write through a page kept after unmapping while the grant still allows it, and reports it once revoked', () => {
    const flags = { unmapped: false, revoked: false };
    const { h, checker, owner } = pair(false, function* (page, env, handle) {
      gnttabUnmap(env, [handle]);
      flags.unmapped = true;
      yield 1000;
      page[0] = 1; // a stale TLB entry, but the owner's grant still says yes
      while (!flags.revoked) yield 1000;
      page[1] = 1; // the same stale entry after the owner took the grant back
      yield 1000;
    });
    checker.runUntil(() => flags.unmapped, 1_000_000);
    checker.run(h.engine.now + 10_000);
    expect(checker.violations).toEqual([]);
    expect(endForeignAccess(h.hv.grants.tablePages(owner.id)!, REF)).toBe(true); // the owner revokes
    flags.revoked = true;
    expect(() => checker.run(h.engine.now + 100_000)).toThrow(/changed dom1's frame gfn 20/);
  });

  it('accepts writes through a writable grant', () => {
    const { checker } = pair(false, function* (page) {
      yield 1000;
      page.fill(9);
      yield 1000;
    });
    expect(() => checker.run(1_000_000)).not.toThrow();
    expect(checker.writeStats.segments).toBeGreaterThan(0);
  });

  it('reports a frame written by a domain that was never granted it', () => {
    const h = testHost({ pcpus: 1, guests: [{ name: 'victim', workload: 'idle' }] });
    const victim = h.doms.get('victim')!;
    const d = h.hv.createDomain({ name: 'rogue', type: 'pv', vcpus: 1, memoryMiB: 16, weight: 256, cap: 0 }, () =>
      (function* (): GuestProgram {
        yield 1000;
        h.hv.memory.page(victim.sharedInfoMfn)[2560] = 0xff; // masks ports it does not own
        yield 1000;
      })(),
    );
    if (typeof d === 'string') throw new Error(d);
    h.hv.unpause(d.id);
    const checker = new InvariantChecker({ engine: h.engine, hv: h.hv }, { onViolation: 'collect' });
    checker.run(1_000_000);
    expect(checker.violations).toEqual([expect.stringMatching(/dom2 changed byte 2560 of dom1's shared_info/)]);
  });

  it('finds nothing left of a destroyed domain, and names what a leak leaves', () => {
    const h = testHost({ pcpus: 1, guests: [{ name: 'a', workload: 'idle' }, { name: 'b', workload: 'idle' }] });
    const [a, b] = [h.doms.get('a')!, h.doms.get('b')!];
    const port = h.hv.evtchn.allocUnbound(a.id, a.id, b.id);
    h.hv.destroy(b.id);
    h.engine.run(1_000_000);
    expect(leftovers({ hv: h.hv }, b.id)).toEqual([`dom${a.id} port ${port} still refers to dom${b.id} (status 1)`]);
    h.hv.evtchn.close(a.id, port);
    expect(leftovers({ hv: h.hv }, b.id)).toEqual([]);
  });
});
