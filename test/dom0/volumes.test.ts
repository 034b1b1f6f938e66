// dom0's logical volumes (dom0/volumes.ts): extent allocation, typed errors, path resolution,
// sector translation and isolation between volumes on one disk.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EXTENT_BYTES, EXTENT_SECTORS, LogicalVolume, VolumeManager, type BlockTarget } from '../../dom0/volumes';
import { Disk, type DiskRequest, type DiskResult } from '../../hw/disk';
import { DISK_MODELS, SECTOR_SIZE } from '../../hw/disk-models';
import { Engine } from '../../hw/engine';
import { RandomStream } from '../../hw/rng';

const MiB = 1024 * 1024;

/** A 64 MiB disk (16 extents) named sda, and a 32 MiB one named sdb. */
function host() {
  const engine = new Engine();
  const sda = new Disk(engine, DISK_MODELS['nvme-modern']!, 64 * MiB);
  const sdb = new Disk(engine, DISK_MODELS['scsi-10k-2003']!, 32 * MiB);
  return { engine, sda, sdb, lvm: new VolumeManager(engine, { sda, sdb }) };
}

function create(lvm: VolumeManager, name: string, disk: string, sizeBytes: number): LogicalVolume {
  const r = lvm.createVolume(name, disk, sizeBytes);
  if (r.kind !== 'ok') throw new Error(`expected a volume, got ${r.kind}`);
  return r.volume;
}

function io(engine: Engine, target: BlockTarget, req: DiskRequest): DiskResult {
  let result: DiskResult | undefined;
  target.submit(req, (r) => (result = r));
  engine.run();
  return result!;
}

const fill = (sectors: number, byte: number) => new Uint8Array(sectors * SECTOR_SIZE).fill(byte);

describe('allocation', () => {
  test('a volume gets whole 4 MiB extents, rounded up, placed first-fit after the ones before it', () => {
    const { lvm } = host();
    const web = create(lvm, '/dev/vg0/web', 'sda', 10 * MiB);
    const db = create(lvm, '/dev/vg0/db', 'sda', 1);
    expect([web.firstExtent, web.extents, web.sizeBytes]).toEqual([0, 3, 3 * EXTENT_BYTES]);
    expect([db.firstExtent, db.extents, db.sizeSectors]).toEqual([3, 1, EXTENT_SECTORS]);
    expect(lvm.freeExtents('sda')).toBe(12);
  });

  test('removing a volume frees its extents, and the next volume that fits reuses the gap first', () => {
    const { lvm } = host();
    create(lvm, '/dev/vg0/a', 'sda', 8 * MiB);
    create(lvm, '/dev/vg0/b', 'sda', 8 * MiB);
    expect(lvm.removeVolume('/dev/vg0/a')).toBe(true);
    expect(lvm.removeVolume('/dev/vg0/a')).toBe(false);
    expect(create(lvm, '/dev/vg0/c', 'sda', 12 * MiB).firstExtent).toBe(4);
    expect(create(lvm, '/dev/vg0/d', 'sda', 4 * MiB).firstExtent).toBe(0);
    expect(lvm.volumes().map((v) => v.name).sort()).toEqual(['/dev/vg0/b', '/dev/vg0/c', '/dev/vg0/d']);
  });

  test('a missing disk, a full disk, a taken name, a bad name and a bad size are typed errors', () => {
    const { lvm } = host();
    create(lvm, '/dev/vg0/big', 'sda', 40 * MiB);
    expect(lvm.createVolume('/dev/vg0/x', 'sdz', MiB)).toEqual({ kind: 'no-such-disk', disk: 'sdz' });
    expect(lvm.createVolume('/dev/vg0/x', 'sda', 32 * MiB)).toEqual({
      kind: 'no-space', disk: 'sda', neededExtents: 8, largestFreeExtents: 6,
    });
    expect(lvm.createVolume('/dev/vg0/big', 'sdb', MiB)).toEqual({ kind: 'duplicate-name', name: '/dev/vg0/big' });
    expect(lvm.createVolume('/dev/sdb', 'sda', MiB)).toEqual({ kind: 'bad-name', name: '/dev/sdb' });
    expect(lvm.createVolume('web', 'sda', MiB)).toEqual({ kind: 'bad-name', name: 'web' });
    expect(lvm.createVolume('/dev/vg0/x', 'sda', 0)).toEqual({ kind: 'bad-size', sizeBytes: 0 });
    expect(lvm.createVolume('/dev/vg0/x', 'sda', 1.5)).toEqual({ kind: 'bad-size', sizeBytes: 1.5 });
    expect(lvm.freeExtents('sda')).toBe(6);
    expect(lvm.freeExtents('sdz')).toBeUndefined();
  });
});

