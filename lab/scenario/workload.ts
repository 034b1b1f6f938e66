// What a guest domain runs, as written under `workload:` in a scenario file. Workloads are a
// union discriminated by `kind`; each kind is one strict zod schema below.
//
// To add a kind: write its schema with the pieces of ./fields (strict, field, optional and the
// parsers), give it `kind: z.literal('my-kind')`, and append it to `workloadVariants`. Its type
// joins `WorkloadSpec` by itself. Checks that need the rest of the scenario (fio's disk) live
// in ./storage.

import { z } from 'zod';
import { BENCH_WORKLOADS } from './bench-workloads';
import { bool, duration, field, integer, oneOf, optional, real, size, strict, text, type Parser } from './fields';
import { fail, formatDuration, formatSize, KiB, MiB, MS } from './units';

/** Spins on the CPU forever: the classic CPU hog. */
export const cpuBurnWorkload = strict({ kind: z.literal('cpu-burn') });

/** Blocks forever: a domain that only exists. */
export const idleWorkload = strict({ kind: z.literal('idle') });

/** Computes for `burst` every `period`; each wake-up is shifted by up to jitter × period. */
export const cpuPeriodicWorkload = strict({
  kind: z.literal('cpu-periodic'),
  burst: field(duration({ min: 1 })),
  period: field(duration({ min: 1 })),
  jitter: field(real(0, 1), 0),
}).superRefine((w, ctx) => {
  if (w.burst > w.period) {
    ctx.addIssue({
      code: 'custom',
      path: ['burst'],
      message: `must not be longer than the period (${formatDuration(w.period)}) (got ${formatDuration(w.burst)})`,
    });
  }
});

export const FIO_MODES = ['read', 'write', 'randread', 'randwrite', 'rw'] as const;

/** fio-like block I/O on one of the domain's disks, `iodepth` requests in flight. */
export const fioWorkload = strict({
  kind: z.literal('fio'),
  rw: field(oneOf(FIO_MODES)),
  bs: field(size({ min: 512, max: MiB, multipleOf: 512 }), 4 * KiB),
  iodepth: field(integer(1, 256), 1),
  /** The region of the disk the job covers, from offset 0. */
  size: field(size({ min: 512, multipleOf: 512 }), 64 * MiB),
  verify: field(bool, false),
  /** Stop after this many requests; run until the end of the scenario when absent. */
  ops: optional(integer(1)),
  /** fio's rate_iops: at most this many I/Os per second (the job sleeps in between). */
  rate_iops: optional(integer(1, 10_000_000)),
  /** The domain's disk to use; its first disk when absent. */
  vdev: optional(text(/^(xvd[a-z]+|hd[a-z]|sd[a-z]+)[0-9]*$/, 'a vdev such as xvda')),
  /** What the guest does when the job is done (needs `ops`): stay idle (when absent), or
   *  `poweroff` cleanly, its PV devices walking Closing → Closed before SCHEDOP_shutdown. */
  then: optional(oneOf(['idle', 'poweroff'])).optional(),
}).superRefine((w, ctx) => {
  if (w.then === 'poweroff' && w.ops === undefined) {
    ctx.addIssue({ code: 'custom', path: ['then'], message: 'poweroff comes after the job ends, so the job needs ops: (a number of I/Os)' });
  }
  if (w.bs > w.size) {
    ctx.addIssue({
      code: 'custom',
      path: ['bs'],
      message: `must not be larger than the job's size (${formatSize(w.size)}) (got ${formatSize(w.bs)})`,
    });
  }
});

/** A PV kernel walks one event channel through unbound, pending, coalesced, masked and lost
 *  edges (guests/workloads/evtchn-demo.ts), pausing `gap` between steps. */
export const evtchnDemoWorkload = strict({
  kind: z.literal('evtchn-demo'),
  gap: field(duration({ min: 1 }), MS),
});

/** The hostile cases of issue 9 a scenario can select (docs/threat-model.md says what each
 *  promises; T17 needs an unmodified guest and is a test program only). */
