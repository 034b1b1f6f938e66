// Seeded random streams. Every component draws from its own stream, derived from the scenario
// seed and the component's name, so adding a domain does not change the numbers another domain
// draws (common random numbers across PV / HVM / native runs of one workload). Nothing in the
// model may draw from the platform's ambient generator.
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';

type Generator = ReturnType<typeof xoroshiro128plus>;

/** FNV-1a over the name, mixed with the seed: a stable 32-bit seed per (seed, name). */
export function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= Math.floor(seed / 0x100000000);
  return h | 0;
}

export class RandomStream {
  private readonly g: Generator;

  constructor(seed: number, readonly name: string) {
    this.g = xoroshiro128plus(streamSeed(seed, name));
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return uniformInt(this.g, lo, hi);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return uniformFloat64(this.g);
  }

  /** Exponentially distributed value with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }
}

/** The factory a run hands to its components: one stream per name, derived from one seed. */
export class RandomStreams {
  constructor(readonly seed: number) {}

  stream(name: string): RandomStream {
    return new RandomStream(this.seed, name);
  }
}
