// Grant tables: every GNTST result of map, unmap and copy (REFERENCE §4.3), the granter's
// side of the protocol in its own table frames, teardown with frames still mapped, and a
// property over random operations from three domains.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FREE, MachineMemory } from '../../hw/memory';
import {
  GFN_NOT_RAM, GFN_PAGED_OUT, GrantTables, type CopyOp, type GrantDomain,
} from '../../hypervisor/grant';
import {
  GNTCOPY_dest_gref, GNTCOPY_source_gref, GNTMAP_device_map, GNTMAP_host_map, GNTMAP_readonly,
  GNTST, GNTTABOP, GRANT_ENTRIES_PER_FRAME, GTF_reading, GTF_writing, NR_RESERVED_ENTRIES,
  endForeignAccess, gntstName, grantAccess, readGrantEntry, writeU16,
} from '../../hypervisor/public/grant_table';
import { DOMID_SELF } from '../../hypervisor/public/xen';

interface Opts { privileged?: boolean; hvm?: boolean; maxGrantFrames?: number; maxMaptrackFrames?: number }
const HOST = GNTMAP_host_map;
const RO = GNTMAP_host_map | GNTMAP_readonly;
const REF = NR_RESERVED_ENTRIES; // the first ref a guest may use

function lab(totalFrames = 4096) {
  const memory = new MachineMemory(totalFrames);
  const doms = new Map<number, GrantDomain & { ram: number[]; pagedOut: Set<number> }>();
  let deny = false;
  const gt = new GrantTables({ memory, domain: (id) => doms.get(id), xsmAllowsGrant: () => !deny });
  const add = (id: number, o: Opts = {}) => {
    const ram = memory.allocate(id, 16)!;
    const pagedOut = new Set<number>();
    const gfnToMfn = (g: number) => (pagedOut.has(g) ? GFN_PAGED_OUT : ram[g] ?? GFN_NOT_RAM);
    doms.set(id, {
      id, privileged: o.privileged ?? false, hvm: o.hvm ?? false, dying: false, gfnToMfn, ram, pagedOut,
      maxGrantFrames: o.maxGrantFrames ?? 4, maxMaptrackFrames: o.maxMaptrackFrames ?? 1,
    });
    expect(gt.initDomain(id, 1)).toBe(0);
  };
  /** The granter's own view of its table, as a guest gets it from setup_table. */
  const table = (id: number) => gt.setupTable(id, DOMID_SELF, 1).frames.map((m) => memory.page(m));
  const grant = (granter: number, ref: number, to: number, gfn: number, ro = false) =>
    expect(grantAccess(table(granter), ref, to, gfn, ro)).toBe(true);
  const setDeny = (v: boolean) => { deny = v; };
  return { memory, doms, gt, add, table, grant, setDeny };
}

/** dom0 (privileged backend) and domU 1 which granted gfn 3 to dom0 at REF. */
function granted(ro = false) {
  const l = lab();
  l.add(0, { privileged: true });
  l.add(1);
  l.add(2);
  l.grant(1, REF, 0, 3, ro);
  return l;
}

describe('the public v1 entry', () => {
  it('is 8 bytes, 512 to a frame, and the granter writes flags last', () => {
    expect(GNTTABOP.copy).toBe(5);
    expect(GRANT_ENTRIES_PER_FRAME).toBe(512);
    expect(gntstName(GNTST.no_space)).toBe('GNTST_no_space');
    expect(GNTST.no_space).toBe(-13);
    const page = new Uint8Array(4096);
    expect(grantAccess([page], 513, 1, 7, false)).toBe(false);
    expect(grantAccess([page], 9, 0x1234, 0xabcdef, true)).toBe(true);
    expect([...page.subarray(72, 80)]).toEqual([0x05, 0, 0x34, 0x12, 0xef, 0xcd, 0xab, 0]);
    expect(readGrantEntry([page], 9)).toEqual({ flags: 5, domid: 0x1234, frame: 0xabcdef });
  });
});

