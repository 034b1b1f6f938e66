// Model-based fuzzing of the hypercall interface, walking every invariant after every
// operation (issue 9, item 4); see ./hypercall-harness.ts for the host, the operations and the
// reference model. fast-check shrinks a failure to a minimal sequence and prints its seed and
// path; PVLAB_FUZZ_SEED replays a seed.
import { afterAll, describe, it } from 'vitest';
import fc from 'fast-check';
import { FUZZ_SEED, FUZZ_TIMEOUT_MS, fuzzRuns, report } from './fuzz-config';
import { hypercallProperty } from './hypercall-harness';

const stats = { sequences: 0, ops: 0 };
afterAll(() => report('hypercalls (invariants after every operation)', stats));

describe('fuzzing hypercalls from dom0 and three hostile domUs', () => {
  it('answers every operation as the reference model does, keeps the invariants after every operation, and leaves nothing of a destroyed domain', () => {
    fc.assert(hypercallProperty(true, stats), { seed: FUZZ_SEED, numRuns: fuzzRuns(1500) });
  }, FUZZ_TIMEOUT_MS);
});
