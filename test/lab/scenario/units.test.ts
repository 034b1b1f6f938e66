// Units of scenario files: durations, sizes and memory amounts.
import { describe, expect, it } from 'vitest';
import { formatDuration, formatSize, parseDuration, parseMemoryMiB, parseSize } from '../../../lab/scenario/units';

const value = <T>(r: { ok: true; value: T } | { ok: false; message: string }): T => {
  if (!r.ok) throw new Error(r.message);
  return r.value;
};
const message = (r: { ok: boolean; message?: string }): string => (r.ok ? 'ok' : r.message!);

describe('durations', () => {
  it('are read into integer nanoseconds for every unit', () => {
    expect(value(parseDuration('500ns'))).toBe(500);
    expect(value(parseDuration('500us'))).toBe(500_000);
    expect(value(parseDuration('500µs'))).toBe(500_000);
    expect(value(parseDuration('30ms'))).toBe(30_000_000);
    expect(value(parseDuration('10s'))).toBe(10_000_000_000);
    expect(value(parseDuration('2m'))).toBe(120_000_000_000);
    expect(value(parseDuration('1h'))).toBe(3_600_000_000_000);
  });

  it('may have a decimal part when the result is a whole number of nanoseconds', () => {
    expect(value(parseDuration('1.5ms'))).toBe(1_500_000);
    expect(value(parseDuration('0.1s'))).toBe(100_000_000);
    expect(message(parseDuration('1.5ns'))).toBe('1.5ns is not a whole number of nanoseconds');
  });

  it('need a unit, whether the number is bare or quoted', () => {
    expect(message(parseDuration(10))).toMatch(/^a duration needs a unit \(got 10\)/);
    expect(message(parseDuration('10'))).toMatch(/^a duration needs a unit \(got 10\)/);
  });

  it('reject negative values, unknown units and other types with a reason', () => {
    expect(message(parseDuration('-5ms'))).toBe('a duration cannot be negative (got -5ms)');
    expect(message(parseDuration('10sec'))).toMatch(/unknown duration unit 'sec'/);
    expect(message(parseDuration('soon'))).toMatch(/is not a duration/);
    expect(message(parseDuration(true))).toMatch(/must be a duration such as 30ms \(got true\)/);
  });

  it('stop where the simulated clock stops being exact', () => {
    expect(message(parseDuration('3000h'))).toMatch(/is too long/);
  });

  it('print back in the largest unit that keeps them readable', () => {
    expect(formatDuration(30_000_000)).toBe('30ms');
    expect(formatDuration(1_500_000)).toBe('1.5ms');
    expect(formatDuration(250)).toBe('250ns');
  });
});

describe('sizes', () => {
  it('treat k, M, G, T and KiB, MiB, GiB, TiB as powers of 1024', () => {
    expect(value(parseSize('4k'))).toBe(4096);
    expect(value(parseSize('4K'))).toBe(4096);
    expect(value(parseSize('4KiB'))).toBe(4096);
    expect(value(parseSize('1M'))).toBe(1 << 20);
    expect(value(parseSize('8GiB'))).toBe(8 * 2 ** 30);
    expect(value(parseSize('1TiB'))).toBe(2 ** 40);
  });

  it('treat kB, KB, MB, GB and TB as powers of 1000, as disk vendors count', () => {
    expect(value(parseSize('1kB'))).toBe(1000);
    expect(value(parseSize('1MB'))).toBe(1_000_000);
    expect(value(parseSize('2GB'))).toBe(2_000_000_000);
  });

  it('read a bare number as bytes', () => {
    expect(value(parseSize(512))).toBe(512);
    expect(value(parseSize('512'))).toBe(512);
    expect(value(parseSize('512B'))).toBe(512);
  });

  it('accept a decimal part only when it comes to whole bytes', () => {
    expect(value(parseSize('1.5KiB'))).toBe(1536);
    expect(message(parseSize('1.5'))).toBe('1.5 is not a whole number of bytes');
  });

  it('reject ambiguous or unknown units and negative sizes', () => {
    expect(message(parseSize('4mb'))).toMatch(/unknown size unit 'mb'/);
    expect(message(parseSize('-4k'))).toBe('a size cannot be negative (got -4k)');
    expect(message(parseSize(-1))).toBe('a size cannot be negative (got -1)');
  });

  it('print back in binary units', () => {
    expect(formatSize(256 * 2 ** 30)).toBe('256GiB');
    expect(formatSize(1536)).toBe('1.5KiB');
    expect(formatSize(100)).toBe('100B');
  });
});

describe('memory amounts', () => {
  it('read a plain number as MiB, as xl.cfg does', () => {
    expect(value(parseMemoryMiB(512))).toBe(512);
    expect(value(parseMemoryMiB('512'))).toBe(512);
  });

  it('convert a size string to MiB', () => {
    expect(value(parseMemoryMiB('2GiB'))).toBe(2048);
    expect(value(parseMemoryMiB('512M'))).toBe(512);
  });

  it('must come to a whole number of MiB and not be negative', () => {
    expect(message(parseMemoryMiB('1GB'))).toBe('must be a whole number of MiB (got 1GB)');
    expect(message(parseMemoryMiB(1.5))).toBe('must be a whole number of MiB (got 1.5)');
    expect(message(parseMemoryMiB(-512))).toBe('memory cannot be negative (got -512)');
  });
});
