// Model-based fuzzing of the hypercall interface over many more sequences, walking the
// invariant tables after each whole sequence (every return code is still checked against the
// model after every operation); see ./hypercall-harness.ts.
import { afterAll, describe, it } from 'vitest';
import fc from 'fast-check';
import { FUZZ_SEED, FUZZ_TIMEOUT_MS, fuzzRuns, report } from './fuzz-config';
import { hypercallProperty } from './hypercall-harness';

const stats = { sequences: 0, ops: 0 };
afterAll(() => report('hypercalls (invariants after every sequence)', stats));

describe('fuzzing hypercalls, many sequences', () => {
  it('answers as the reference model does and keeps the invariants over 6,500 more sequences', () => {
    fc.assert(hypercallProperty(false, stats), { seed: FUZZ_SEED + 1, numRuns: fuzzRuns(6500) });
  }, FUZZ_TIMEOUT_MS);
});
