// Disk timing models: the named parameters of each physical disk pvlab simulates, one per
// hardware era of ../shared/COSTS.md, and the two timing models that turn them into completion
// times (`ssd`, `hdd`). The device itself (requests, contents, queue, counters) is disk.ts.
// Every number lives in DISK_MODELS with a comment naming its source; where a figure is
// recalled from a product sheet rather than read from a retrieved copy, the comment says so,
// and where it is derived, it says how.
//
// `ssd`: up to `parallelism` commands in service. A command's first 4 KiB take the data
// sheet's latency, in parallel with the other commands; its further bytes then stream after
// those of the larger commands before it, and no command's bytes pass the direction's
// bandwidth limit sooner than the bytes of the commands before it allow. So 4 KiB commands
// complete at their latency until the bandwidth binds; a 64 KiB read at iodepth 1 also takes
// the time its further 60 KiB take, and splitting it in two saves at most one 4 KiB transfer.
// `hdd`: one command at a time, FIFO (no elevator: reordering belongs to the host's I/O
// scheduler, and tagged or native command queueing is not modelled): command overhead, seek by
// distance, rotational wait from the platter's angle (a function of simulated time, so
// deterministic), transfer at the media rate; reads that follow the previous one stream from
// the read-ahead buffer.
// There is no write cache (write-through, the safe setting on a virtualization host): queued
// sequential writes stream, but at iodepth 1 each one waits about a revolution.

export const SECTOR_SIZE = 512;

/** A flash disk: fixed per-command latency, N commands in service at once, a bandwidth cap. */
export interface SsdModel {
  readonly kind: 'ssd';
  readonly name: string;
  readonly description: string;
  /** Time a 4 KiB read spends in the device at queue depth 1. */
  readonly readLatencyNs: number;
  /** Time a 4 KiB write spends in the device at queue depth 1. */
  readonly writeLatencyNs: number;
  /** Time a flush spends in the device. */
  readonly flushLatencyNs: number;
  /** Sustained transfer limits of the flash back end, per direction. */
  readonly readBytesPerSec: number;
  readonly writeBytesPerSec: number;
  /** Commands the device works on at once; the rest wait, FIFO. */
  readonly parallelism: number;
}

/** A rotating disk: one actuator, a seek curve, a spinning platter and a read-ahead buffer. */
export interface HddModel {
  readonly kind: 'hdd';
  readonly name: string;
  readonly description: string;
  readonly rpm: number;
  /** Seek over one track, the average seek (taken at one third of the stroke), full stroke. */
  readonly trackToTrackSeekNs: number;
  readonly averageSeekNs: number;
  readonly fullStrokeSeekNs: number;
  /** One constant media rate (zoned recording is not modelled): it fixes sectors per track. */
  readonly mediaBytesPerSec: number;
  /** Buffer-to-host rate, for reads served from the read-ahead buffer. */
  readonly interfaceBytesPerSec: number;
  /** Decoding a command before the mechanism moves (overlapped when the command was queued). */
  readonly commandOverheadNs: number;
  /** How far the drive reads ahead into its buffer after a read, while nobody needs the head. */
  readonly readAheadBytes: number;
}

export type DiskModel = SsdModel | HddModel;
export type DiskKind = DiskModel['kind'];

const MB = 1_000_000;
const KiB = 1024;
const US = 1_000;

