// hw/bytes.ts: fresh byte buffers cut from shared slabs must behave like buffers of their own.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { freshBytes } from '../../hw/bytes';

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
