// The xl cpus= syntax for hard affinity.
import { describe, expect, it } from 'vitest';
import { parseCpuList, selectCpus } from '../../../lab/scenario/cpulist';

function select(text: unknown, pcpus: number): number[] | string {
  const terms = parseCpuList(text);
  if (!terms.ok) return terms.message;
  const r = selectCpus(terms.value, pcpus);
  return r.ok ? r.value : r.message;
}

describe('a cpus list', () => {
  it('selects single pCPUs, ranges and exclusions as sorted numbers', () => {
    expect(select('0-3,5,^1', 8)).toEqual([0, 2, 3, 5]);
    expect(select('5,2', 8)).toEqual([2, 5]);
  });

  it('selects every pCPU of the host with "all", minus exclusions', () => {
    expect(select('all', 4)).toEqual([0, 1, 2, 3]);
    expect(select('all,^0', 4)).toEqual([1, 2, 3]);
  });

  it('may be a single number, as YAML reads `cpus: 2`', () => {
    expect(select(2, 4)).toEqual([2]);
  });

  it('rejects a pCPU the host does not have', () => {
    expect(select('0-5', 4)).toBe('pCPU 4 does not exist: the host has 4 pCPUs (0-3)');
    expect(select('7', 1)).toBe('pCPU 7 does not exist: the host has 1 pCPU (0)');
  });

  it('rejects a list that selects nothing, like "^1" alone', () => {
    expect(select('^1', 4)).toBe('selects no pCPU at all');
  });

  it('rejects bad syntax with the offending term', () => {
    expect(select('0-3,x', 4)).toBe("'x' is not a pCPU number, a range such as 2-5, or \"all\"");
    expect(select('3-1', 4)).toBe('the range 3-1 runs backwards (write 1-3)');
    expect(select('0,,1', 4)).toMatch(/^an empty entry/);
    expect(select('nodes:0', 4)).toMatch(/NUMA node selection/);
  });
});