export const DISK_MODELS: Readonly<Record<string, DiskModel>> = {
  // Intel SSD DC P4500, 2.0 TB, NVMe over PCIe 3.0 x4. Figures from Intel's specification as
  // reproduced in Lenovo Press's product guide for the drive (Table 2, 2.0 TB column).
  'nvme-modern': {
    kind: 'ssd',
    name: 'nvme-modern',
    description: 'NVMe SSD (Intel DC P4500 2.0 TB class): 85/20 µs read/write, 3.2/1.05 GB/s',
    readLatencyNs: 85 * US, // "read access latency, random: 85 µs"
    writeLatencyNs: 20 * US, // "write access latency, random: 20 µs"
    // Derived: the drive buffers writes behind power-loss protection, so a flush drains no
    // volatile cache; charged as the shortest command on the sheet ("read latency, sequential:
    // 10 µs").
    flushLatencyNs: 10 * US,
    readBytesPerSec: 3200 * MB, // "sequential read rate: 3.2 GBps"
    // "sequential write rate: 1.05 GBps". The sheet's steady-state random-write figure (38,000
    // IOPS, bound by garbage collection after preconditioning) is not modelled.
    writeBytesPerSec: 1050 * MB,
    // Derived by Little's law from "IOPS read (4 KB): 490,000" at 85 µs per read:
    // 490,000/s × 85 µs = 41.65 reads in flight, rounded to 42.
    parallelism: 42,
  },
  // Hitachi Deskstar 7K500 (HDS725050KLA360), 500 GB, 7200 RPM, SATA 3 Gb/s, 16 MB buffer:
  // a mainstream desktop disk of 2005–2006, the era of the first VT-x machines.
  'sata-7200-2006': {
    kind: 'hdd',
    name: 'sata-7200-2006',
    description: 'SATA 7200 RPM disk (Hitachi Deskstar 7K500 class), 8.5 ms average seek',
    rpm: 7200,
    trackToTrackSeekNs: 1_100 * US, // recalled from Hitachi's Deskstar 7K product sheets
    // Recalled product-sheet value, cross-checked against the 7K500 specification's Table 12:
    // 4096 random reads take 55.5 s "typical" (= 105 % of T), so overhead + seek + half a
    // revolution = 12.9 ms; minus 4.17 ms of rotation leaves 8.7 ms = 8.5 ms seek + 0.2 ms.
    averageSeekNs: 8_500 * US,
    fullStrokeSeekNs: 15_100 * US, // recalled from Hitachi's Deskstar 7K product sheets
    // Derived: the 7K500 specification's Table 10 gives sustained reads of 64.8 MB/s (zone 0)
    // and 31.0 MB/s (zone 29); their mean, 47.9 MB/s, stands for the whole surface.
    mediaBytesPerSec: 47_900_000,
    interfaceBytesPerSec: 300 * MB, // Table 10: buffer-host maximum 300 MB/s (SATA)
    commandOverheadNs: 200 * US, // derived from Table 12, as above: 8.7 ms − 8.5 ms
    // Estimate: one sixteenth of the 16 MB buffer, the buffer being split into segments.
    readAheadBytes: 1024 * KiB,
  },
  // Hitachi DK32EJ-14, 146 GB, 10,025 RPM, Ultra320 SCSI, 8 MB buffer: the disk of the Xen
  // paper's testbed (Barham et al., SOSP 2003; COSTS.md "Hardware eras").
  'scsi-10k-2003': {
    kind: 'hdd',
    name: 'scsi-10k-2003',
    description: 'Ultra320 SCSI 10k RPM disk (Hitachi DK32EJ 146 GB), 4.9 ms average seek',
    rpm: 10025, // Hitachi's 10k drives spin at 10,025 RPM (product sheet, recalled)
    // Estimate: the single-track read seek of contemporary 10k SCSI product manuals
    // (0.3–0.5 ms, e.g. Seagate Cheetah 10K.6, recalled).
    trackToTrackSeekNs: 400 * US,
    averageSeekNs: 4_900 * US, // DK32EJ product sheet, average read seek (recalled)
    // Estimate: about twice the average, the ratio on 10k SCSI product manuals of the period.
    fullStrokeSeekNs: 10_000 * US,
    // Estimate: midpoint of the ~55–89 MB/s inner-to-outer zone range of 146 GB 10k drives of
    // 2003 (Cheetah 10K.6 product manual, recalled).
    mediaBytesPerSec: 72 * MB,
    interfaceBytesPerSec: 320 * MB, // the Ultra320 bus, by definition
    commandOverheadNs: 150 * US, // estimate: SCSI command decode on a drive of the period
    // Estimate: one sixteenth of the 8 MB buffer, the buffer being split into segments.
    readAheadBytes: 512 * KiB,
  },
};

/** The disk each platform profile (hw/platforms/) is paired with. */
export const PLATFORM_DISKS: Readonly<Record<string, string>> = {
  modern: 'nvme-modern',
  'core2-2006': 'sata-7200-2006',
  'xeon-2003': 'scsi-10k-2003',
};

export function diskModel(name: string): DiskModel | undefined {
  return DISK_MODELS[name];
}

export function diskModelForPlatform(platform: string): DiskModel | undefined {
  const name = PLATFORM_DISKS[platform];
  return name === undefined ? undefined : DISK_MODELS[name];
}

