// The kernel-work figures of the guest kernel's system calls, derived once from the native
// lmbench column (Linux 2.4.21, L-UP) that Barham et al. measured on the xeon-2003 machine
// (SOSP 2003, Tables 3-5; COSTS.md). Each is the lmbench time minus the parts pvlab models as
// mechanism (system-call entries, process switches, page faults, page copies), so that under a
// hypervisor only those parts change. Other eras take the same figures in cycles at their clock.
//
// The mechanism subtracted is exactly what guests/workloads/lmbench.ts does for each test; the
// program images it assumes (100 start-up faults for a small program, 250 for a shell) are in
// guests/workloads/images.ts.

/** The clock of the machine the figures were measured on. */
export const LMBENCH_GHZ = 2.4;

const NULL_CALL = 450;
const SWITCH = 770;
const PAGE_FAULT = 1420;
/** A 4 KiB copy at the xeon-2003's ~1.07 bytes/ns (3.2 GB/s FSB / 3 crossings, xeon-2003.ts). */
const PAGE_COPY = Math.round(4096 / (3.2 / 3));
/** Start-up faults of a small dynamically linked program, and of a shell (images.ts; assumed). */
const SMALL_PROGRAM_FAULTS = 100;
const SHELL_FAULTS = 250;

/**
 * lmbench fork (110 us) is fork + the child's exit + the parent's wait. Modelled: three
 * system-call entries (fork, exit, wait), two switches, the child's two copy-on-write faults
 * (stack and data, each a fault and a page copy) and the parent's two write faults after it.
 */
const FORK = 110_000 - 3 * NULL_CALL - 2 * SWITCH - 2 * (PAGE_FAULT + PAGE_COPY) - 2 * PAGE_FAULT;
/** lmbench exec (530 us) is the fork above, then execve (an entry) and the program's start-up faults. */
const EXEC = 530_000 - 110_000 - NULL_CALL - SMALL_PROGRAM_FAULTS * PAGE_FAULT;
/** lmbench sh (4000 us): fork + exec of /bin/sh, its start-up, then its own fork + exec of the program. */
const SHELL = 4_000_000 - 2 * (110_000 + NULL_CALL + EXEC) - (SHELL_FAULTS + SMALL_PROGRAM_FAULTS) * PAGE_FAULT;

/** ns on the 2.4 GHz xeon-2003; see each line for the lmbench figure and what is subtracted. */
export const LMBENCH_KERNEL_NS = {
  /** null I/O 0.50 us - the entry (null call 0.45 us). */
  nullIoNs: 500 - NULL_CALL,
  /** stat 1.28 us - the entry. */
  statNs: 1280 - NULL_CALL,
  /** open/close 1.92 us - two entries. */
  openCloseNs: 1920 - 2 * NULL_CALL,
  /** select on TCP 5.70 us - the entry, over lmbench's 100 descriptors (`lat_select -n 100 tcp`). */
  selectPerFdNs: Math.round((5700 - NULL_CALL) / 100),
  /** signal install 0.68 us - the entry. */
  sigInstallNs: 680 - NULL_CALL,
  /** signal handler 2.49 us - two entries (kill, sigreturn). */
  sigDeliverNs: 2490 - 2 * NULL_CALL,
  forkNs: FORK,
  execNs: EXEC,
  shellStartupNs: SHELL,
  /** 0K file create 32.1 us - two entries (open with O_CREAT, close). */
  fileCreateNs: 32_100 - 2 * NULL_CALL,
  /** 0K file delete 6.08 us - the entry (unlink). */
  fileDeleteNs: 6080 - NULL_CALL,
  /** (10K create 66.0 - 0K create 32.1 - a write entry - copying 10 KiB) / 3 blocks of 4 KiB. */
  fileBlockAllocNs: Math.round((66_000 - 32_100 - NULL_CALL - (10 * 1024) / (3.2 / 3)) / 3),
  /** (10K delete 12.5 - 0K delete 6.08) / 3 blocks. */
  fileBlockFreeNs: Math.round((12_500 - 6080) / 3),
  /** mmap latency 68.0 us (`lat_mmap 4m`: 26 pages touched) - 26 faults - two entries (mmap, munmap). */
  mmapNs: 68_000 - 26 * PAGE_FAULT - 2 * NULL_CALL,
} as const;

/** The figures above in cycles at another clock (the same kernel paths on another CPU). */
export function lmbenchKernelAt(ghz: number): typeof LMBENCH_KERNEL_NS {
  const at = (ns: number) => Math.round((ns * LMBENCH_GHZ) / ghz);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(LMBENCH_KERNEL_NS)) out[k] = at(v);
  return out as unknown as typeof LMBENCH_KERNEL_NS;
}