describe('GNTTABOP_map_grant_ref', () => {
  it('maps a granted frame: the handle reaches the granter\'s bytes', () => {
    const { gt, memory, doms } = granted();
    const r = gt.map(0, { dom: 1, ref: REF, flags: HOST });
    expect(r.status).toBe(GNTST.okay);
    expect(r.mfn).toBe(doms.get(1)!.ram[3]);
    memory.page(r.mfn)[10] = 42;
    const f = gt.accessFrame(0, r.handle)!;
    expect(f.writable).toBe(true);
    expect(f.page[10]).toBe(42);
    expect(gt.counters.maps).toBe(1);
  });

  it('mapping without host_map or device_map gives GNTST_bad_gntref', () => {
    const { gt } = granted();
    expect(gt.map(0, { dom: 1, ref: REF, flags: GNTMAP_readonly })).toMatchObject({ status: GNTST.bad_gntref, reason: { kind: 'no-map-kind' } });
  });

  it('an HVM mapper asking for device_map gets GNTST_general_error', () => {
    const l = granted();
    l.add(5, { hvm: true });
    l.grant(1, REF + 1, 5, 4);
    expect(l.gt.map(5, { dom: 1, ref: REF + 1, flags: GNTMAP_device_map }).reason).toEqual({ kind: 'hvm-device-map' });
    expect(l.gt.map(5, { dom: 1, ref: REF + 1, flags: HOST }).status).toBe(GNTST.okay);
  });

  it('mapping from a domain that does not exist gives GNTST_bad_domain', () => {
    const { gt } = granted();
    expect(gt.map(0, { dom: 9, ref: REF, flags: HOST }).status).toBe(GNTST.bad_domain);
  });

  it('mapping from a dying granter gives GNTST_bad_domain', () => {
    const { gt, doms } = granted();
    doms.get(1)!.dying = true;
    expect(gt.map(0, { dom: 1, ref: REF, flags: HOST })).toMatchObject({ status: GNTST.bad_domain, reason: { kind: 'granter-dying' } });
  });

  it('an XSM refusal gives GNTST_permission_denied', () => {
    const { gt, setDeny } = granted();
    setDeny(true);
    expect(gt.map(0, { dom: 1, ref: REF, flags: HOST }).status).toBe(GNTST.permission_denied);
  });

  it('a full maptrack table gives GNTST_no_space', () => {
    const { gt, grant } = granted();
    const capacity = 256; // one maptrack frame of 16-byte entries
    for (let i = 0; i < capacity + 1; i++) grant(1, REF + i, 0, i % 16);
    for (let i = 0; i < capacity; i++) expect(gt.map(0, { dom: 1, ref: REF + i, flags: RO }).status).toBe(GNTST.okay);
    expect(gt.map(0, { dom: 1, ref: REF + capacity, flags: RO }).status).toBe(GNTST.no_space);
    expect(gt.unmap(0, 17).status).toBe(GNTST.okay);
    expect(gt.map(0, { dom: 1, ref: REF + capacity, flags: RO })).toMatchObject({ status: GNTST.okay, handle: 17 });
  });

  it('a ref beyond the table gives GNTST_bad_gntref', () => {
    const { gt } = granted();
    expect(gt.map(0, { dom: 1, ref: GRANT_ENTRIES_PER_FRAME, flags: HOST }).reason).toEqual({ kind: 'ref-out-of-range' });
    expect(gt.map(0, { dom: 1, ref: -1, flags: HOST }).status).toBe(GNTST.bad_gntref);
  });

  it('mapping an entry pinned for another domain gives GNTST_general_error', () => {
    const { gt, grant } = granted();
    expect(gt.map(0, { dom: 1, ref: REF, flags: HOST }).status).toBe(GNTST.okay);
    grant(1, REF, 2, 3); // a hostile granter rewrites the entry while it is in use
    expect(gt.map(2, { dom: 1, ref: REF, flags: RO }).reason).toEqual({ kind: 'pinned-by-other-domid' });
  });

  it('overflowing a pin counter gives GNTST_general_error', () => {
    const { gt } = granted();
    for (let i = 0; i < 128; i++) expect(gt.map(0, { dom: 1, ref: REF, flags: RO }).status).toBe(GNTST.okay);
    expect(gt.map(0, { dom: 1, ref: REF, flags: RO })).toMatchObject({ status: GNTST.general_error, reason: { kind: 'pin-overflow' } });
  });

  it('mapping an entry that is not permit_access gives GNTST_general_error', () => {
    const { gt } = granted();
    expect(gt.map(0, { dom: 1, ref: REF + 1, flags: HOST })).toMatchObject({ status: GNTST.general_error, reason: { kind: 'not-permit-access' } });
  });

  it('mapping a grant made for another domain gives GNTST_general_error', () => {
    const { gt } = granted();
    expect(gt.map(2, { dom: 1, ref: REF, flags: HOST })).toMatchObject({ status: GNTST.general_error, reason: { kind: 'wrong-domid' } });
  });

  it('a writable map of a read-only grant gives GNTST_general_error, even once pinned', () => {
    const { gt } = granted(true);
    expect(gt.map(0, { dom: 1, ref: REF, flags: HOST }).reason).toEqual({ kind: 'readonly-violation' });
    const r = gt.map(0, { dom: 1, ref: REF, flags: RO });
    expect(r.status).toBe(GNTST.okay);
    expect(gt.accessFrame(0, r.handle)!.writable).toBe(false);
    expect(gt.map(0, { dom: 1, ref: REF, flags: HOST }).reason).toEqual({ kind: 'readonly-violation' });
  });

  it('a frame that is not RAM of the granter gives GNTST_bad_page', () => {
    const { gt, grant, doms } = granted();
    grant(1, REF + 1, 0, 99); // no such gfn
    expect(gt.map(0, { dom: 1, ref: REF + 1, flags: HOST })).toMatchObject({ status: GNTST.bad_page, reason: { kind: 'frame-not-granter-ram' } });
    doms.get(1)!.gfnToMfn = () => doms.get(2)!.ram[0]!; // a lying p2m pointing at dom2's RAM
    grant(1, REF + 2, 0, 1);
    expect(gt.map(0, { dom: 1, ref: REF + 2, flags: HOST }).status).toBe(GNTST.bad_page);
  });

  it('a paged-out frame gives GNTST_eagain', () => {
    const { gt, doms } = granted();
    doms.get(1)!.pagedOut.add(3);
    expect(gt.map(0, { dom: 1, ref: REF, flags: HOST }).status).toBe(GNTST.eagain);
  });

  it('sets GTF_reading and GTF_writing in the entry while mapped, and clears them at the last unmap', () => {
    const { gt, table } = granted();
    const flags = () => readGrantEntry(table(1), REF)!.flags;
    const a = gt.map(0, { dom: 1, ref: REF, flags: HOST });
    const b = gt.map(0, { dom: 1, ref: REF, flags: RO });
    expect(flags() & (GTF_reading | GTF_writing)).toBe(GTF_reading | GTF_writing);
    gt.unmap(0, a.handle);
    expect(flags() & (GTF_reading | GTF_writing)).toBe(GTF_reading);
    gt.unmap(0, b.handle);
    expect(flags() & (GTF_reading | GTF_writing)).toBe(0);
    expect(gt.checkInvariants()).toEqual([]);
  });

  it('revoking an in-use grant fails, and succeeds once it is unmapped', () => {
    const { gt, table } = granted();
    const r = gt.map(0, { dom: 1, ref: REF, flags: HOST });
    expect(endForeignAccess(table(1), REF)).toBe(false);
    expect(readGrantEntry(table(1), REF)!.domid).toBe(0);
    gt.unmap(0, r.handle);
    expect(endForeignAccess(table(1), REF)).toBe(true);
    expect(gt.map(0, { dom: 1, ref: REF, flags: HOST }).reason).toEqual({ kind: 'not-permit-access' });
  });

  it('handles index the mapper\'s own maptrack table', () => {
    const { gt, grant } = granted();
    grant(1, REF + 1, 2, 4);
    expect(gt.map(0, { dom: 1, ref: REF, flags: HOST }).handle).toBe(0);
    expect(gt.map(2, { dom: 1, ref: REF + 1, flags: HOST }).handle).toBe(0);
    expect(gt.accessFrame(2, 1)).toBeUndefined();
    expect(gt.accessFrame(1, 0)).toBeUndefined();
  });

  it('a device map reports the bus address of the frame', () => {
    const { gt } = granted();
    const r = gt.map(0, { dom: 1, ref: REF, flags: GNTMAP_device_map | HOST });
    expect(r.devBusAddr).toBe(r.mfn * 4096);
  });
});

