// One end of the worker stress test (ring.workers.test.ts), run in its own worker thread:
// the front pushes `total` blkif requests whose id is a sequence number, the back answers
// each with a response echoing it. The ring page and two event words live in one
// SharedArrayBuffer; an event word stands in for an event channel (1 = pending), kicked only
// when a push says so, and waited on with Atomics.wait with a timeout so a lost wakeup shows
// up as a clear "hang" report instead of a stuck test.

import { parentPort, workerData } from 'node:worker_threads';
import {
  BLKIF_OP_READ, BLKIF_RING, BLKIF_RSP_OKAY,
  decodeBlkifRequest, decodeBlkifResponse, encodeBlkifRequest, encodeBlkifResponse,
} from '../../hypervisor/public/io/blkif';
import { BackRing, FrontRing } from '../../ringbuf/ring';
import { EVENT_WORDS, EVT_TO_BACK, EVT_TO_FRONT, PAGE_BYTES, type WorkerJob, type WorkerReport } from './ring-worker-protocol';

class Failure extends Error {}

function eventChannel(sab: SharedArrayBuffer, timeoutMs: number) {
  const words = new Int32Array(sab, PAGE_BYTES, EVENT_WORDS);
  return {
    kick(word: number): void {
      Atomics.store(words, word, 1);
      Atomics.notify(words, word);
    },
    /** Blocks until `word` is pending, then clears it. */
    wait(word: number, state: () => string): void {
      while (Atomics.exchange(words, word, 0) === 0) {
        if (Atomics.wait(words, word, 0, timeoutMs) === 'timed-out') {
          throw new Failure(`no event for ${timeoutMs} ms: lost wakeup? ${state()}`);
        }
      }
    },
  };
}

function runFront(job: WorkerJob): WorkerReport {
  const front = new FrontRing(new Uint8Array(job.sab, 0, PAGE_BYTES), BLKIF_RING);
  const evt = eventChannel(job.sab, job.waitTimeoutMs);
  let next = 0, expected = 0, kicks = 0, sleeps = 0, finalChecks = 0;
  const write = (view: DataView, at: number) => encodeBlkifRequest(view, at, {
    operation: BLKIF_OP_READ, nrSegments: 1, handle: 0, id: next, sectorNumber: next * 8,
    segments: [{ gref: next & 0xffff, firstSect: 0, lastSect: 7 }],
  });
  const state = () => `front sent ${next}, received ${expected}`;
  while (expected < job.total) {
    let progressed = false;
    while (next < job.total && front.produceRequest(write).kind === 'ok') next++, progressed = true;
    if (progressed && front.pushRequestsAndCheckNotify()) evt.kick(EVT_TO_BACK), kicks++;
    for (let r = front.takeResponse(decodeBlkifResponse); r.kind !== 'empty'; r = front.takeResponse(decodeBlkifResponse)) {
      if (r.kind !== 'ok') throw new Failure(`front: ${JSON.stringify(r)}`);
      if (r.value.id !== expected || r.value.status !== BLKIF_RSP_OKAY) throw new Failure(`front expected response ${expected}, got ${JSON.stringify(r.value)}`);
      expected++, progressed = true;
    }
    if (progressed) continue;
    finalChecks++;
    if (!front.finalCheckForResponses()) evt.wait(EVT_TO_FRONT, state), sleeps++;
  }
  return { kind: 'done', role: 'front', count: expected, kicks, sleeps, finalChecks };
}

function runBack(job: WorkerJob): WorkerReport {
  const back = new BackRing(new Uint8Array(job.sab, 0, PAGE_BYTES), BLKIF_RING);
  const evt = eventChannel(job.sab, job.waitTimeoutMs);
  let served = 0, kicks = 0, sleeps = 0, finalChecks = 0;
  const state = () => `back served ${served}`;
  while (served < job.total) {
    let took = 0;
    for (let r = back.takeRequest(decodeBlkifRequest); r.kind === 'ok'; r = back.takeRequest(decodeBlkifRequest)) {
      const req = r.value;
      if (req.id !== served || req.sectorNumber !== served * 8) throw new Failure(`back expected request ${served}, got ${JSON.stringify(req)}`);
      back.produceResponse((view, at) => encodeBlkifResponse(view, at, { id: req.id, operation: req.operation, status: BLKIF_RSP_OKAY }));
      served++, took++;
    }
    if (back.halted) throw new Failure(`back: ${JSON.stringify(back.halted)}`);
    if (took > 0 && back.pushResponsesAndCheckNotify()) evt.kick(EVT_TO_FRONT), kicks++;
    if (took > 0) continue;
    finalChecks++;
    if (!back.finalCheckForRequests()) evt.wait(EVT_TO_BACK, state), sleeps++;
  }
  return { kind: 'done', role: 'back', count: served, kicks, sleeps, finalChecks };
}

function run(job: WorkerJob): WorkerReport {
  try {
    return job.role === 'front' ? runFront(job) : runBack(job);
  } catch (e) {
    return { kind: 'failed', role: job.role, message: e instanceof Error ? e.message : String(e) };
  }
}

if (parentPort !== null && workerData !== null) parentPort.postMessage(run(workerData as WorkerJob));
