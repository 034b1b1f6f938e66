// The shared ring protocol (ringbuf/ring.ts), one end against the other on one page.

import { describe, expect, test } from 'vitest';
import { BLKIF_RING, decodeBlkifRequest, encodeBlkifRequest } from '../../hypervisor/public/io/blkif';
import { NETIF_RX_RING, NETIF_TX_RING } from '../../hypervisor/public/io/netif';
import { plainIndexAccess } from '../../ringbuf/index-access';
import {
  BackRing, FrontRing, notifyNeeded, ringSize, sharedRingInit,
  SRING_REQ_EVENT, SRING_REQ_PROD, SRING_RSP_EVENT, SRING_RSP_PROD,
} from '../../ringbuf/ring';
import { hookedAccess, newPage, readSeq, SEQ_RING, writeSeq } from './ring-harness';

function pair(startIndex = 0, page = newPage()) {
  sharedRingInit(page, startIndex);
  return { page, front: new FrontRing(page, SEQ_RING, { startIndex }), back: new BackRing(page, SEQ_RING, { startIndex }) };
}

const u32At = (page: Uint8Array, off: number) => plainIndexAccess(page).load(off);

describe('ring geometry', () => {
  test('a blkif ring has 32 slots: 36 entries of 112 bytes fit, rounded down to a power of two', () => {
    expect(ringSize(4096, BLKIF_RING)).toBe(32);
  });

  test('netif tx and rx rings have 256 slots (336 and 504 entries fit)', () => {
    expect(ringSize(4096, NETIF_TX_RING)).toBe(256);
    expect(ringSize(4096, NETIF_RX_RING)).toBe(256);
  });

  test('the larger of request and response sizes decides the slot size', () => {
    expect(ringSize(4096, { reqSize: 8, rspSize: 200 })).toBe(16);
  });

  test('a message that does not fit the page at all is a pvlab bug and throws', () => {
    expect(() => ringSize(4096, { reqSize: 5000, rspSize: 16 })).toThrow(RangeError);
  });
});

describe('shared ring initialisation', () => {
  test('the front sets both producers to 0, both events to 1, and zeroes pvt and padding', () => {
    const page = newPage().fill(0xaa);
    sharedRingInit(page);
    expect([SRING_REQ_PROD, SRING_REQ_EVENT, SRING_RSP_PROD, SRING_RSP_EVENT].map((o) => u32At(page, o))).toEqual([0, 1, 0, 1]);
    expect([...page.subarray(16, 64)].every((b) => b === 0)).toBe(true);
    expect(page[64]).toBe(0xaa);
  });

  test('a ring works on a page at a non-zero offset inside a bigger buffer', () => {
    const memory = new Uint8Array(3 * 4096);
    const { front, back } = pair(0, memory.subarray(4096, 8192));
    front.produceRequest(writeSeq(42));
    front.pushRequests();
    expect(memory[4096 + SRING_REQ_PROD]).toBe(1);
    expect(back.takeRequest(readSeq)).toEqual({ kind: 'ok', value: 42, index: 0 });
  });
});