describe('GNTTABOP_unmap_grant_ref', () => {
  it('an unknown handle gives GNTST_bad_handle', () => {
    const { gt } = granted();
    expect(gt.unmap(0, 5).status).toBe(GNTST.bad_handle);
    expect(gt.unmap(7, 0).status).toBe(GNTST.bad_handle);
  });

  it('unmapping the same handle twice gives GNTST_bad_handle', () => {
    const { gt } = granted();
    const r = gt.map(0, { dom: 1, ref: REF, flags: HOST });
    expect(gt.unmap(0, r.handle).status).toBe(GNTST.okay);
    expect(gt.unmap(0, r.handle).status).toBe(GNTST.bad_handle);
    expect(gt.accessFrame(0, r.handle)).toBeUndefined();
    expect(gt.counters.failures).toEqual({ GNTST_bad_handle: 1 });
  });

  it('a device unmap with the wrong bus address gives GNTST_bad_dev_addr', () => {
    const { gt } = granted();
    const r = gt.map(0, { dom: 1, ref: REF, flags: GNTMAP_device_map });
    expect(gt.unmap(0, r.handle, r.devBusAddr + 4096).status).toBe(GNTST.bad_dev_addr);
    expect(gt.unmap(0, r.handle, r.devBusAddr).status).toBe(GNTST.okay);
  });
});

