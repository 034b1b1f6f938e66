// Shared settings of the fuzz suites: one seed for all (printed, and replayable with
// PVLAB_FUZZ_SEED=<n>), run counts scaled by PVLAB_FUZZ_SCALE (1 in CI; 10 for a long soak),
// and the closing line each suite prints with the sequences and operations it ran.
export const FUZZ_SEED = Number(process.env['PVLAB_FUZZ_SEED'] ?? 20_260_909);
const SCALE = Number(process.env['PVLAB_FUZZ_SCALE'] ?? 1);

/** Generous: a fuzz file takes 10-40 s on an idle 2-core machine, far more on a loaded one. */
export const FUZZ_TIMEOUT_MS = 15 * 60_000;

export function fuzzRuns(n: number): number {
  return Math.max(1, Math.round(n * SCALE));
}

export interface FuzzStats {
  sequences: number;
  ops: number;
}

export function report(suite: string, s: FuzzStats): void {
  console.log(`fuzz ${suite}: ${s.sequences} sequences, ${s.ops} operations (seed ${FUZZ_SEED}; replay with PVLAB_FUZZ_SEED=${FUZZ_SEED})`);
}
