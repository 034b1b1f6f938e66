// The comparison as a terminal table: one row per mode, the score and how it compares with
// native, the counts per operation that explain it, and where the CPU time went.
import type { CompareResult } from '../compare';
import { isNetKind } from '../run/net-workload';
import { pad } from '../run/xl';
import { fmtNs } from './format';

export function renderCompare(c: CompareResult): string {
  const out: string[] = [];
  out.push(`${c.workload} on ${c.platform} (seed ${c.seed})`);
  out.push('');
  const head = pad('mode', 12) + pad('score', 12, true) + pad('unit', 8, true) + pad('vs native', 11, true) + pad('exits/op', 10, true) +
    pad('hcalls/op', 11, true) + pad('notif/op', 10, true) + pad('dom0 CPU', 10, true) + '   where the time went (guest / hypervisor / backend / device model / idle)';
  out.push(head);
  for (const r of c.rows) {
    const t = r.timeNs;
    const total = t.guest + t.hypervisor + t.backend + t.deviceModel + t.idle || 1;
    const pct = (x: number): string => `${((100 * x) / total).toFixed(1)}%`;
    out.push(
      pad(r.mode, 12) + pad(r.score.toFixed(r.score >= 100 ? 0 : 1), 12, true) + pad(r.unit.replace(' of CPU', ''), 8, true) +
        pad(r.relativeToNative === null ? '-' : `${r.relativeToNative.toFixed(2)}x`, 11, true) + pad(r.exitsPerOp.toFixed(1), 10, true) +
        pad(r.hypercallsPerOp.toFixed(2), 11, true) + pad(r.notificationsPerOp.toFixed(2), 10, true) + pad(`${r.dom0CpuPct.toFixed(1)}%`, 10, true) +
        `   ${pct(t.guest)} / ${pct(t.hypervisor)} / ${pct(t.backend)} / ${pct(t.deviceModel)} / ${pct(t.idle)}`,
    );
  }
  if (c.rows.some((r) => r.mode.startsWith('kvm'))) out.push('', KVM_COLUMNS);
  const notices = [...new Set(c.rows.flatMap((r) => r.notices))];
  if (notices.length > 0) out.push('', ...notices.map((n) => `note: ${n.replace(/\n/g, '; ')}`));
  void fmtNs;
  return out.join('\n');
}

/** How to read a KVM host's row, where there is no dom0. */
export const KVM_COLUMNS = `kvm rows run on a KVM host: no dom0 — "dom0 CPU" is the host's QEMU I/O and vhost threads; backend is
host kernel time (vhost, QEMU's system calls), device model is QEMU in user space (its I/O thread, and
the handlers its vCPU threads run after each exit to user space).`;

/** What each mode's row means for a disk job (fio), the one `npm start` explains. */
const DISK_MODES = `- native: the unmodified kernel on bare hardware; each register read is a bus round trip
  (writes are posted).
- pv: the guest knows it is virtualized; blkfront puts requests on a shared ring and sends one
  event per request at iodepth 1 — no device register is ever touched, so 0 exits. Its data
  goes through pages dom0 mapped once and keeps (persistent grants), copied by the guest.
- hvm / hvm-ahci: the unmodified kernel under VT-x. Every register access of its IDE (or AHCI)
  driver is a VM exit and an ioreq round trip to QEMU in dom0: ~26 (or ~7, NCQ) per read.
- bt: binary translation replaces the hardware exits with callouts, but every access still
  goes to the device model in dom0.
- tcg: pure emulation: no exits, but every guest instruction is interpreted.
- pvhvm / pvh: hardware-virtualized containers running PV drivers: the PV numbers, plus a
  VMCALL exit per hypercall.
- kvm: the same guest and IDE model on a KVM host: the same exits, but each one returns to QEMU
  in user space in the vCPU's own thread; no dom0 has to be scheduled.
- kvm-virtio: virtio-blk, KVM's ring: the kick is an in-kernel exit that wakes QEMU's I/O thread
  (ioeventfd, ~20 us), the completion an interrupt injected through an irqfd.
Try: pvlab compare fio rw=randread bs=4k iodepth=32   or   pvlab compare cpu-burn
`;