describe('GNTTABOP_copy', () => {
  const copyIn = (len = 5, srcOff = 100, dstOff = 7): CopyOp => ({
    source: { refOrGfn: REF, domid: 1, offset: srcOff }, dest: { refOrGfn: 2, domid: DOMID_SELF, offset: dstOff },
    len, flags: GNTCOPY_source_gref,
  });

  it('copies from a grant into a local frame, without any mapping', () => {
    const { gt, memory, doms } = granted();
    memory.page(doms.get(1)!.ram[3]!).set([1, 2, 3, 4, 5], 100);
    expect(gt.copy(0, [copyIn()])).toEqual([GNTST.okay]);
    expect([...memory.page(doms.get(0)!.ram[2]!).subarray(7, 12)]).toEqual([1, 2, 3, 4, 5]);
    expect(gt.counters).toMatchObject({ copies: 1, bytesCopied: 5, maps: 0 });
  });

  it('a copy crossing the end of a page gives GNTST_bad_copy_arg', () => {
    const { gt } = granted();
    expect(gt.copy(0, [copyIn(4000, 100), copyIn(10, 0, 4090), copyIn(-1)])).toEqual([GNTST.bad_copy_arg, GNTST.bad_copy_arg, GNTST.bad_copy_arg]);
    expect(gt.copy(0, [copyIn(4096, 0, 0)])).toEqual([GNTST.okay]);
  });

  it('copying through a grant made for another domain gives GNTST_general_error', () => {
    const { gt } = granted();
    expect(gt.copy(2, [copyIn()])).toEqual([GNTST.general_error]);
  });

  it('copying into a read-only grant gives GNTST_general_error', () => {
    const { gt } = granted(true);
    const op: CopyOp = { source: { refOrGfn: 0, domid: DOMID_SELF, offset: 0 }, dest: { refOrGfn: REF, domid: 1, offset: 0 }, len: 8, flags: GNTCOPY_dest_gref };
    expect(gt.copy(0, [op])).toEqual([GNTST.general_error]);
    expect(gt.counters.failuresByReason).toEqual({ 'readonly-violation': 1 });
  });

  it('per element: bad domain, bad ref, bad page, and local frames of others', () => {
    const l = granted();
    const { gt } = l;
    const ops: CopyOp[] = [
      { ...copyIn(), source: { refOrGfn: REF, domid: 9, offset: 0 } },
      { ...copyIn(), source: { refOrGfn: 99999, domid: 1, offset: 0 } },
      { ...copyIn(), dest: { refOrGfn: 77, domid: DOMID_SELF, offset: 0 } },
      copyIn(),
    ];
    expect(gt.copy(0, ops)).toEqual([GNTST.bad_domain, GNTST.bad_gntref, GNTST.bad_page, GNTST.okay]);
    const foreign: CopyOp = { source: { refOrGfn: 1, domid: 1, offset: 0 }, dest: { refOrGfn: 1, domid: DOMID_SELF, offset: 0 }, len: 1, flags: 0 };
    expect(gt.copy(2, [foreign])).toEqual([GNTST.permission_denied]);
    expect(gt.copy(0, [foreign])).toEqual([GNTST.okay]); // a privileged domain may
  });
});

