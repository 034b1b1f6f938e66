// Machine memory: frames, owners and lazily materialized bytes. Pages are carved out of shared
// buffers, so these tests hold what that must not change: each frame's bytes are its own, a
// freed frame comes back scrubbed, and a page someone kept after the free never aliases the
// frame's next life.
import { describe, expect, it } from 'vitest';
import { FREE, MachineMemory, PAGE_SIZE } from '../../hw/memory';

describe('machine memory', () => {
  it('allocates all or nothing and tracks owners', () => {
    const m = new MachineMemory(16);
    const a = m.allocate(1, 10)!;
    expect(a).toHaveLength(10);
    expect(m.allocate(2, 7)).toBeNull();
    expect(m.framesFree).toBe(6);
    expect(a.map((f) => m.owner(f))).toEqual(Array(10).fill(1));
    expect(m.owner(15)).toBe(FREE);
    expect(m.isValid(15)).toBe(false);
  });

  it('materializes a frame\'s bytes on first touch only, zero-filled, 4 KiB each', () => {
    const m = new MachineMemory(64);
    const frames = m.allocate(3, 20)!;
    expect(m.materializedFrames).toBe(0);
    const p = m.page(frames[5]!);
    expect(p.byteLength).toBe(PAGE_SIZE);
    expect(p.every((b) => b === 0)).toBe(true);
    expect(m.page(frames[5]!)).toBe(p);
    expect(m.materializedFrames).toBe(1);
  });

  it('keeps every frame\'s bytes apart, across owners and past one buffer\'s worth of pages', () => {
    const m = new MachineMemory(64);
    const frames = [...m.allocate(1, 12)!, ...m.allocate(2, 12)!];
    // Interleave the owners' first touches, as a boot does.
    const order = frames.map((_, i) => frames[(i % 2) * 12 + (i >> 1)]!);
    order.forEach((f) => m.page(f).fill(f & 0xff));
    for (const f of frames) {
      const p = m.page(f);
      expect(p.byteLength).toBe(PAGE_SIZE);
      expect(p.every((b) => b === (f & 0xff))).toBe(true);
      // A view over the page's own bytes, as rings and drivers make, sees only this frame.
      const words = new Uint32Array(p.buffer, p.byteOffset, PAGE_SIZE / 4);
      expect(words[0]).toBe((f & 0xff) * 0x01010101);
      expect(words[PAGE_SIZE / 4 - 1]).toBe((f & 0xff) * 0x01010101);
    }
  });

  it('scrubs a freed frame, and a page kept after the free never writes into its next owner', () => {
    const m = new MachineMemory(8);
    const [f] = m.allocate(1, 1)!;
    const stale = m.page(f!);
    stale.fill(0xaa);
    m.free(f!);
    expect(m.owner(f!)).toBe(FREE);
    expect(m.materializedFrames).toBe(0);
    const [g] = m.allocate(2, 1)!;
    expect(g).toBe(f); // the same frame, handed out again
    const fresh = m.page(g!);
    expect(fresh.every((b) => b === 0)).toBe(true);
    stale.fill(0x55); // a holder of the old page writes on
    expect(fresh.every((b) => b === 0)).toBe(true);
  });

  it('gives an owner that frees and re-touches all of its frames fresh, zeroed pages', () => {
    const m = new MachineMemory(32);
    for (let round = 0; round < 5; round++) {
      const frames = m.allocate(7, 10)!;
      for (const f of frames) {
        expect(m.page(f).every((b) => b === 0)).toBe(true);
        m.page(f).fill(round + 1);
      }
      for (const f of frames) m.free(f);
      expect(m.framesInUse).toBe(0);
      expect(m.materializedFrames).toBe(0);
    }
  });
});
