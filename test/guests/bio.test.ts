// The guest block layer's request shapes (guests/kernel/bio.ts): an I/O larger than a device
// takes in one request is split, as Linux splits a bio to the queue's max_segments, and a page
// carries only the sectors of the I/O. Before, fio refused outright any bs above 44 KiB on
// blkfront (11 segments) and scored 0 (`pvlab compare fio bs=64k` showed pv at 0 IOPS);
// virtio-blk failed every I/O whose size was not a whole number of pages; and blkfront moved
// whole pages, so a 2560-byte write wrote 4096 bytes to the disk.
import { describe, expect, it } from 'vitest';
import { sectorsInPage, splitIo } from '../../guests/kernel/bio';
import type { BlockIo } from '../../guests/kernel/types';
import { baseScenario, withMode, type CompareMode } from '../../lab/compare';
import { buildWorld } from '../../lab/run/world';

function io(pages: number, count: number, done: (s: number) => void = () => {}): BlockIo {
  return { op: 'read', sector: 1000, count, gfns: Array.from({ length: pages }, (_, i) => 50 + i), done };
}

describe('splitIo and sectorsInPage', () => {
  it('leaves an I/O that fits as it is', () => {
    const one = io(11, 88);
    expect(splitIo(one, 11)).toEqual([one]);
  });

  it('splits 12 pages for an 11-page device into 11 + 1, the last page partial', () => {
    const whole = io(12, 89);
    const parts = splitIo(whole, 11);
    expect(parts.map((p) => [p.sector, p.count, p.gfns])).toEqual([
      [1000, 88, whole.gfns.slice(0, 11)],
      [1088, 1, [61]],
    ]);
    expect([0, 1, 2].map((i) => sectorsInPage(parts[1]!.count, i))).toEqual([1, 0, 0]);
    expect([0, 10, 11].map((i) => sectorsInPage(whole.count, i))).toEqual([8, 8, 1]);
  });

  it('completes the whole I/O once, after its last part, with the first failure', () => {
    const seen: number[] = [];
    const parts = splitIo(io(30, 240, (s) => seen.push(s)), 11);
    expect(parts.map((p) => p.gfns.length)).toEqual([11, 11, 8]);
    parts[2]!.done(0);
    parts[0]!.done(-5);
    expect(seen).toEqual([]);
    parts[1]!.done(-1);
    expect(seen).toEqual([-5]);
  });
});

/** One fio job under `mode` in compare's stage, run until it ends. */
function fioRun(mode: CompareMode, options: Record<string, string>, cmdline?: string) {
  const s = withMode(baseScenario({ workload: { kind: 'fio', options }, duration: '5s' }), mode, undefined);
  if (cmdline !== undefined) s.domains[0]!.cmdline = cmdline;
  const w = buildWorld(s);
  w.engine.run(s.duration);
  const stats = w.guests.find((g) => g.fio)!.fio!.stats();
  const disk = [...w.storage.disks.values()][0]!.stats;
  return { stats, disk, w };
}

const MODES: CompareMode[] = ['native', 'pv', 'pvh', 'hvm', 'hvm-ahci', 'bt', 'pvhvm', 'kvm', 'kvm-virtio', 'kvm-vhost'];

