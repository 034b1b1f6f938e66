// The project's acceptance test for ringbuf/: the ring protocol with real concurrency. The
// front and the back run in two worker threads over one SharedArrayBuffer page, indices go
// through Atomics, and event channels are Int32 words kicked only when a push says so.

import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { BLKIF_RING } from '../../hypervisor/public/io/blkif';
import { isSharedPage } from '../../ringbuf/index-access';
import { ringSize, sharedRingInit } from '../../ringbuf/ring';
import { PAGE_BYTES, SHARED_BYTES, type WorkerJob, type WorkerReport } from './ring-worker-protocol';

const TOTAL = 1_000_000;
/** No idle wait in this test lasts near this long, unless a wakeup was lost. */
const WAIT_TIMEOUT_MS = 5_000;
/** The whole exchange is given up (and both workers terminated) after this. */
const GIVE_UP_MS = 90_000;

const BOOT = new URL('./ts-worker.mjs', import.meta.url);
const ENTRY = new URL('./ring-worker.ts', import.meta.url).href;

function start(job: WorkerJob, workers: Worker[]): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOT, { workerData: job });
    workers.push(worker);
    worker.once('message', (report: WorkerReport) => resolve(report));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`${job.role} worker exited (${code}) without a report`)));
  });
}

async function exchange(total: number): Promise<WorkerReport[]> {
  const sab = new SharedArrayBuffer(SHARED_BYTES);
  const page = new Uint8Array(sab, 0, PAGE_BYTES);
  sharedRingInit(page);
  const workers: Worker[] = [];
  const job = { entry: ENTRY, sab, total, waitTimeoutMs: WAIT_TIMEOUT_MS };
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`workers still running after ${GIVE_UP_MS} ms`)), GIVE_UP_MS);
  });
  try {
    const both = Promise.all([start({ ...job, role: 'front' }, workers), start({ ...job, role: 'back' }, workers)]);
    return await Promise.race([both, giveUp]);
  } finally {
    clearTimeout(timer);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** A worker's report, or a failure that shows the worker's own message (e.g. a lost wakeup). */
function done(report: WorkerReport | undefined): Extract<WorkerReport, { kind: 'done' }> {
  if (report?.kind !== 'done') throw new Error(`worker failed: ${JSON.stringify(report)}`);
  return report;
}

describe('the ring between two worker threads', () => {
  test('runs over a SharedArrayBuffer page with 32 blkif slots', () => {
    const page = new Uint8Array(new SharedArrayBuffer(SHARED_BYTES), 0, PAGE_BYTES);
    expect(isSharedPage(page)).toBe(true);
    expect(ringSize(page.byteLength, BLKIF_RING)).toBe(32);
  });

  test('carries 1,000,000 requests and their responses, none lost, duplicated or reordered', async () => {
    const [front, back] = await exchange(TOTAL);
    // Each worker checked every sequence number in order as it arrived; a failure names it.
    expect(done(back)).toMatchObject({ role: 'back', count: TOTAL });
    expect(done(front)).toMatchObject({ role: 'front', count: TOTAL });
  });

  test('kicks a peer at most once each time it got ready to sleep, never once per request', async () => {
    const total = 100_000;
    const [front, back] = (await exchange(total)).map(done) as [ReturnType<typeof done>, ReturnType<typeof done>];
    // An event threshold is armed only by a final check (or the init), and one push
    // window can pass a given threshold only once.
    expect(front.kicks).toBeLessThanOrEqual(back.finalChecks + 1);
    expect(back.kicks).toBeLessThanOrEqual(front.finalChecks + 1);
    expect(front.kicks).toBeLessThan(total);
  });
});
