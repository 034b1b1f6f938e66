// The xl `cpus=` syntax (hard affinity), e.g. "0-3,5,^1" or "all" or "all,^0".
// Terms are read left to right over an initially empty set: `N` and `A-B` add pCPUs, `all` adds
// every pCPU, and a leading `^` removes instead of adding (so "^1" alone selects nothing, as in
// xl). Parsing the text needs no host; selecting pCPUs does, because "all" depends on the host
// and every pCPU a term names must exist on it. NUMA forms (`nodes:`) are not modelled.

import { describeValue } from './errors';
import { fail, ok, type Parsed } from './units';

export interface CpuTerm {
  /** True for the `all` term. */
  all: boolean;
  from: number;
  to: number;
  /** `^` terms remove pCPUs. */
  exclude: boolean;
}

const RANGE = /^([0-9]+)(?:-([0-9]+))?$/;

/** Checks the syntax of a cpus value: a string, or a single pCPU number. */
export function parseCpuList(value: unknown): Parsed<CpuTerm[]> {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    return ok([{ all: false, from: value, to: value, exclude: false }]);
  }
  if (typeof value !== 'string') {
    return fail(`must be a pCPU list such as "0-3,5,^1" or "all" (got ${describeValue(value)})`);
  }
  const terms: CpuTerm[] = [];
  for (const raw of value.split(',')) {
    const term = parseTerm(raw.trim());
    if (!term.ok) return term;
    terms.push(term.value);
  }
  return ok(terms);
}

function parseTerm(text: string): Parsed<CpuTerm> {
  const exclude = text.startsWith('^');
  const body = exclude ? text.slice(1) : text;
  if (body === 'all') return ok({ all: true, from: 0, to: 0, exclude });
  if (body.startsWith('node')) return fail(`NUMA node selection ('${text}') is not modelled by pvlab`);
  const m = RANGE.exec(body);
  if (!m) {
    const what = text === '' ? 'an empty entry' : `'${text}'`;
    return fail(`${what} is not a pCPU number, a range such as 2-5, or "all"`);
  }
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (to < from) return fail(`the range ${body} runs backwards (write ${to}-${from})`);
  return ok({ all: false, from, to, exclude });
}

/** The sorted pCPU numbers the terms select on a host with `pcpus` pCPUs. */
export function selectCpus(terms: readonly CpuTerm[], pcpus: number): Parsed<number[]> {
  const chosen = new Set<number>();
  for (const term of terms) {
    const from = term.all ? 0 : term.from;
    const to = term.all ? pcpus - 1 : term.to;
    if (to >= pcpus) {
      const missing = Math.max(from, pcpus);
      return fail(`pCPU ${missing} does not exist: the host has ${pcpus} pCPU${pcpus === 1 ? '' : 's'} (${hostRange(pcpus)})`);
    }
    for (let cpu = from; cpu <= to; cpu++) {
      if (term.exclude) chosen.delete(cpu);
      else chosen.add(cpu);
    }
  }
  if (chosen.size === 0) return fail('selects no pCPU at all');
  return ok([...chosen].sort((a, b) => a - b));
}

function hostRange(pcpus: number): string {
  return pcpus === 1 ? '0' : `0-${pcpus - 1}`;
}
