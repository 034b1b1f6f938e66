// dom0's logical volumes: guest disks carved out of the host's physical disks the way a Xen
// host does it with LVM. Each host disk is one physical volume of 4 MiB extents; a logical
// volume is one contiguous run of extents, placed first-fit (lvcreate's linear allocation,
// without striping, mirrors or several segments). Sizes are rounded up to whole extents, as
// lvcreate does. LVM's own metadata area on the disk is not modelled: extent 0 starts at
// sector 0.
//
// Both a whole disk (`/dev/sda`) and a volume (`/dev/vg0/web`) are BlockTargets: what the
// block backend opens by path. A volume translates sectors and refuses any request outside
// itself with status 'error', so one guest can never reach another guest's volume.
//
// Who calls it: the toolstack (creating and removing volumes) and the block backend
// (resolveTarget, then submit).

import { callback, type Engine } from '../hw/engine';
import { checkRequest, type DiskDone, type DiskFault, type DiskRequest } from '../hw/disk';
import { SECTOR_SIZE } from '../hw/disk-models';

export const EXTENT_BYTES = 4 * 1024 * 1024;
export const EXTENT_SECTORS = EXTENT_BYTES / SECTOR_SIZE;

/** A device the block backend can serve a guest from: a whole host disk or a volume. */
export interface BlockTarget {
  readonly sizeSectors: number;
  submit(req: DiskRequest, done: DiskDone): void;
}

export type CreateVolumeResult =
  | { readonly kind: 'ok'; readonly volume: LogicalVolume }
  | { readonly kind: 'no-such-disk'; readonly disk: string }
  | { readonly kind: 'no-space'; readonly disk: string; readonly neededExtents: number; readonly largestFreeExtents: number }
  | { readonly kind: 'duplicate-name'; readonly name: string }
  | { readonly kind: 'bad-name'; readonly name: string }
  | { readonly kind: 'bad-size'; readonly sizeBytes: number };

/** A linear logical volume: `extents` extents of `disk` starting at extent `firstExtent`. */
export class LogicalVolume implements BlockTarget {
  readonly sizeSectors: number;
  private readonly firstSector: number;

  constructor(
    private readonly engine: Engine,
    readonly name: string,
    readonly disk: string,
    private readonly target: BlockTarget,
    readonly firstExtent: number,
    readonly extents: number,
  ) {
    this.sizeSectors = extents * EXTENT_SECTORS;
    this.firstSector = firstExtent * EXTENT_SECTORS;
  }

  get sizeBytes(): number {
    return this.sizeSectors * SECTOR_SIZE;
  }

  submit(req: DiskRequest, done: DiskDone): void {
    const fault = checkRequest(req, this.sizeSectors);
    if (fault !== undefined) {
      this.refuse(fault, done);
      return;
    }
    if (req.op === 'flush') this.target.submit(req, done);
    else this.target.submit({ op: req.op, sector: this.firstSector + req.sector, count: req.count, data: req.data, sg: req.sg }, done);
  }

  /** Completes a refused request through the engine, at the current instant, like the disk. */
  private refuse(reason: DiskFault, done: DiskDone): void {
    this.engine.at(this.engine.now, callback(() => done({ status: 'error', reason })));
  }
}

interface PhysicalVolume {
  readonly target: BlockTarget;
  readonly extents: number;
  /** Allocated volumes, sorted by first extent. */
  readonly used: LogicalVolume[];
}

export class VolumeManager {
  private readonly pvs = new Map<string, PhysicalVolume>();
  private readonly lvs = new Map<string, LogicalVolume>();

  /** `disks` maps a host disk name ('sda') to the device; it is reachable as /dev/<name>. */
  constructor(
    private readonly engine: Engine,
    disks: Readonly<Record<string, BlockTarget>>,
  ) {
    for (const [name, target] of Object.entries(disks)) {
      this.pvs.set(name, { target, extents: Math.floor(target.sizeSectors / EXTENT_SECTORS), used: [] });
    }
  }

  /** Allocates a linear volume of at least `sizeBytes` on `disk`, first-fit. */
  createVolume(name: string, disk: string, sizeBytes: number): CreateVolumeResult {
    if (!name.startsWith('/dev/') || name.length <= 5 || this.diskOfPath(name) !== undefined) return { kind: 'bad-name', name };
    if (this.lvs.has(name)) return { kind: 'duplicate-name', name };
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) return { kind: 'bad-size', sizeBytes };
    const pv = this.pvs.get(disk);
    if (pv === undefined) return { kind: 'no-such-disk', disk };
    const needed = Math.ceil(sizeBytes / EXTENT_BYTES);
    const { first, largest } = firstFit(pv, needed);
    if (first < 0) return { kind: 'no-space', disk, neededExtents: needed, largestFreeExtents: largest };
    const volume = new LogicalVolume(this.engine, name, disk, pv.target, first, needed);
    pv.used.push(volume);
    pv.used.sort((a, b) => a.firstExtent - b.firstExtent);
    this.lvs.set(name, volume);
    return { kind: 'ok', volume };
  }

  /** Removes a volume and frees its extents (their contents stay on the disk, as with LVM). */
  removeVolume(name: string): boolean {
    const volume = this.lvs.get(name);
    if (volume === undefined) return false;
    this.lvs.delete(name);
    const used = this.pvs.get(volume.disk)!.used;
    used.splice(used.indexOf(volume), 1);
    return true;
  }

  /** The device at `path`: `/dev/<disk>` for a whole host disk, or a volume's name. */
  resolveTarget(path: string): BlockTarget | undefined {
    return this.lvs.get(path) ?? this.diskOfPath(path)?.target;
  }

  volume(name: string): LogicalVolume | undefined {
    return this.lvs.get(name);
  }

  volumes(): LogicalVolume[] {
    return [...this.lvs.values()];
  }

  /** Free extents of a disk, or undefined when there is no such disk. */
  freeExtents(disk: string): number | undefined {
    const pv = this.pvs.get(disk);
    return pv === undefined ? undefined : pv.used.reduce((free, lv) => free - lv.extents, pv.extents);
  }

  private diskOfPath(path: string): PhysicalVolume | undefined {
    return path.startsWith('/dev/') ? this.pvs.get(path.slice(5)) : undefined;
  }
}

/** The first gap of `needed` extents (or -1), and the largest gap seen, for the error. */
function firstFit(pv: PhysicalVolume, needed: number): { first: number; largest: number } {
  let cursor = 0;
  let largest = 0;
  for (const lv of pv.used) {
    const gap = lv.firstExtent - cursor;
    if (gap >= needed) return { first: cursor, largest: gap };
    largest = Math.max(largest, gap);
    cursor = lv.firstExtent + lv.extents;
  }
  const tail = pv.extents - cursor;
  return tail >= needed ? { first: cursor, largest: tail } : { first: -1, largest: Math.max(largest, tail) };
}
