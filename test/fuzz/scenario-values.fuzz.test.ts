// Fuzzing the values of scenario files (issue 9's "bad input never crashes pvlab", item 5, as a
// property instead of a corpus): every scenario in scenarios/ with one to three of its values
// changed, either to awkward ones (zero, negative, fractional, huge, the wrong type, text with
// and without units, empty collections) or nudged (scaled or shifted, unit kept) — the way a
// student edits a lesson. Property: the file
// is refused with one ScenarioError, or it builds a world that runs its first simulated
// milliseconds; no other exception escapes from either.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError, type PathSegment, type Setting } from '../../lab/scenario';
import { buildWorld } from '../../lab/run/world';
import { FUZZ_SEED, FUZZ_TIMEOUT_MS, fuzzRuns, report } from './fuzz-config';

const DIR = join(import.meta.dirname, '..', '..', 'scenarios');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

interface Leaf { path: PathSegment[]; value: unknown }

/** Every scalar of a parsed document with its key path, in reading order. */
function leaves(node: unknown, path: PathSegment[] = [], out: Leaf[] = []): Leaf[] {
  if (Array.isArray(node)) node.forEach((x, i) => leaves(x, [...path, i], out));
  else if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) leaves(v, [...path, k], out);
  else out.push({ path, value: node });
  return out;
}

/** The value as a student might edit it: a number or the number of a "30ms", "512MiB", "4k"
 *  scaled or shifted, its unit kept. */
function nudged(value: unknown, how: number): unknown {
  const scale = (x: number): number => [0, 1, x - 1, x + 1, x * 2, x * 10, x * 1000, -x, x / 3][how % 9]!;
  if (typeof value === 'number') return scale(value);
  const m = typeof value === 'string' ? /^(-?[0-9.]+)([A-Za-z]*)$/.exec(value) : null;
  return m ? `${scale(Number(m[1]))}${m[2]}` : value;
}

const SCENARIOS = FILES.map((f) => {
  const text = readFileSync(join(DIR, f), 'utf8');
  return { file: join(DIR, f), text, leaves: leaves(parse(text)) };
});

const awkward = fc.oneof(
  fc.constantFrom<unknown>(0, -1, 1, 2, 0.5, -0.5, 3.7, 2 ** 31, 2 ** 32 + 1, 2 ** 53, 1e300, -1e300, true, false, null, [], {}, [0], { a: 1 }),
  fc.constantFrom('', ' ', 'x', 'NaN', 'Infinity', '0', '-1', '1e400', '0ms', '1ns', '-5ms', '1.5us', '100000h', '99999999999s', '0k', '3k', '1PiB', '64GiB', '1e9GiB', 'pv', 'hvm', 'kvm', 'none', '0-999', '1,1,1', 'fio', 'all'),
  fc.integer({ min: -10, max: 100_000 }),
  fc.string({ maxLength: 12 }),
);

describe('scenario files with awkward values', () => {
  const stats = { sequences: 0, ops: 0, refused: 0, ran: 0 };
  afterAll(() => {
    report('scenario-values', stats);
    console.log(`scenario-values: ${stats.refused} refused, ${stats.ran} built and ran`);
  });

  it('are refused with one ScenarioError or build a world that runs', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: SCENARIOS.length - 1 }).chain((i) => {
          const leaf = fc.nat({ max: SCENARIOS[i]!.leaves.length - 1 });
          const change = fc.oneof(
            fc.tuple(leaf, awkward),
            fc.tuple(leaf, fc.nat({ max: 8 })).map(([l, how]) => [l, nudged(SCENARIOS[i]!.leaves[l]!.value, how)] as [number, unknown]),
          );
          return fc.tuple(fc.constant(i), fc.array(change, { minLength: 1, maxLength: 3 }));
        }),
        ([i, changes]) => {
          const sc = SCENARIOS[i]!;
          stats.sequences++;
          const settings: Setting[] = changes.map(([leaf, value]) => {
            stats.ops++;
            const { path } = sc.leaves[leaf]!;
            return { key: path.join('.'), path, text: JSON.stringify(value), value };
          });
          let r: ReturnType<typeof parseScenario>;
          try {
            r = parseScenario(sc.text, sc.file, { settings });
          } catch (e) {
            throw new Error(`${sc.file} with ${JSON.stringify(changes.map(([l, v]) => [sc.leaves[l]!.path.join('.'), v]))}: parseScenario threw ${String(e)}`);
          }
          if (!r.ok) {
            expect(r.error).toBeInstanceOf(ScenarioError);
            stats.refused++;
            return;
          }
          try {
            const w = buildWorld(r.scenario);
            w.engine.run(Math.min(r.scenario.duration, 2_000_000));
          } catch (e) {
            if (e instanceof ScenarioError) return void stats.refused++;
            throw new Error(`${sc.file} with ${JSON.stringify(changes.map(([l, v]) => [sc.leaves[l]!.path.join('.'), v]))}: the accepted scenario threw ${(e as Error)?.stack ?? String(e)}`);
          }
          stats.ran++;
        },
      ),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(300) },
    );
  }, FUZZ_TIMEOUT_MS);
});
