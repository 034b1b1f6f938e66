// CSV for spreadsheets: one header row, RFC 4180 quoting, and every value reads back as what the
// JSON report says, checked with an independent parser (csv-parse).
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { COMPARE_HEADER, compareCsv, csvField, RUN_HEADER, runCsv, toCsv } from '../../lab/cli/csv';
import { compare } from '../../lab/compare';
import { runScenario } from '../../lab/run/runner';
import { parseScenario } from '../../lab/scenario/index';

const rows = (text: string): string[][] => parse(text, { relaxColumnCount: false }) as string[][];

describe('CSV fields', () => {
  it('are quoted only when they hold a comma, a quote or a line break, with quotes doubled', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField(12.5)).toBe('12.5');
    expect(csvField(null)).toBe('');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
  });

  it('make records ended by CRLF that parse back to the same cells', () => {
    const cells = [['a,b', 'say "hi"', 'two\r\nlines', '', '7']];
    const text = toCsv(['x', 'y', 'z', 'empty', 'n'], cells);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(rows(text)).toEqual([['x', 'y', 'z', 'empty', 'n'], ...cells]);
  });
});

describe('a run as CSV', () => {
  const text = `name: 'odd, "quoted" name'
seed: 3
duration: 200ms
host: {pcpus: 1}
domains:
  - {name: hog, memory: 256, workload: {kind: cpu-burn}}
  - {name: tick, memory: 256, workload: {kind: cpu-periodic, burst: 500us, period: 5ms, jitter: 0.3}}
`;
  const parsed = parseScenario(text, 'odd.yaml');
  if (!parsed.ok) throw parsed.error;
  const { report } = runScenario(parsed.scenario);

  it('has one header row and one row per domain, with the report\'s values', () => {
    const [header, ...body] = rows(runCsv(report));
    expect(header).toEqual(RUN_HEADER);
    expect(body).toHaveLength(report.domains.length);
    body.forEach((row, i) => {
      const d = report.domains[i]!;
      const get = (col: string): string => row[header!.indexOf(col)]!;
      expect(get('scenario')).toBe('odd, "quoted" name');
      expect(get('domain')).toBe(d.name);
      expect(Number(get('running_ns'))).toBe(d.runstate.runningNs);
      expect(Number(get('wake_p99_ns'))).toBe(d.wakeLatencyNs.p99);
      expect(Number(get('cpu_pct'))).toBe(d.cpuPct);
      expect(Number(get('hypercalls'))).toBe(Object.values(d.hypercalls).reduce((a, b) => a + b, 0));
    });
  });
});

describe('a comparison as CSV', () => {
  it('has one row per mode with the table\'s numbers', () => {
    const c = compare({ workload: { kind: 'fio', options: { rw: 'randread', bs: '4k', iodepth: '1' } }, modes: ['native', 'pv', 'hvm'], duration: '50ms' });
    const [header, ...body] = rows(compareCsv(c));
    expect(header).toEqual([...COMPARE_HEADER]);
    expect(body.map((r) => r[3])).toEqual(['native', 'pv', 'hvm']);
    body.forEach((r, i) => {
      expect(Number(r[4])).toBe(c.rows[i]!.score);
      expect(Number(r[7])).toBe(c.rows[i]!.exitsPerOp);
    });
    expect(body[0]![6]).toBe('1');
  });
});
