// bench:counts --functions: how callgrind's per-instruction counts are given to functions.
// The inputs are small hand-written files in the formats callgrind and V8 write; the expected
// sums are worked out by hand below.
import { describe, expect, it } from 'vitest';
import { attribute, perEventDifference } from '../../bench/count-functions';

const BUNDLE = ['// hw/engine.ts', 'var a = 1;', 'var b = 2;', '// hypervisor/vcpu.ts', 'var c = 3;', 'var d = 4;'].join('\n');

// V8's perf map: start and size in hex. 0x1000 is used twice: the later code object is the live
// one. `inner` was created last, inside fire's old range.
const PERF_MAP = [
  '1000 100 JS:*old file:///cache/entry-1.mjs:2:1',
  '1000 80 JS:*fire file:///cache/entry-1.mjs:5:3',
  '1040 10 JS:~inner file:///cache/entry-1.mjs:3:1',
  '1100 10 JS:^get runnable file:///cache/entry-1.mjs:6:1',
  '1200 10 JS:*next node:internal/streams:40:2',
].join('\n');

const CALLGRIND = [
  'version: 1',
  'positions: instr',
  'events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw',
  'fn=0x0000000000001000',
  '0x1010 10 3 1 0 2 1 0 1 0',
  '0x1045 5',
  'cfn=Builtins_LoadIC',
  'calls=1 0x3000',
  '0x1050 999 999 999 999 999 999 999 999 999',
  '0x1060 7 1 0 0 0 0 0 0 0',
  '0x1105 2 1 0 0 1 0 0 1 0',
  '0x1205 3',
  '0x1300 1',
  'fn=Builtins_LoadIC',
  '0x3000 4 1 0 0 1 0 0 1 1',
].join('\n');

describe('bench:counts per function', () => {
  const costs = attribute(CALLGRIND, PERF_MAP, BUNDLE, 'entry-1.mjs');

  it('gives JIT code to the code object created last over it, named with its bundled module, and skips the inclusive costs of calls', () => {
    // fire: 0x1010 (10 instructions, D1 2 + 1, LL read 1) and 0x1060 (7); the call's 999s are inclusive.
    expect(costs.get('fire (hypervisor/vcpu.ts)')).toEqual([17, 3, 1, 0]);
    expect(costs.get('inner (hw/engine.ts)')).toEqual([5, 0, 0, 0]);
    expect(costs.get('get runnable (hypervisor/vcpu.ts)')).toEqual([2, 1, 1, 0]);
    expect(costs.get('next (node:internal/streams)')).toEqual([3, 0, 0, 0]);
    expect(costs.get('(JIT code no longer mapped)')).toEqual([1, 0, 0, 0]);
    expect(costs.get('Builtins_LoadIC')).toEqual([4, 1, 1, 1]);
    expect(costs.has('old (hw/engine.ts)')).toBe(false);
  });

  it('reports the per-event difference of two windows, the sums over all functions first', () => {
    const short = { events: 100, costs: new Map([['f', [1000, 100, 10, 0]], ['g', [500, 10, 0, 0]]]) };
    const long = { events: 300, costs: new Map([['f', [3000, 300, 50, 20]], ['g', [900, 30, 60, 0]], ['h', [200, 0, 0, 0]]]) };
    const rows = perEventDifference(short, long, 2, 2);
    expect(rows.map((r) => r.name)).toEqual(['(all)', 'g', 'f']); // by LL read misses: g 0.3, f 0.2, h 0
    expect(rows[0]!.counts).toEqual([(2000 + 400 + 200) / 200, (200 + 20) / 200, (40 + 60) / 200, 20 / 200]);
    expect(rows[1]!.counts).toEqual([2, 0.1, 0.3, 0]);
  });
});
