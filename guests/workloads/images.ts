// Program images the benchmark workloads run: the regions of a dynamically linked Linux
// program of the 2.4/2.6 era (its text, data, bss, heap and stack, and those of ld.so and libc)
// and how many pages of each it touches while it starts. Sizes are those of typical binaries
// of the period; the start-up page counts are assumptions stated once here:
//   - a small C program (lmbench's own processes, "hello") faults about 100 pages before
//     main() returns, the order `/usr/bin/time` reports as minor faults for such a program;
//   - a shell (bash) faults about 250.
// hw/platforms/lmbench.ts subtracts exactly these counts from lmbench's exec and sh figures.
import type { Image, ImageRegion } from '../kernel/process';

const text = (name: string, pages: number, touched: number): ImageRegion => ({ name, pages, touched, writable: false, shared: true, external: true });
const anon = (name: string, pages: number, touched: number): ImageRegion => ({ name, pages, touched, writable: true, shared: false });

/** ld.so and libc (glibc 2.3: 1.2 MiB of text), mapped by every dynamically linked program. */
function libs(ldTouched: number, libcTouched: number, libcDataTouched: number): ImageRegion[] {
  return [text('ld.so', 28, ldTouched), anon('ld.so-data', 2, 2), text('libc', 300, libcTouched), anon('libc-data', 8, libcDataTouched)];
}

/** A program of `textPages` of code with `heapPages` of heap, touching `touched` pages of its
 *  own (its text, data and heap; libraries come on top). */
export function program(name: string, opts: { text: number; data: number; heap: number; stack?: number; textTouched: number; heapTouched: number }): Image {
  return {
    name,
    regions: [
      text('text', opts.text, opts.textTouched),
      anon('data', opts.data, Math.min(opts.data, 3)),
      anon('bss', 4, 2),
      anon('heap', opts.heap, opts.heapTouched),
      anon('stack', opts.stack ?? 32, 3),
      ...libs(18, 56, 6),
    ],
  };
}

/** A small dynamically linked C program: 100 pages touched at start-up (see above). */
export const SMALL_PROGRAM: Image = program('hello', { text: 16, data: 4, heap: 33, textTouched: 6, heapTouched: 4 });

/** /bin/sh (bash 2.05): 250 pages touched at start-up (see above). */
export const SHELL: Image = {
  name: 'bash',
  regions: [
    text('text', 180, 90),
    anon('data', 10, 10),
    anon('bss', 6, 6),
    anon('heap', 64, 40),
    anon('stack', 32, 4),
    text('libtinfo', 40, 2),
    ...libs(18, 70, 8),
  ],
};

/** Pages an image touches while it starts. */
export function startupPages(image: Image): number {
  return image.regions.reduce((s, r) => s + r.touched, 0);
}