describe('requests and responses', () => {
  test('a request reaches the back only once the front pushes it', () => {
    const { front, back } = pair();
    front.produceRequest(writeSeq(7));
    expect(back.takeRequest(readSeq)).toEqual({ kind: 'empty' });
    front.pushRequests();
    expect(back.takeRequest(readSeq)).toEqual({ kind: 'ok', value: 7, index: 0 });
  });

  test('the front has N free requests and is full after N unanswered ones', () => {
    const { front } = pair();
    expect(front.freeRequests()).toBe(32);
    for (let i = 0; i < 32; i++) expect(front.produceRequest(writeSeq(i)).kind).toBe('ok');
    expect(front.full()).toBe(true);
    expect(front.produceRequest(writeSeq(99))).toEqual({ kind: 'no-slot' });
  });

  test('responses come back in order and free the front\'s slots', () => {
    const { front, back } = pair();
    for (let i = 0; i < 5; i++) front.produceRequest(writeSeq(100 + i));
    front.pushRequests();
    for (let r = back.takeRequest(readSeq); r.kind === 'ok'; r = back.takeRequest(readSeq)) back.produceResponse(writeSeq(r.value + 1000));
    back.pushResponses();
    const got: number[] = [];
    for (let r = front.takeResponse(readSeq); r.kind === 'ok'; r = front.takeResponse(readSeq)) got.push(r.value);
    expect(got).toEqual([1100, 1101, 1102, 1103, 1104]);
    expect(front.freeRequests()).toBe(32);
  });

  test('the back cannot produce a response before it has consumed a request to answer', () => {
    const { front, back } = pair();
    expect(back.produceResponse(writeSeq(1))).toEqual({ kind: 'no-slot' });
    front.produceRequest(writeSeq(1));
    front.pushRequests();
    back.takeRequest(readSeq);
    expect(back.produceResponse(writeSeq(1)).kind).toBe('ok');
    expect(back.produceResponse(writeSeq(2))).toEqual({ kind: 'no-slot' });
  });

  test('indices that wrap past 2^32-1 keep every request in order', () => {
    const start = 0xfffffff0;
    const { page, front, back } = pair(start);
    const seen: number[] = [];
    for (let batch = 0; batch < 4; batch++) {
      for (let i = 0; i < 25; i++) front.produceRequest(writeSeq(batch * 25 + i));
      front.pushRequests();
      for (let r = back.takeRequest(readSeq); r.kind === 'ok'; r = back.takeRequest(readSeq)) {
        seen.push(r.value);
        back.produceResponse(writeSeq(r.value));
      }
      back.pushResponses();
      while (front.takeResponse(readSeq).kind === 'ok');
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(u32At(page, SRING_REQ_PROD)).toBe(100 - 16);
    expect(front.freeRequests()).toBe(32);
  });

  test('a producer slot spans exactly one message: writing past it throws', () => {
    const { front } = pair();
    expect(() => front.produceRequest((view, at) => view.setUint8(at + SEQ_RING.reqSize, 1))).toThrow(RangeError);
  });
});

describe('notifications', () => {
  test('the notify rule kicks only when the event lies in (old, new], across the wrap too', () => {
    expect(notifyNeeded(0, 5, 1)).toBe(true);
    expect(notifyNeeded(0, 5, 5)).toBe(true);
    expect(notifyNeeded(0, 5, 0)).toBe(false);
    expect(notifyNeeded(0, 5, 6)).toBe(false);
    expect(notifyNeeded(0xfffffffe, 2, 0xffffffff)).toBe(true);
    expect(notifyNeeded(0xfffffffe, 2, 1)).toBe(true);
    expect(notifyNeeded(0xfffffffe, 2, 3)).toBe(false);
  });

  test('a batch of many requests costs one notification', () => {
    const { front } = pair();
    for (let i = 0; i < 10; i++) front.produceRequest(writeSeq(i));
    expect(front.pushRequestsAndCheckNotify()).toBe(true);
  });

  test('while the back is busy, further pushes are not notified until it arms its event again', () => {
    const { front, back } = pair();
    front.produceRequest(writeSeq(0));
    expect(front.pushRequestsAndCheckNotify()).toBe(true);
    front.produceRequest(writeSeq(1));
    expect(front.pushRequestsAndCheckNotify()).toBe(false);
    while (back.takeRequest(readSeq).kind === 'ok');
    expect(back.finalCheckForRequests()).toBe(false);
    front.produceRequest(writeSeq(2));
    expect(front.pushRequestsAndCheckNotify()).toBe(true);
  });

  test('a plain push never notifies, even when the back is waiting', () => {
    const { front, back } = pair();
    expect(back.finalCheckForRequests()).toBe(false);
    front.produceRequest(writeSeq(0));
    front.pushRequests();
    front.produceRequest(writeSeq(1));
    expect(front.pushRequestsAndCheckNotify()).toBe(false);
    expect(back.unconsumedRequests()).toBe(2);
  });

  test('responses are notified by the same rule once the front arms rsp_event', () => {
    const { front, back } = pair();
    front.produceRequest(writeSeq(0));
    front.pushRequests();
    back.takeRequest(readSeq);
    expect(front.finalCheckForResponses()).toBe(false);
    back.produceResponse(writeSeq(0));
    expect(back.pushResponsesAndCheckNotify()).toBe(true);
    expect(front.finalCheckForResponses()).toBe(true);
  });
});

describe('the final check', () => {
  // The race: the back finds no work, then (before it arms req_event) the front pushes and
  // sees the old event, so it does not notify. Only the re-check after arming sees the request.
  function raceWithPushBeforeArming(dropFinalRecheck: boolean) {
    const page = newPage();
    sharedRingInit(page);
    const front = new FrontRing(page, SEQ_RING);
    let notified = false;
    let armed = false;
    const back = new BackRing(page, SEQ_RING, {
      dropFinalRecheck,
      access: hookedAccess(page, (op, off) => {
        if (op !== 'store' || off !== SRING_REQ_EVENT || armed) return;
        armed = true;
        front.produceRequest(writeSeq(1));
        notified = front.pushRequestsAndCheckNotify();
      }),
    });
    front.produceRequest(writeSeq(0));
    front.pushRequestsAndCheckNotify();
    back.takeRequest(readSeq);
    const work = back.finalCheckForRequests();
    return { work, notified, waiting: back.unconsumedRequests() };
  }

  test('catches a request pushed between the first check and arming the event', () => {
    expect(raceWithPushBeforeArming(false)).toEqual({ work: true, notified: false, waiting: 1 });
  });

  test('in the broken ring, that request is stranded: no work reported and no notification', () => {
    expect(raceWithPushBeforeArming(true)).toEqual({ work: false, notified: false, waiting: 1 });
  });

  test('returns true without arming the event when work is already waiting', () => {
    const { page, front, back } = pair();
    front.produceRequest(writeSeq(0));
    front.pushRequests();
    expect(back.finalCheckForRequests()).toBe(true);
    expect(u32At(page, SRING_REQ_EVENT)).toBe(1);
  });
});

describe('overflow checks against a misbehaving peer', () => {
  test('a front moving req_prod more than N past the last response is a request-producer overflow', () => {
    const { page, back } = pair();
    plainIndexAccess(page).store(SRING_REQ_PROD, 33);
    expect(back.takeRequest(readSeq)).toMatchObject({ kind: 'overflow', reason: 'request-producer-overflow', prod: 33, size: 32 });
    expect(back.unconsumedRequests()).toBe(32);
  });

  test('a front moving req_prod back behind req_cons is caught, whether or not it passes rsp_prod_pvt', () => {
    const behindResponses = pair(100);
    plainIndexAccess(behindResponses.page).store(SRING_REQ_PROD, 99);
    expect(behindResponses.back.takeRequest(readSeq)).toMatchObject({ kind: 'overflow', reason: 'request-producer-overflow' });

    const { page, front, back } = pair(100);
    for (let i = 0; i < 4; i++) front.produceRequest(writeSeq(i));
    front.pushRequests();
    for (let i = 0; i < 4; i++) back.takeRequest(readSeq);
    plainIndexAccess(page).store(SRING_REQ_PROD, 102);
    expect(back.takeRequest(readSeq)).toMatchObject({ kind: 'overflow', reason: 'request-producer-behind-consumer', prod: 102, reqCons: 104 });
  });

  test('after an overflow the back stays halted: every later take returns the same overflow', () => {
    const { page, back } = pair();
    plainIndexAccess(page).store(SRING_REQ_PROD, 1000);
    const first = back.takeRequest(readSeq);
    plainIndexAccess(page).store(SRING_REQ_PROD, 1);
    expect(back.takeRequest(readSeq)).toBe(first);
    expect(back.halted).toBe(first);
  });

  test('with all N slots holding unanswered requests, consuming another would be a consumer overflow', () => {
    const { front, back } = pair();
    for (let i = 0; i < 32; i++) front.produceRequest(writeSeq(i));
    front.pushRequests();
    for (let i = 0; i < 32; i++) back.takeRequest(readSeq);
    expect(back.requestConsumerOverflow(back.requestsConsumed)).toBe(true);
    back.produceResponse(writeSeq(0));
    expect(back.requestConsumerOverflow(back.requestsConsumed)).toBe(false);
  });

  test('a back moving rsp_prod more than N past rsp_cons, or behind it, is a response-producer overflow', () => {
    for (const bogus of [33, 0xffffffff]) {
      const { page, front } = pair();
      plainIndexAccess(page).store(SRING_RSP_PROD, bogus);
      expect(front.takeResponse(readSeq)).toMatchObject({ kind: 'overflow', reason: 'response-producer-overflow', prod: bogus });
      expect(front.halted).not.toBeNull();
    }
  });

  test('a back answering more requests than the front made is caught too', () => {
    const { page, front } = pair();
    front.produceRequest(writeSeq(0));
    front.pushRequests();
    plainIndexAccess(page).store(SRING_RSP_PROD, 2);
    expect(front.takeResponse(readSeq)).toMatchObject({ kind: 'overflow', reason: 'response-producer-ahead-of-requests' });
  });
});

describe('copy once', () => {
  const request = {
    operation: 1, nrSegments: 1, handle: 3, id: 77, sectorNumber: 2048,
    segments: [{ gref: 9, firstSect: 0, lastSect: 7 }],
  };

  test('a front rewriting the slot while the back decodes does not change the decoded request', () => {
    const { page, front, back } = pair();
    front.produceRequest((view, at) => encodeBlkifRequest(view, at, request));
    front.pushRequests();
    const taken = back.takeRequest((copy, at) => {
      page.fill(0xff, 64, 64 + 112);
      return decodeBlkifRequest(copy, at);
    });
    expect(taken).toEqual({ kind: 'ok', value: request, index: 0 });
  });

  test('the view handed to the reader is a private copy, not the shared page', () => {
    const { page, front, back } = pair();
    front.produceRequest(writeSeq(5));
    front.pushRequests();
    back.takeRequest((copy) => {
      expect(copy.buffer).not.toBe(page.buffer);
      expect(copy.byteLength).toBe(SEQ_RING.reqSize);
      return 0;
    });
  });
});

describe('rings over a SharedArrayBuffer', () => {
  test('use Atomics for the indices and behave exactly like ordinary pages', () => {
    const { page, front, back } = pair(0, new Uint8Array(new SharedArrayBuffer(4096)));
    front.produceRequest(writeSeq(11));
    expect(front.pushRequestsAndCheckNotify()).toBe(true);
    expect(back.takeRequest(readSeq)).toEqual({ kind: 'ok', value: 11, index: 0 });
    expect(Atomics.load(new Int32Array(page.buffer), SRING_REQ_PROD / 4)).toBe(1);
  });
});
