// Median, min and max of a set of measurements, shared by `npm run bench` and `bench:ab`.

/** Median (the mean of the two middle values for an even count), min and max of `xs`. */
export function stats(xs: readonly number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}
