// Processes of the guest kernel: a program image (its regions and how many pages of each it
// touches as it starts), an address space, open files, signal handlers and a parent. The life
// cycle itself (fork, exec, exit, wait, switching) is in os.ts, which charges what it costs.
import type { AddressSpace, Region, RegionSpec } from './vm';

/** One region of a program image. */
export interface ImageRegion extends RegionSpec {
  /** Pages the program touches while it starts (each is a page fault the first time). */
  touched: number;
}

/** A program as exec loads it. */
export interface Image {
  readonly name: string;
  readonly regions: readonly ImageRegion[];
}

/** The pages of an image's shared regions (text), cached once for every process running it. */
export class ImageCache {
  private readonly frames = new Map<string, Int32Array>();

  /** The cached frame of page `i` of `region` of `image`, allocating it on first use. */
  frame(image: Image, region: RegionSpec, i: number, alloc: () => number): number {
    const key = `${image.name}/${region.name}`;
    let fs = this.frames.get(key);
    if (!fs) this.frames.set(key, (fs = new Int32Array(region.pages).fill(-1)));
    if (fs[i]! < 0) fs[i] = alloc();
    return fs[i]!;
  }
}

export type ProcessState = 'running' | 'zombie' | 'reaped';

export class Process {
  state: ProcessState = 'running';
  readonly children: Process[] = [];
  /** Signals with a handler installed. */
  readonly handlers = new Set<number>();
  /** Open file descriptors: fd -> inode number. */
  readonly fds = new Map<number, number>();
  private nextFd = 3;
  /** Pages it touches again each time it runs (its working set): TLB refills after a switch. */
  workingSet = 0;

  constructor(
    readonly pid: number,
    public image: Image,
    public as: AddressSpace,
    readonly parent: Process | undefined,
  ) {}

  region(name: string): Region | undefined {
    return this.as.regions.find((r) => r.spec.name === name);
  }

  openFd(ino: number): number {
    const fd = this.nextFd++;
    this.fds.set(fd, ino);
    return fd;
  }
}