/** What an HDD's parameters imply for a surface of `sizeSectors` sectors. */
export interface HddGeometry {
  readonly revolutionNs: number;
  /** Derived: the sectors passing under the head in one revolution at the media rate. */
  readonly sectorsPerTrack: number;
  readonly sectorNs: number;
  readonly tracks: number;
  /** Track skew: the next track's first sector is rotated by the track-to-track seek, so a
   *  sequential transfer crossing tracks loses only that seek, not a revolution. */
  readonly skewSectors: number;
}

export function hddGeometry(m: HddModel, sizeSectors: number): HddGeometry {
  const revolutionNs = 60e9 / m.rpm;
  const sectorsPerTrack = Math.max(1, Math.round((m.mediaBytesPerSec * revolutionNs) / 1e9 / SECTOR_SIZE));
  const sectorNs = revolutionNs / sectorsPerTrack;
  const tracks = Math.max(1, Math.ceil(sizeSectors / sectorsPerTrack));
  const skewSectors = Math.min(sectorsPerTrack - 1, Math.ceil(m.trackToTrackSeekNs / sectorNs));
  return { revolutionNs, sectorsPerTrack, sectorNs, tracks, skewSectors };
}

/**
 * Seek time over `distance` tracks. The simulated capacity is spread over the whole stroke, so
 * a random access sees the datasheet's figures whatever size the caller chose. The curve passes
 * through the three datasheet points: a square root from one track (track-to-track) to a third
 * of the stroke (the average: the mean distance between two random positions), then linear to
 * the full stroke — the short-seek/long-seek shape of Ruemmler & Wilkes, "An introduction to
 * disk drive modeling" (IEEE Computer, 1994).
 */
export function seekNs(m: HddModel, g: HddGeometry, distance: number): number {
  if (distance <= 0) return 0;
  const max = Math.max(1, g.tracks - 1);
  const third = Math.max(1, max / 3);
  if (distance <= third) {
    const x = third > 1 ? Math.sqrt((distance - 1) / (third - 1)) : 1;
    return m.trackToTrackSeekNs + (m.averageSeekNs - m.trackToTrackSeekNs) * x;
  }
  const y = max > third ? (distance - third) / (max - third) : 1;
  return m.averageSeekNs + (m.fullStrokeSeekNs - m.averageSeekNs) * Math.min(1, y);
}

/** What a timing model sees of a command. */
export interface TimedCommand {
  readonly op: 'read' | 'write' | 'flush';
  readonly sector: number;
  readonly count: number;
  /** When the command was submitted (its overhead may overlap its wait in the queue). */
  readonly submitNs: number;
}

/** Counters a timing model bumps. */
export interface TimingCounters {
  readAheadHits: number;
}

/** A timing model: how many commands the device serves at once, and when a command started
 *  now completes (an integer ns). Starting a command updates the model's state. */
export interface DiskTiming {
  readonly capacity: number;
  start(c: TimedCommand, now: number): number;
}

export function diskTiming(m: DiskModel, sizeSectors: number, counters: TimingCounters): DiskTiming {
  return m.kind === 'ssd' ? new SsdTiming(m) : new HddTiming(m, sizeSectors, counters);
}

/** The command size the data sheets' latencies are given for. */
const SSD_LATENCY_BYTES = 4096;

class SsdTiming implements DiskTiming {
  readonly capacity: number;
  private readFreeAt = 0;
  private writeFreeAt = 0;
  /** When the bytes beyond 4 KiB of the last larger command are through, per direction. */
  private readFurtherAt = 0;
  private writeFurtherAt = 0;

  constructor(private readonly m: SsdModel) {
    this.capacity = m.parallelism;
  }

  start(c: TimedCommand, now: number): number {
    if (c.op === 'flush') return now + this.m.flushLatencyNs;
    const read = c.op === 'read';
    const bytes = c.count * SECTOR_SIZE;
    const nsPerByte = 1e9 / (read ? this.m.readBytesPerSec : this.m.writeBytesPerSec);
    // Every byte passes the direction's bandwidth limit, in command order.
    const pipeEnd = Math.max(read ? this.readFreeAt : this.writeFreeAt, now) + bytes * nsPerByte;
    // The latency covers a command's first 4 KiB, in parallel with the other commands; bytes
    // beyond them follow, after those of the commands before it.
    let end = now + (read ? this.m.readLatencyNs : this.m.writeLatencyNs);
    const further = bytes - SSD_LATENCY_BYTES;
    if (further > 0) {
      end = Math.max(end, read ? this.readFurtherAt : this.writeFurtherAt) + further * nsPerByte;
      if (read) this.readFurtherAt = end;
      else this.writeFurtherAt = end;
    }
    if (read) this.readFreeAt = pipeEnd;
    else this.writeFreeAt = pipeEnd;
    return Math.ceil(Math.max(end, pipeEnd));
  }
}

