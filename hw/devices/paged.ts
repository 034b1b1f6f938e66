// Guest-physical memory as a DmaMemory, from a function that finds the 4 KiB page behind a
// frame number (native RAM, a device model's foreign mapping, the kernel's own view).
// Bytes outside RAM read as 0xFF and writes there are dropped, as a chipset's master abort.
import type { DmaMemory } from './bus';

const PAGE = 4096;

export function pagedMemory(page: (frame: number) => Uint8Array | undefined): DmaMemory {
  const walk = (gpa: number, len: number, fn: (p: Uint8Array | undefined, off: number, n: number, at: number) => void): void => {
    for (let at = 0; at < len; ) {
      const off = (gpa + at) % PAGE;
      const n = Math.min(PAGE - off, len - at);
      fn(page(Math.floor((gpa + at) / PAGE)), off, n, at);
      at += n;
    }
  };
  return {
    read(gpa, len) {
      const out = new Uint8Array(len).fill(0xff);
      walk(gpa, len, (p, off, n, at) => p && out.set(p.subarray(off, off + n), at));
      return out;
    },
    write(gpa, data) {
      walk(gpa, data.length, (p, off, n, at) => p && p.set(data.subarray(at, at + n), off));
    },
  };
}