describe('resolving and translating', () => {
  test('resolveTarget finds a whole disk by /dev/<name> and a volume by its name, and nothing else', () => {
    const { lvm, sda } = host();
    const web = create(lvm, '/dev/vg0/web', 'sdb', MiB);
    expect(lvm.resolveTarget('/dev/sda')).toBe(sda);
    expect(lvm.resolveTarget('/dev/vg0/web')).toBe(web);
    expect(lvm.resolveTarget('sda')).toBeUndefined();
    expect(lvm.resolveTarget('/dev/vg0/db')).toBeUndefined();
  });

  test('a volume sector lands at the same offset inside the volume extents on the disk', () => {
    const { engine, lvm, sda } = host();
    create(lvm, '/dev/vg0/a', 'sda', 4 * MiB);
    const b = create(lvm, '/dev/vg0/b', 'sda', 4 * MiB);
    expect(io(engine, b, { op: 'write', sector: 5, count: 2, data: fill(2, 0x5b) }).status).toBe('ok');
    const raw = io(engine, sda, { op: 'read', sector: EXTENT_SECTORS + 5, count: 2 }).data!;
    expect(raw.every((x) => x === 0x5b)).toBe(true);
    expect(io(engine, b, { op: 'flush', sector: 0, count: 0 }).status).toBe('ok');
    expect(sda.stats.flushes).toBe(1);
  });
});

describe('isolation', () => {
  test('writes to one volume never appear in its neighbours, whatever sectors they hit', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(EXTENT_SECTORS * 2 - 1), fc.integer({ min: 1, max: 64 })), { maxLength: 20 }), (writes) => {
        const { engine, lvm } = host();
        const before = create(lvm, '/dev/vg0/before', 'sda', 4 * MiB);
        const target = create(lvm, '/dev/vg0/target', 'sda', 8 * MiB);
        const after = create(lvm, '/dev/vg0/after', 'sda', 4 * MiB);
        const rng = new RandomStream(writes.length, 'isolation');
        for (const [sector, count] of writes) {
          const s = Math.min(sector, target.sizeSectors - count);
          target.submit({ op: 'write', sector: s, count, data: fill(count, rng.int(1, 255)) }, (r) => expect(r.status).toBe('ok'));
        }
        engine.run();
        for (const neighbour of [before, after]) {
          const all = io(engine, neighbour, { op: 'read', sector: 0, count: neighbour.sizeSectors }).data!;
          expect(all.every((x) => x === 0)).toBe(true);
        }
      }),
      { numRuns: 20 },
    );
  });

  test('a request past the end of a volume is an error and never reaches the disk, even where the disk goes on', () => {
    const { engine, lvm, sda } = host();
    const a = create(lvm, '/dev/vg0/a', 'sda', 4 * MiB);
    create(lvm, '/dev/vg0/b', 'sda', 4 * MiB);
    const refused: DiskRequest[] = [
      { op: 'write', sector: a.sizeSectors - 1, count: 2, data: fill(2, 1) },
      { op: 'read', sector: a.sizeSectors, count: 1 },
      { op: 'read', sector: -8, count: 8 },
    ];
    for (const req of refused) {
      let result: DiskResult | undefined;
      a.submit(req, (r) => (result = r));
      expect(result).toBeUndefined();
      engine.run();
      expect(result).toEqual({ status: 'error', reason: 'out-of-range' });
    }
    expect(sda.stats.reads + sda.stats.writes + sda.stats.errors).toBe(0);
  });
});