export const HOSTILE_ATTACKS = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'T8', 'T9', 'T10', 'T11', 'T12', 'T13', 'T14', 'T15', 'T16'] as const;

/** A hostile PV guest running one attack (guests/hostile); `variant` picks among a case's
 *  variants (T14's handshake faults, T16's lies), `duration` bounds storms and floods. */
export const hostileWorkload = strict({
  kind: z.literal('hostile'),
  attack: field(oneOf(HOSTILE_ATTACKS)),
  variant: optional(text(/^[a-z0-9-]+$/, 'a variant name such as ring-ref-readonly')),
  duration: optional(duration({ min: 1 })),
});

/** The other end of a network workload: a guest domain by name; the remote peer when absent. */
const netPeer = optional(text(/^[A-Za-z0-9_.-]+$/, 'the name of another domain'));
/** The guest interface's MTU (`ifconfig eth0 mtu N`); the link's when absent. */
const netMtu = optional(integer(576, 9000));
/** The e1000 driver's InterruptThrottleRate: 0 (off), 1 (dynamic, the default here), 3 (dynamic
 *  conservative, Linux's default), or a fixed rate of at least 100 interrupts per second. */
const itrValue: Parser<number> = (v) => {
  const r = integer(0, 1_000_000)(v);
  if (!r.ok || r.value <= 1 || r.value === 3 || r.value >= 100) return r;
  return fail(`must be 0 (no moderation), 1 (dynamic), 3 (dynamic conservative) or at least 100 interrupts per second (got ${r.value})`);
};
const netItr = field(itrValue, 1);

/** ttcp: bulk TCP, `transmit` to a sink, `receive` from a source, or `sink` for one sender. */
export const ttcpWorkload = strict({
  kind: z.literal('ttcp'),
  mode: field(oneOf(['transmit', 'receive', 'sink']), 'transmit'),
  /** Bytes to move; ttcp's default is 2048 buffers of 8 KiB. */
  bytes: field(size({ min: 1 }), 16 * MiB),
  /** Length of each write or read (ttcp -l). */
  buflen: field(size({ min: 1, max: MiB }), 8 * KiB),
  /** Socket buffer size (ttcp -b). */
  sockbuf: field(size({ min: 4 * KiB, max: 16 * MiB }), 128 * KiB),
  peer: netPeer,
  mtu: netMtu,
  itr: netItr,
});

/** netperf TCP_RR / UDP_RR: one request out, its response back, again. */
export const netperfRrWorkload = strict({
  kind: z.literal('netperf-rr'),
  protocol: field(oneOf(['tcp', 'udp']), 'tcp'),
  request: field(size({ min: 1, max: 65_536 }), 1),
  response: field(size({ min: 1, max: 65_536 }), 1),
  /** Stop after this many transactions; run until the end of the scenario when absent. */
  transactions: optional(integer(1)),
  mtu: netMtu,
  itr: netItr,
});

/** Small UDP datagrams to the peer's discard port, as fast as the stack takes them. */
export const udpFloodWorkload = strict({
  kind: z.literal('udp-flood'),
  /** Payload bytes per datagram. */
  size: field(size({ min: 4, max: 8972 }), 64),
  packets: optional(integer(1)),
  /** Datagrams per second; as fast as possible when absent. */
  rate: optional(integer(1, 100_000_000)),
  mtu: netMtu,
  itr: netItr,
});

/** Every workload kind; append new kinds here. */
export const workloadVariants = [cpuBurnWorkload, idleWorkload, cpuPeriodicWorkload, fioWorkload, evtchnDemoWorkload, ...BENCH_WORKLOADS, hostileWorkload, ttcpWorkload, netperfRrWorkload, udpFloodWorkload] as const;

export const workloadSchema = z.discriminatedUnion('kind', workloadVariants);

/** A workload as validated from the file (before scenario-wide defaults such as fio's vdev). */
export type WorkloadSpec = z.output<typeof workloadSchema>;
export type WorkloadKind = WorkloadSpec['kind'];