describe('GNTTABOP_setup_table', () => {
  it('grows the table in frames the domain owns, up to its limit', () => {
    const { gt, memory, doms } = granted();
    const r = gt.setupTable(1, DOMID_SELF, 3);
    expect(r.status).toBe(GNTST.okay);
    expect(r.frames).toHaveLength(3);
    expect(r.frames.every((m) => memory.owner(m) === 1)).toBe(true);
    expect(gt.querySize(1, DOMID_SELF)).toEqual({ status: GNTST.okay, nrFrames: 3, maxFrames: 4 });
    expect(gt.setupTable(1, DOMID_SELF, 5)).toMatchObject({ status: GNTST.general_error, reason: { kind: 'table-too-big' } });
    grantAccess(r.frames.map((m) => memory.page(m)), 3 * 512 - 1, 0, 5, false);
    expect(gt.map(0, { dom: 1, ref: 3 * 512 - 1, flags: HOST }).mfn).toBe(doms.get(1)!.ram[5]);
  });

  it('for another domain it needs privilege', () => {
    const { gt } = granted();
    expect(gt.setupTable(2, 1, 1).status).toBe(GNTST.permission_denied);
    expect(gt.setupTable(0, 1, 2).status).toBe(GNTST.okay);
    expect(gt.setupTable(0, 9, 1).status).toBe(GNTST.bad_domain);
  });

  it('initDomain refuses unknown domains, twice, too many frames, and short memory', () => {
    const l = lab(40);
    l.add(1);
    expect(l.gt.initDomain(1, 1)).toBe(-17);
    expect(l.gt.initDomain(5, 1)).toBe(-3);
    l.doms.set(2, { ...l.doms.get(1)!, id: 2, maxGrantFrames: 64 });
    expect(l.gt.initDomain(2, 65)).toBe(-22);
    expect(l.gt.initDomain(2, 64)).toBe(-12);
  });
});

describe('domain teardown', () => {
  it('a destroyed granter\'s mapped frames stay allocated until the last unmap', () => {
    const { gt, memory, doms } = granted();
    const ram = doms.get(1)!.ram;
    const table = gt.setupTable(1, DOMID_SELF, 1).frames;
    const r = gt.map(0, { dom: 1, ref: REF, flags: HOST });
    memory.page(r.mfn)[0] = 9;
    expect(gt.destroyDomain(1)).toEqual([ram[3]]);
    expect(memory.owner(table[0]!)).toBe(FREE); // the table itself is gone
    expect(gt.isFrameMapped(ram[3]!)).toBe(true);
    for (const m of ram) if (!gt.isFrameMapped(m)) memory.free(m); // what the domain layer does
    expect(memory.owner(ram[3]!)).toBe(1);
    expect(gt.accessFrame(0, r.handle)!.page[0]).toBe(9);
    expect(memory.allocate(7, memory.framesFree)!.includes(ram[3]!)).toBe(false);
    expect(gt.checkInvariants()).toEqual([]);
    expect(gt.unmap(0, r.handle).status).toBe(GNTST.okay);
    expect(memory.owner(ram[3]!)).toBe(FREE);
    expect(gt.checkInvariants()).toEqual([]);
  });

  it('a destroyed mapper\'s mappings are released and the granter may revoke', () => {
    const { gt, table } = granted();
    gt.map(0, { dom: 1, ref: REF, flags: HOST });
    expect(endForeignAccess(table(1), REF)).toBe(false);
    expect(gt.destroyDomain(0)).toEqual([]);
    expect(endForeignAccess(table(1), REF)).toBe(true);
    expect(gt.map(0, { dom: 1, ref: REF, flags: HOST }).status).toBe(GNTST.general_error);
    expect(gt.checkInvariants()).toEqual([]);
  });
});

