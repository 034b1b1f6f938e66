// Fuzzing the I/O paths end to end (issue 9's habit, on the well-behaved side): a disk or
// network workload with random options — block sizes from 512 bytes to 1 MiB, queue depths
// up to 256, small and odd job sizes, reads, writes and both, verify on or off, buffer and
// socket sizes, MTUs — under a random mode (native, PV, HVM with IDE or AHCI or rtl8139, BT,
// TCG, PVHVM, PVH, KVM with emulated devices, virtio or vhost), for a few simulated
// milliseconds. Every driver, ring, device model and backend sees shapes the lessons never
// give it. Property: the options are refused with one ScenarioError, or the run ends without
// an exception, with no I/O errors, and every block a fio job verified read back as written.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { baseScenario, MODES, withMode, type CompareMode } from '../../lab/compare';
import { buildWorld } from '../../lab/run/world';
import { ScenarioError } from '../../lab/scenario';
import { FUZZ_SEED, FUZZ_TIMEOUT_MS, fuzzRuns, report } from './fuzz-config';

const sizeOf = (bytes: number): string => `${bytes}`;
const sectors = fc.integer({ min: 1, max: 2048 }).map((n) => sizeOf(512 * n)); // 512 B .. 1 MiB

const fio = fc.record({
  rw: fc.constantFrom('read', 'write', 'randread', 'randwrite', 'rw'),
  bs: sectors,
  iodepth: fc.integer({ min: 1, max: 256 }).map(String),
  size: fc.integer({ min: 1, max: 8192 }).map((n) => sizeOf(512 * n)), // up to 4 MiB
  verify: fc.boolean().map(String),
}, { requiredKeys: ['rw'] }).map((o) => ({ kind: 'fio', options: o as Record<string, string> }));

const net = fc.oneof(
  fc.record({
    mode: fc.constantFrom('transmit', 'receive', 'sink'),
    bytes: fc.integer({ min: 1, max: 256 * 1024 }).map(String),
    buflen: fc.integer({ min: 1, max: 65536 }).map(String),
    sockbuf: fc.integer({ min: 4096, max: 1 << 20 }).map(String),
    mtu: fc.constantFrom('576', '1500', '9000'),
  }, { requiredKeys: [] }).map((o) => ({ kind: 'ttcp', options: o as Record<string, string> })),
  fc.record({
    protocol: fc.constantFrom('tcp', 'udp'),
    request: fc.integer({ min: 1, max: 65536 }).map(String),
    response: fc.integer({ min: 1, max: 65536 }).map(String),
    transactions: fc.integer({ min: 1, max: 50 }).map(String),
  }, { requiredKeys: [] }).map((o) => ({ kind: 'netperf-rr', options: o as Record<string, string> })),
  fc.record({
    size: fc.integer({ min: 4, max: 8972 }).map(String),
    packets: fc.integer({ min: 1, max: 200 }).map(String),
  }, { requiredKeys: [] }).map((o) => ({ kind: 'udp-flood', options: o as Record<string, string> })),
);

const mode = fc.constantFrom<CompareMode>(...MODES);

describe('disk and network workloads with random options under every mode', () => {
  const stats = { sequences: 0, ops: 0 };
  const seen = { refused: 0, ran: 0, ios: 0, verified: 0 };
  afterAll(() => {
    report('workload-modes', stats);
    console.log(`workload-modes: ${seen.refused} refused, ${seen.ran} ran (${seen.ios} I/Os, ${seen.verified} fio jobs verifying)`);
  });

  it('refuse the options, or run without an exception, an I/O error or a block read back wrong', () => {
    fc.assert(
      fc.property(fc.oneof({ arbitrary: fio, weight: 2 }, { arbitrary: net, weight: 1 }), mode, (workload, m) => {
        stats.sequences++;
        stats.ops += Object.keys(workload.options).length;
        let scenario;
        try {
          scenario = withMode(baseScenario({ workload, duration: '10ms' }), m, undefined);
        } catch (e) {
          if (e instanceof ScenarioError) return void seen.refused++;
          throw e;
        }
        const w = buildWorld(scenario);
        w.engine.run(scenario.duration);
        seen.ran++;
        const job = w.guests.find((g) => g.domain.id !== 0 && g.fio)?.fio;
        if (job) {
          const s = job.stats();
          seen.ios += s.ops;
          if (workload.options['verify'] === 'true') seen.verified++;
          expect(s.errors, `${m} ${JSON.stringify(workload.options)}`).toBe(0);
          expect(s.verifyErrors, `${m} ${JSON.stringify(workload.options)}`).toBe(0);
        }
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(60) },
    );
  }, FUZZ_TIMEOUT_MS);
});
