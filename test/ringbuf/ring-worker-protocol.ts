// What the worker stress test (ring.workers.test.ts) and its two workers (ring-worker.ts)
// agree on: the SharedArrayBuffer layout, the job each worker gets and the report it sends.

/** The ring page occupies the first 4 KiB of the buffer; two event words follow it. */
export const PAGE_BYTES = 4096;
export const EVENT_WORDS = 2;
export const SHARED_BYTES = PAGE_BYTES + 4 * EVENT_WORDS;
/** Index of the Int32 event word (after the page) that stands for each event channel. */
export const EVT_TO_BACK = 0;
export const EVT_TO_FRONT = 1;

export interface WorkerJob {
  /** URL of ring-worker.ts, imported by the ts-worker.mjs bootstrap. */
  entry: string;
  role: 'front' | 'back';
  sab: SharedArrayBuffer;
  total: number;
  waitTimeoutMs: number;
}

export type WorkerReport =
  | { kind: 'done'; role: 'front' | 'back'; count: number; kicks: number; sleeps: number; finalChecks: number }
  | { kind: 'failed'; role: 'front' | 'back'; message: string };
