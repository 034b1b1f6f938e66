// hw/bytes.ts: fresh byte buffers cut from shared slabs must behave like buffers of their own.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { freshBytes, joined } from '../../hw/bytes';

test('every result is zeroed, of the asked length, and shares no byte with any other', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 40_000 }), { minLength: 1, maxLength: 60 }), (sizes) => {
      const got = sizes.map((n, i) => {
        const b = freshBytes(n);
        expect(b).toBeInstanceOf(Uint8Array);
        expect(b.length).toBe(n);
        expect(b.every((x) => x === 0)).toBe(true);
        b.fill((i % 255) + 1); // the caller's to write
        return b;
      });
      got.forEach((b, i) => expect(b.every((x) => x === (i % 255) + 1)).toBe(true));
    }),
    { numRuns: 50 },
  );
});

test('joined copies the parts in order into fresh bytes of their summed length', () => {
  const parts = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3), Uint8Array.of(4, 5, 6)];
  const out = joined(parts, 6);
  expect([...out]).toEqual([1, 2, 3, 4, 5, 6]);
  parts[0]!.fill(9); // a copy, not a view of the parts
  expect(out[0]).toBe(1);
});