/** How far (ns) the head may have passed a sector and still catch it: see rotationalWaitNs. */
const ROUNDING_SLACK_NS = 2;

class HddTiming implements DiskTiming {
  readonly capacity = 1;
  private readonly g: HddGeometry;
  private readonly raSectors: number;
  private headTrack = 0;
  /** The read-ahead stream: the head was at the start of sector raStart at time raTime. */
  private raStart = -1;
  private raTime = 0;

  constructor(
    private readonly m: HddModel,
    sizeSectors: number,
    private readonly counters: TimingCounters,
  ) {
    this.g = hddGeometry(m, sizeSectors);
    this.raSectors = Math.max(1, Math.floor(m.readAheadBytes / SECTOR_SIZE));
  }

  start(c: TimedCommand, now: number): number {
    // A queued command was decoded while it waited.
    const t0 = Math.max(now, c.submitNs + this.m.commandOverheadNs);
    if (c.op === 'flush') return Math.ceil(t0);
    if (c.op === 'read') {
      const t = this.fromReadAhead(c.sector, c.sector + c.count, t0);
      if (t >= 0) {
        this.counters.readAheadHits++;
        return Math.ceil(t);
      }
    }
    const end = this.mechanical(c.sector, c.count, t0);
    this.raStart = c.op === 'read' ? c.sector + c.count : -1;
    this.raTime = end;
    return Math.ceil(end);
  }

  /** Seek, wait for the sector to come round, transfer at the media rate. */
  private mechanical(sector: number, count: number, t0: number): number {
    const track = this.trackOf(sector);
    const arrive = t0 + seekNs(this.m, this.g, Math.abs(track - this.headTrack));
    this.headTrack = this.trackOf(sector + count - 1);
    return arrive + this.rotationalWaitNs(arrive, sector) + this.spanNs(sector, sector + count);
  }

  /** Completion time of a read of [s, e) served by the read-ahead stream, or -1. */
  private fromReadAhead(s: number, e: number, t0: number): number {
    if (this.raStart < 0 || s < this.raStart || s >= this.raStart + this.raSectors) return -1;
    const limit = this.raStart + this.raSectors;
    const toHost = t0 + (((e - s) * SECTOR_SIZE) / this.m.interfaceBytesPerSec) * 1e9;
    if (t0 <= this.raTime + this.spanNs(this.raStart, limit)) {
      // Still streaming: the data is (or soon will be) in the buffer; the stream slides on.
      const ready = this.raTime + this.spanNs(this.raStart, e);
      this.raStart = e;
      this.raTime = ready;
      this.headTrack = this.trackOf(e - 1);
      return Math.max(toHost, ready);
    }
    if (e > limit) return -1;
    // The buffer filled and the drive stopped reading ahead: serve from the buffer, and resume
    // the stream at `limit` when the platter next brings it under the head.
    const resume = t0 + this.rotationalWaitNs(t0, limit);
    this.raTime = resume - this.spanNs(e, limit);
    this.raStart = e;
    this.headTrack = this.trackOf(limit - 1);
    return toHost;
  }

  private trackOf(sector: number): number {
    return Math.floor(sector / this.g.sectorsPerTrack);
  }

  /** Time for the head to pass sectors [a, b), starting at the beginning of a. */
  private spanNs(a: number, b: number): number {
    if (b <= a) return 0;
    const crossings = this.trackOf(b - 1) - this.trackOf(a);
    return (b - a + crossings * this.g.skewSectors) * this.g.sectorNs;
  }

  /** The platter turns from angle 0 at time 0; a sector's angle includes its track's skew. */
  private rotationalWaitNs(t: number, sector: number): number {
    const g = this.g;
    const target = ((sector % g.sectorsPerTrack) + this.trackOf(sector) * g.skewSectors) % g.sectorsPerTrack;
    const at = (t % g.revolutionNs) / g.sectorNs;
    const wait = (target - at) * g.sectorNs;
    // Completion times are rounded up to whole ns: a sector "missed" by no more than that
    // rounding is still under the head, and the transfer is timed from its exact passing (a
    // tiny negative wait), so back-to-back transfers do not drift off the platter.
    return wait < -ROUNDING_SLACK_NS ? wait + g.revolutionNs : wait;
  }
}