/** What each mode's row means for a network job (ttcp, netperf-rr, udp-flood). */
const NET_EXPLANATION = `What this shows: the same network job, to a peer beyond the machine's NIC, under each mode.
- native: the unmodified kernel drives the machine's NIC (an e1000) itself; its driver moderates
  interrupts (itr=1, dynamic, unless you give itr=), and each register read is a bus round trip.
- pv: netfront puts frames on shared rings, with no device register to touch (0 exits) and a
  notification only when netback asked for one; netback copies them (grant copy) to dom0's
  bridge and NIC driver, which run on dom0's vCPUs, beside the guest's.
- hvm / hvm-rtl8139: the unmodified kernel's e1000 (or rtl8139) driver under VT-x: every register
  access is a VM exit and an ioreq to QEMU in dom0, whose tap hands the frames to the bridge.
- bt: binary translation: the same device models, reached through callouts instead of exits.
- tcg: pure emulation: no exits, but every guest instruction is interpreted.
- pvhvm / pvh: hardware-virtualized containers running netfront: the PV path, plus a VMCALL exit
  per hypercall.
- kvm: the same e1000 in QEMU on a KVM host: each exit returns to QEMU in user space.
- kvm-virtio / kvm-vhost: virtio-net, served by QEMU's I/O thread or by a vhost-net worker in the
  host kernel; kicks are ioeventfds, interrupts irqfds.
Try: pvlab compare ttcp itr=0 --modes native,pv,hvm   or   pvlab run interrupt-moderation
`;

/** What each mode's row means for a job that mostly computes (cpu-burn, a benchmark, a scenario's guest). */
const CPU_EXPLANATION = `What this shows: the same job under each mode; what differs is how the guest's privileged
work is done.
- native: the unmodified kernel on bare hardware.
- pv: the kernel runs deprivileged: its page-table updates, system calls it cannot take directly
  and interrupts go through Xen (the hypercalls per operation).
- hvm: VT-x with nested paging: user and kernel code run directly, and only what must trap exits.
- bt: binary translation rewrites the kernel's sensitive instructions; user code runs directly.
- tcg: pure emulation: every guest instruction is interpreted, several times slower.
- pvhvm / pvh: hardware-virtualized containers with PV drivers: the hvm numbers for computation.
- kvm / kvm-virtio: the same guest on a KVM host, its vCPUs threads of a QEMU process that the
  host's CFS schedules.
Try: pvlab compare --suite lmbench   or   pvlab run accelerators
`;

/**
 * The explanation `--explain` prints under the table, for the job the comparison ran: its
 * workload's kind and the table's first line (fio's options are read from it).
 */
export function compareExplanation(kind: string, workload: string): string {
  if (isNetKind(kind)) return NET_EXPLANATION;
  if (kind !== 'fio') return CPU_EXPLANATION;
  const opt = (key: string): string | undefined => new RegExp(`\\b${key}=(\\S+)`).exec(workload)?.[1];
  const bs = Number(opt('bs') ?? 4096);
  const rw = opt('rw') ?? 'randread';
  const depth = Number(opt('iodepth') ?? 1);
  const size = bs % 1024 === 0 ? `${bs / 1024} KiB` : `${bs}-byte`;
  const kindOf: Record<string, string> = { randread: 'random-read', randwrite: 'random-write', read: 'sequential-read', write: 'sequential-write', rw: 'read-write' };
  const inFlight = depth === 1 ? 'one request at a time' : `${depth} requests in flight`;
  return `What this shows: the same ${size} ${kindOf[rw] ?? rw} job, ${inFlight}, on one disk.\n${DISK_MODES}`;
}