describe('a property: random operations from three domains', () => {
  const d = fc.nat(3);
  const op = fc.oneof(
    fc.record({ k: fc.constant('grant' as const), d, to: d, ref: fc.nat(12), gfn: fc.nat(17), ro: fc.boolean() }),
    fc.record({ k: fc.constant('revoke' as const), d, ref: fc.nat(12) }),
    fc.record({ k: fc.constant('share' as const), d, to: d, ref: fc.nat(12), gfn: fc.nat(17), flags: fc.nat(31) }),
    fc.record({ k: fc.constant('map' as const), d, from: d, ref: fc.nat(12), flags: fc.nat(31) }),
    fc.record({ k: fc.constant('unmap' as const), d, h: fc.nat(6) }),
    fc.record({ k: fc.constant('copy' as const), d, from: d, ref: fc.nat(12), len: fc.nat(5000), flags: fc.nat(3) }),
    fc.record({ k: fc.constant('write' as const), d, ref: fc.nat(12), v: fc.nat(0xffff) }),
    fc.record({ k: fc.constantFrom('setup' as const, 'destroy' as const), d, n: fc.nat(5) }),
  );

  it('never throws and keeps pin counts equal to live mappings', () => {
    let mapped = 0;
    fc.assert(fc.property(fc.array(op, { minLength: 10, maxLength: 60 }), (ops) => {
      const l = lab(1024);
      l.add(0, { privileged: true });
      l.add(1);
      l.add(2, { hvm: true });
      for (const o of ops) {
        const pages = l.gt.tablePages(o.d) ?? [];
        switch (o.k) {
          case 'grant': grantAccess(pages, REF + o.ref, o.to, o.gfn, o.ro); break;
          case 'revoke': endForeignAccess(pages, REF + o.ref); break;
          case 'share':
            grantAccess(pages, REF + o.ref, o.to, o.gfn, (o.flags & GNTMAP_readonly) !== 0);
            if (l.gt.map(o.to, { dom: o.d, ref: REF + o.ref, flags: o.flags }).status === 0) mapped++;
            break;
          case 'write': if (pages[0]) writeU16(pages[0], (REF + o.ref) * 8, o.v); break; // hostile granter
          case 'map': if (l.gt.map(o.d, { dom: o.from, ref: REF + o.ref, flags: o.flags }).status === 0) mapped++; break;
          case 'unmap': l.gt.unmap(o.d, o.h); l.gt.accessFrame(o.d, o.h); break;
          case 'copy': l.gt.copy(o.d, [{ source: { refOrGfn: REF + o.ref, domid: o.from, offset: 0 }, dest: { refOrGfn: o.ref, domid: DOMID_SELF, offset: 1 }, len: o.len, flags: o.flags }]); break;
          case 'setup': l.gt.setupTable(o.d, DOMID_SELF, o.n); break;
          case 'destroy':
            for (const m of l.gt.destroyDomain(o.d)) expect(l.memory.owner(m)).toBe(o.d);
            l.doms.get(o.d)?.ram.forEach((m) => { if (!l.gt.isFrameMapped(m)) l.memory.free(m); });
            l.doms.delete(o.d);
            break;
        }
        expect(l.gt.checkInvariants()).toEqual([]);
      }
    }), { numRuns: 300 });
    expect(mapped).toBeGreaterThan(100); // the random walk really maps grants
  });
});