describe('fio block sizes the lessons do not use, in every mode', () => {
  for (const mode of MODES) {
    it(`${mode}: 64 KiB reads run (split where the device takes fewer pages), and a 2560-byte write writes 2560 bytes`, () => {
      const big = fioRun(mode, { rw: 'randread', bs: '64k', ops: '20' });
      expect(big.stats).toMatchObject({ ops: 20, errors: 0, finished: true });
      expect(big.disk.bytesRead).toBe(20 * 65536);
      const odd = fioRun(mode, { rw: 'write', bs: '2560', ops: '10', verify: 'true' });
      expect(odd.stats).toMatchObject({ ops: 20, errors: 0, verifyErrors: 0, finished: true }); // 10 written, 10 read back
      expect([odd.disk.bytesWritten, odd.disk.bytesRead]).toEqual([10 * 2560, 10 * 2560]);
    });
  }

  it('pv: a 64 KiB I/O is one INDIRECT request of 16 segments from blkback, and 11 + 5 from qdisk, which offers none', () => {
    // Without persistent grants, blkback maps 16 data pages and the page of descriptors per
    // I/O; the descriptors are unmapped at once (one batch) and the data at completion (another).
    const mapped = fioRun('pv', { rw: 'randread', bs: '64k', ops: '20' }, 'xen_blkfront.feature_persistent=0');
    const [bb] = mapped.w.guests.find((g) => g.fio)!.backends;
    expect(bb!.stats).toMatchObject({ requests: 20, responses: 20, errors: 0, invalid: 0, grantMaps: 20 * 17, unmapBatches: 20 * 2, persistentHits: 0 });
    // With them (Linux's default), one I/O at a time reuses the same 16 pages and the same
    // request id's descriptor page: the first maps 17 grants, and the 19 others find them mapped.
    const phy = fioRun('pv', { rw: 'randread', bs: '64k', ops: '20' });
    const [pb] = phy.w.guests.find((g) => g.fio)!.backends;
    expect(pb!.stats).toMatchObject({ requests: 20, responses: 20, errors: 0, invalid: 0, grantMaps: 17, unmapBatches: 0, persistentHits: 19 * 17 });
    expect(pb!.persistentGrants).toBe(17);
    const front = phy.w.guests.find((g) => g.fio)!.kernel!.disks[0]!;
    expect(front.maxPages).toBe(32);
    expect(front.stats.bounceBytes).toBe(20 * 65536);
    // xen_blkfront.max_indirect_segments=11 turns INDIRECT off: 11 + 5 again.
    const eleven = fioRun('pv', { rw: 'randread', bs: '64k', ops: '20' }, 'xen_blkfront.max_indirect_segments=11');
    expect(eleven.w.guests.find((g) => g.fio)!.backends[0]!.stats).toMatchObject({ requests: 40, responses: 40, errors: 0 });
    // 128 KiB is 32 pages, one request; 256 KiB two.
    for (const [bs, requests] of [['128k', 20], ['256k', 40]] as const) {
      const r = fioRun('pv', { rw: 'randread', bs, ops: '20' });
      expect(r.w.guests.find((g) => g.fio)!.backends[0]!.stats).toMatchObject({ requests, responses: requests, errors: 0 });
    }
    // QEMU's qdisk copies grants and offers no indirect requests: the block layer splits at 11.
    const s = withMode(baseScenario({ workload: { kind: 'fio', options: { rw: 'randread', bs: '64k', ops: '20' } }, duration: '5s' }), 'pv', undefined);
    s.domains[0]!.disk[0]!.backendtype = 'qdisk';
    const w = buildWorld(s);
    w.engine.run(s.duration);
    const g = w.guests.find((x) => x.fio)!;
    expect(g.backends[0]!.stats).toMatchObject({ requests: 40, responses: 40, errors: 0, grantMaps: 0, grantCopies: 20 * 16 });
    expect(g.fio!.stats()).toMatchObject({ ops: 20, errors: 0, finished: true });
  });

  it('says where iodepth cannot apply: one command at a time on IDE; nothing for AHCI (NCQ), PV or virtio', () => {
    const notices = (mode: CompareMode, iodepth: string) => fioRun(mode, { rw: 'randread', bs: '4k', iodepth, ops: '64' }).w.notices;
    expect(notices('hvm', '8')).toEqual(["guest: an IDE channel runs one command at a time, as real ones do, so fio's iodepth 8 runs as iodepth 1"]);
    expect(notices('hvm', '1')).toEqual([]);
    expect(notices('native', '32')).toEqual([]);
    expect(notices('pv', '32')).toEqual([]);
    expect(notices('kvm-virtio', '32')).toEqual([]);
  });

  it('native and hvm-ahci queue reads with NCQ (native keeps all 32 at the disk), so iodepth 32 beats iodepth 1 many times over; IDE cannot', () => {
    const run = (mode: CompareMode, iodepth: string) => {
      const r = fioRun(mode, { rw: 'randread', bs: '4k', iodepth, ops: '2000' });
      const g = r.w.guests.find((x) => x.fio)!;
      return { iops: (r.stats.ops * 1e9) / (g.fio!.finishedAt - g.fio!.startedAt), depth: [...r.w.storage.disks.values()][0]!.stats.maxDepth, errors: r.stats.errors };
    };
    for (const mode of ['native', 'hvm-ahci'] as const) {
      const [one, deep] = [run(mode, '1'), run(mode, '32')];
      expect([one.errors, deep.errors]).toEqual([0, 0]);
      expect(one.depth).toBe(1);
      console.log(`${mode}: iodepth 1 ${one.iops.toFixed(0)} IOPS, iodepth 32 ${deep.iops.toFixed(0)} IOPS, at most ${deep.depth} at the disk`);
      expect(deep.depth).toBeGreaterThan(8);
      expect(deep.iops / one.iops).toBeGreaterThan(8); // the disk serves 42 at once
    }
    const ide = run('hvm', '32');
    expect(ide.depth).toBe(1);
  });
});
