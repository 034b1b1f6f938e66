// Acceptance: `pvlab compare ttcp` and `pvlab compare netperf-rr` give one row per mode with
// the score and the breakdown of where the time went, and the rows tell the expected story.
import { describe, expect, it } from 'vitest';
import { compare, NET_DEFAULT_MODES, type CompareMode } from '../../lab/compare';
import { renderCompare } from '../../lab/cli/compare-format';

describe('pvlab compare for network workloads', () => {
  it('ttcp: a row per mode, in Mb/s, with exits, notifications and the time split', () => {
    const c = compare({ workload: { kind: 'ttcp', options: { bytes: '2MiB' } }, duration: '300ms' });
    const table = renderCompare(c);
    console.log(table);
    expect(c.rows.map((r) => r.mode)).toEqual(NET_DEFAULT_MODES);
    for (const r of c.rows) {
      expect(r.unit).toBe('Mb/s');
      expect(r.score).toBeGreaterThan(0);
      const t = r.timeNs;
      expect(t.guest + t.hypervisor + t.backend + t.deviceModel + t.idle).toBeGreaterThan(0);
    }
    const row = (m: CompareMode) => c.rows.find((r) => r.mode === m)!;
    expect(row('pv').exitsPerOp).toBe(0);
    expect(row('hvm').exitsPerOp).toBeGreaterThan(0);
    expect(row('hvm').timeNs.deviceModel).toBeGreaterThan(0); // QEMU's e1000 in dom0
    expect(row('pv').timeNs.deviceModel).toBe(0); // netback is kernel work
    expect(row('pv').timeNs.backend).toBeGreaterThan(0);
    expect(row('pv').score).toBeGreaterThan(row('hvm-rtl8139').score);
    expect(row('native').score).toBeGreaterThan(row('tcg').score);
    expect(table).toMatch(/^ttcp mode=transmit bytes=2097152 /);
    expect(table).toMatch(/hvm-rtl8139/);
  });

  it('netperf-rr: a row per mode in transactions per second; PV beats the emulated NICs', () => {
    const c = compare({ workload: { kind: 'netperf-rr', options: {} }, duration: '30ms' });
    console.log(renderCompare(c));
    expect(c.rows.map((r) => r.mode)).toEqual(NET_DEFAULT_MODES);
    const row = (m: CompareMode) => c.rows.find((r) => r.mode === m)!;
    for (const r of c.rows) expect([r.unit, r.score > 0]).toEqual(['trans/s', true]);
    expect(row('pv').score).toBeGreaterThan(row('hvm').score);
    expect(row('hvm').score).toBeGreaterThan(row('hvm-rtl8139').score);
    expect(row('pvh').notificationsPerOp).toBeGreaterThan(0.5);
  });
});
