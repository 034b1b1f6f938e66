// Shared shapes of the guest kernel: the generator type kernel code is written in, what the
// toolstack hands a PV kernel at boot (Xen's start_info), and the block-device interface
// every disk driver (blkfront, and the native IDE/AHCI drivers) offers the workloads.
import type { GuestOp } from '../../hypervisor/public/guest';

/** Kernel code: a generator that yields guest operations and resumes with a number. */
export type KGen<T = void> = Generator<GuestOp | number, T, number>;

/** start_info's fields that pvlab's kernels use. */
export interface StartInfo {
  /** The xenstore ring page (a gfn of the guest's own memory) and its event channel. */
  storeGfn: number;
  storePort: number;
  /** start_info's cmd_line: the kernel command line (./cmdline); absent = empty. */
  cmdLine?: string;
}

export type BlockOp = 'read' | 'write';

export interface BlockIo {
  op: BlockOp;
  /** First 512-byte sector. */
  sector: number;
  /** Sectors: 8 in each page but the last, which may hold fewer (fio's bs is any multiple of
   *  512 bytes; see ../kernel/bio). */
  count: number;
  /** The guest pages holding (write) or receiving (read) the data, one per 4 KiB. */
  gfns: number[];
  /** Called when the device completes it: 0 for success, a negative status otherwise. */
  done: (status: number) => void;
}

export interface BlockDevice {
  readonly name: string;
  readonly sizeSectors: number;
  /** The most pages one request may carry. */
  readonly maxPages: number;
  /** Can a request of `pages` pages be queued now? Without `pages`, whether one of the size
   *  the device plans for can be (blkfront: its most; virtio-blk: one page). */
  canSubmit(pages?: number): boolean;
  /** Queues a request (kernel CPU time is spent inside). */
  submit(io: BlockIo): KGen;
  /** Pushes queued requests to the device (notifying it if needed). */
  kick(): KGen;
}
