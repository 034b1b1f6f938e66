// Event channels: every errno of EVTCHNOP (REFERENCE §3.1), the 2-level delivery order of
// §3.2 as the guest sees it in its shared_info page, and a property over random operations.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventChannels, type EvtchnDomain } from '../../hypervisor/evtchn';
import { EBUSY, EEXIST, EINVAL, ENOENT, ENOSPC, EPERM, ESRCH } from '../../hypervisor/public/errno';
import {
  EVTCHNOP, EVTCHNSTAT, EVTCHN_2L_NR_CHANNELS, SHARED_INFO_EVTCHN_MASK, SHARED_INFO_EVTCHN_PENDING,
  VCPU_INFO_SIZE, clearPending, isMasked, isPending, isUpcallMasked, isUpcallPending, scanPending,
  selectorWords, setMask, setUpcallMask, testAndSetPending, clearMask,
} from '../../hypervisor/public/event_channel';
import { DOMID_SELF, NR_VIRQS, VIRQ } from '../../hypervisor/public/xen';

interface Opts { privileged?: boolean; nrVcpus?: number; maxPorts?: number }

function lab() {
  const doms = new Map<number, EvtchnDomain>();
  const kicks: [number, number][] = [];
  const ev = new EventChannels({ domain: (id) => doms.get(id), kick: (d, v) => kicks.push([d, v]) });
  const add = (id: number, o: Opts = {}): Uint8Array => {
    const sharedInfo = new Uint8Array(4096);
    doms.set(id, { id, privileged: o.privileged ?? false, nrVcpus: o.nrVcpus ?? 2, sharedInfo, maxPorts: o.maxPorts ?? 1024 });
    expect(ev.initDomain(id)).toBe(0);
    return sharedInfo;
  };
  return { ev, doms, kicks, add };
}

/** dom0 (privileged) and two domUs, with a connected channel dom1:p1 <-> dom2:p2. */
function connected() {
  const l = lab();
  const si0 = l.add(0, { privileged: true });
  const si1 = l.add(1);
  const si2 = l.add(2);
  const p1 = l.ev.allocUnbound(1, DOMID_SELF, 2);
  const p2 = l.ev.bindInterdomain(2, 1, p1);
  return { ...l, si0, si1, si2, p1, p2 };
}

/** Guest upcall: scan from port 0 and acknowledge each port. */
function handle(si: Uint8Array, vcpu = 0): number[] {
  const ports = scanPending(si, vcpu, 0);
  for (const p of ports) clearPending(si, p);
  return ports;
}

describe('the public 2-level layout', () => {
  it('puts vcpu_info, pending and mask words at the x86-64 offsets', () => {
    expect(EVTCHNOP.bind_interdomain).toBe(0);
    expect(EVTCHNOP.reset).toBe(10);
    expect(EVTCHN_2L_NR_CHANNELS).toBe(4096);
    expect(SHARED_INFO_EVTCHN_PENDING).toBe(2048);
    expect(SHARED_INFO_EVTCHN_MASK).toBe(2560);
    const si = new Uint8Array(4096);
    testAndSetPending(si, 65); // word 1, bit 1
    expect(si[2048 + 8]).toBe(0b10);
    setMask(si, 130); // word 2, bit 2
    expect(si[2560 + 16]).toBe(0b100);
    setUpcallMask(si, 1, true);
    expect(si[VCPU_INFO_SIZE + 1]).toBe(1);
    expect(isUpcallMasked(si, 1)).toBe(true);
    clearMask(si, 130);
    expect(isMasked(si, 130)).toBe(false);
  });

  it('scanPending clears the upcall flag, takes the selector and resumes where it stopped', () => {
    const si = new Uint8Array(4096);
    for (const p of [3, 70, 4000]) testAndSetPending(si, p);
    // Only words 0 and 62 are selected: port 70 (word 1) had its edge lost.
    si[8] = 0b1; // selector bit 0 of vcpu 0 (evtchn_pending_sel at offset 8)
    si[8 + 7] = 0b0100_0000; // selector bit 62 (4000 / 64 = 62)
    si[0] = 1;
    expect(scanPending(si, 0, 3500)).toEqual([4000, 3]);
    expect(isUpcallPending(si, 0)).toBe(false);
    expect(selectorWords(si, 0)).toEqual([]);
  });

  it('scanPending returns what a port-by-port walk in wrap order returns, for any selector, pending, mask and start', () => {
    // Ports crowd into a few words (of the first eight, or the last, for the wrap), so that
    // selected words, pending ports and the start meet often.
    const word = fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constant(63));
    const port = fc.tuple(word, fc.integer({ min: 0, max: 63 })).map(([w, b]) => w * 64 + b);
    fc.assert(
      fc.property(fc.array(port, { maxLength: 80 }), fc.array(port, { maxLength: 20 }), fc.array(word, { maxLength: 6 }), port, (pending, masked, words, start) => {
        const si = new Uint8Array(4096);
        for (const p of pending) testAndSetPending(si, p);
        for (const p of masked) setMask(si, p);
        for (const w of words) si[8 + (w >> 3)]! |= 1 << (w & 7); // vcpu 0's selector
        const selected = new Set(words);
        // The reference: every port from `start` round to start - 1, kept if its word is
        // selected, it is pending and not masked.
        const expected: number[] = [];
        for (let i = 0; i < EVTCHN_2L_NR_CHANNELS; i++) {
          const p = (start + i) % EVTCHN_2L_NR_CHANNELS;
          if (selected.has(p >> 6) && isPending(si, p) && !isMasked(si, p)) expected.push(p);
        }
        expect(scanPending(si, 0, start)).toEqual(expected);
        expect(selectorWords(si, 0)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('scanPending skips masked ports and those another vCPU handles', () => {
    const si = new Uint8Array(4096);
    for (const p of [1, 2, 3]) testAndSetPending(si, p);
    setMask(si, 2);
    si[8] = 1;
    expect(scanPending(si, 0, 0, (p) => p !== 3)).toEqual([1]);
  });
});

describe('EVTCHNOP_alloc_unbound', () => {
  it('a domU allocating a port in another domain gets -EPERM', () => {
    const { ev, add } = lab();
    add(1);
    add(2);
    expect(ev.allocUnbound(1, 2, 1)).toBe(-EPERM);
  });

  it('a privileged domain may allocate a port in another domain', () => {
    const { ev, add } = lab();
    add(0, { privileged: true });
    add(1);
    expect(ev.allocUnbound(0, 1, 0)).toBe(1);
    expect(ev.status(1, DOMID_SELF, 1).info).toEqual({ status: EVTCHNSTAT.unbound, vcpu: 0, dom: 0 });
  });

  it('an unknown remote domain gives -ESRCH, and so does an unknown dom', () => {
    const { ev, add } = lab();
    add(1);
    expect(ev.allocUnbound(1, DOMID_SELF, 9)).toBe(-ESRCH);
    add(0, { privileged: true });
    expect(ev.allocUnbound(0, 9, 1)).toBe(-ESRCH);
  });

  it('never hands out port 0 and takes the lowest free port first', () => {
    const { ev, add } = lab();
    add(1);
    expect([1, 2, 3, 4].map(() => ev.allocUnbound(1, DOMID_SELF, 1))).toEqual([1, 2, 3, 4]);
    expect(ev.close(1, 2)).toBe(0);
    expect(ev.close(1, 3)).toBe(0);
    expect(ev.allocUnbound(1, DOMID_SELF, 1)).toBe(2);
    expect(ev.bindIpi(1, 0)).toBe(3);
    expect(ev.bindIpi(1, 0)).toBe(5);
  });

  it('gives -ENOSPC at the limit and works again after a close', () => {
    const { ev, add } = lab();
    add(1, { maxPorts: 8 });
    for (let p = 1; p < 8; p++) expect(ev.allocUnbound(1, DOMID_SELF, 1)).toBe(p);
    expect(ev.allocUnbound(1, DOMID_SELF, 1)).toBe(-ENOSPC);
    expect(ev.bindIpi(1, 0)).toBe(-ENOSPC);
    expect(ev.close(1, 5)).toBe(0);
    expect(ev.allocUnbound(1, DOMID_SELF, 1)).toBe(5);
  });

  it('a 2-level domain has 4096 ports, 4095 of them usable, and no more', () => {
    const { ev, add, kicks } = lab();
    const si = add(1, { maxPorts: 100_000 });
    const got = new Set<number>();
    for (let i = 0; i < 4095; i++) got.add(ev.bindIpi(1, 1));
    expect(got.size).toBe(4095);
    expect(Math.min(...got)).toBe(1);
    expect(Math.max(...got)).toBe(4095);
    expect(ev.bindIpi(1, 0)).toBe(-ENOSPC);
    expect(ev.send(1, 4095)).toBe(0);
    expect(selectorWords(si, 1)).toEqual([63]);
    expect(kicks).toEqual([[1, 1]]);
    expect(ev.checkInvariants()).toEqual([]);
  });

  // Xen allocates a domain's struct evtchn in buckets of 64 ports, the first at domain creation
  // and the next when get_free_port needs a port past them; port_is_valid is "below
  // valid_evtchns", so a port of a bucket not yet allocated is -EINVAL even where a free port
  // of an allocated bucket reports EVTCHNSTAT_closed.
  it('ports come in buckets of 64: a port past the allocated buckets is not valid until its bucket is', () => {
    const { ev, add } = lab();
    add(1);
    expect(ev.status(1, DOMID_SELF, 63)).toEqual({ rc: 0, info: { status: EVTCHNSTAT.closed, vcpu: 0 } });
    expect(ev.status(1, DOMID_SELF, 64).rc).toBe(-EINVAL);
    expect(ev.unmask(1, 64)).toBe(-EINVAL);
    for (let p = 1; p < 64; p++) expect(ev.bindIpi(1, 0)).toBe(p);
    expect(ev.unmask(1, 64)).toBe(-EINVAL);
    expect(ev.bindIpi(1, 0)).toBe(64);
    expect(ev.status(1, DOMID_SELF, 127).info?.status).toBe(EVTCHNSTAT.closed);
    expect(ev.status(1, DOMID_SELF, 128).rc).toBe(-EINVAL);
    // Closing every port gives no bucket back: valid_evtchns only grows.
    expect(ev.reset(1, DOMID_SELF)).toBe(0);
    expect(ev.unmask(1, 127)).toBe(0);
    expect(ev.bindIpi(1, 0)).toBe(1);
    expect(ev.checkInvariants()).toEqual([]);
  });

  it('a bind_interdomain that fails after finding a free port keeps the bucket it allocated', () => {
    const { ev, add } = lab();
    add(1);
    add(2);
    for (let p = 1; p < 64; p++) expect(ev.bindIpi(2, 0)).toBe(p);
    const p1 = ev.allocUnbound(1, DOMID_SELF, DOMID_SELF); // reserved for dom1: dom2 may not bind it
    expect(p1).toBe(1);
    expect(ev.status(2, DOMID_SELF, 64).rc).toBe(-EINVAL);
    expect(ev.bindInterdomain(2, 1, p1)).toBe(-EINVAL);
    expect(ev.status(2, DOMID_SELF, 64)).toEqual({ rc: 0, info: { status: EVTCHNSTAT.closed, vcpu: 0 } });
  });
});

describe('EVTCHNOP_bind_interdomain', () => {
  it('an unknown remote domain gives -ESRCH', () => {
    const { ev, add } = lab();
    add(1);
    expect(ev.bindInterdomain(1, 7, 1)).toBe(-ESRCH);
  });

  it('a remote port that is not unbound gives -EINVAL', () => {
    const { ev, p1, p2 } = connected();
    expect(ev.bindInterdomain(2, 1, p1)).toBe(-EINVAL); // already interdomain
    expect(ev.bindInterdomain(2, 1, 30)).toBe(-EINVAL); // free
    expect(ev.bindInterdomain(2, 1, 0)).toBe(-EINVAL); // reserved
    expect(ev.bindInterdomain(2, 1, 5000)).toBe(-EINVAL); // out of range
    expect(p2).toBeGreaterThan(0);
  });

  it('binding a port reserved for another domain gives -EINVAL', () => {
    const { ev, add } = lab();
    add(1);
    add(2);
    add(3);
    const p = ev.allocUnbound(1, DOMID_SELF, 2);
    expect(ev.bindInterdomain(3, 1, p)).toBe(-EINVAL);
    expect(ev.bindInterdomain(2, 1, p)).toBe(1);
  });

  it('gives -ENOSPC when the caller has no free port', () => {
    const { ev, add } = lab();
    add(1);
    add(2, { maxPorts: 2 });
    const p = ev.allocUnbound(1, DOMID_SELF, 2);
    expect(ev.bindIpi(2, 0)).toBe(1);
    expect(ev.bindInterdomain(2, 1, p)).toBe(-ENOSPC);
  });

  it('connects both ends and sets the new local port pending', () => {
    const { ev, si2, si1, p1, p2, kicks } = connected();
    expect(ev.status(1, DOMID_SELF, p1).info).toEqual({ status: EVTCHNSTAT.interdomain, vcpu: 0, dom: 2, port: p2 });
    expect(ev.status(2, DOMID_SELF, p2).info).toEqual({ status: EVTCHNSTAT.interdomain, vcpu: 0, dom: 1, port: p1 });
    expect(isPending(si2, p2)).toBe(true);
    expect(isPending(si1, p1)).toBe(false);
    expect(kicks).toEqual([[2, 0]]);
  });

  it('a domain may connect two of its own ports (loopback)', () => {
    const { ev, add } = lab();
    const si = add(1);
    const a = ev.allocUnbound(1, DOMID_SELF, DOMID_SELF);
    const b = ev.bindInterdomain(1, DOMID_SELF, a);
    handle(si);
    expect(ev.send(1, a)).toBe(0);
    expect(handle(si)).toEqual([b]);
    expect(ev.checkInvariants()).toEqual([]);
  });
});

describe('EVTCHNOP_send', () => {
  it('sets the peer port pending and kicks the peer vCPU', () => {
    const { ev, si1, p1, p2, kicks } = connected();
    kicks.length = 0;
    expect(ev.send(2, p2)).toBe(0);
    expect(isPending(si1, p1)).toBe(true);
    expect(isUpcallPending(si1, 0)).toBe(true);
    expect(kicks).toEqual([[1, 0]]);
    expect(ev.counters.sends).toBe(1);
  });

  it('send on an unbound port is silently dropped and returns 0', () => {
    const { ev, add, kicks } = lab();
    const si = add(1);
    add(2);
    const p = ev.allocUnbound(1, DOMID_SELF, 2);
    expect(ev.send(1, p)).toBe(0);
    expect(isPending(si, p)).toBe(false);
    expect(kicks).toEqual([]);
    expect(ev.counters.sendsDropped).toBe(1);
  });

  it('an IPI sets the sender\'s own port pending on the bound vCPU', () => {
    const { ev, add, kicks } = lab();
    const si = add(1, { nrVcpus: 4 });
    const p = ev.bindIpi(1, 3);
    expect(ev.send(1, p)).toBe(0);
    expect(kicks).toEqual([[1, 3]]);
    expect(scanPending(si, 3, 0)).toEqual([p]);
  });

  it('send on a free, reserved, VIRQ or out-of-range port gives -EINVAL', () => {
    const { ev, add } = lab();
    add(1);
    const v = ev.bindVirq(1, VIRQ.TIMER, 0);
    expect(ev.send(1, 9)).toBe(-EINVAL);
    expect(ev.send(1, 0)).toBe(-EINVAL);
    expect(ev.send(1, v)).toBe(-EINVAL);
    expect(ev.send(1, 1024)).toBe(-EINVAL);
    expect(ev.send(1, -1)).toBe(-EINVAL);
  });

  it('an event already pending coalesces: no new edge, counted', () => {
    const { ev, si1, p2, kicks } = connected();
    kicks.length = 0;
    ev.send(2, p2);
    ev.send(2, p2);
    expect(kicks.length).toBe(1);
    expect(ev.counters.pendingAlreadySet).toBe(1);
    expect(handle(si1)).toHaveLength(1);
  });
});

describe('2-level delivery: selector, upcall and mask', () => {
  it('a second port in the same word while the upcall is pending kicks no one', () => {
    const { ev, add, kicks } = lab();
    const si = add(1);
    const a = ev.bindIpi(1, 0);
    const b = ev.bindIpi(1, 0);
    ev.send(1, a);
    ev.send(1, b);
    expect(kicks).toEqual([[1, 0]]);
    expect(ev.counters.kicks).toBe(1);
    expect(handle(si)).toEqual([a, b]);
  });

  it('a port in another word sets a second selector bit but the upcall is already pending', () => {
    const { ev, add, kicks } = lab();
    const si = add(1);
    const ports = Array.from({ length: 70 }, () => ev.bindIpi(1, 0));
    ev.send(1, ports[0]!);
    ev.send(1, ports[69]!); // port 70: word 1
    expect(selectorWords(si, 0)).toEqual([0, 1]);
    expect(kicks).toHaveLength(1);
  });

  it('after the guest handled its events, the next send kicks again', () => {
    const { ev, si1, p2, kicks } = connected();
    kicks.length = 0;
    ev.send(2, p2);
    handle(si1);
    ev.send(2, p2);
    expect(kicks).toEqual([[1, 0], [1, 0]]);
  });

  it('a port that becomes pending while masked loses its edge: no selector, no kick', () => {
    const { ev, si1, p1, p2, kicks } = connected();
    kicks.length = 0;
    setMask(si1, p1);
    expect(ev.send(2, p2)).toBe(0);
    expect(isPending(si1, p1)).toBe(true);
    expect(selectorWords(si1, 0)).toEqual([]);
    expect(isUpcallPending(si1, 0)).toBe(false);
    expect(kicks).toEqual([]);
    expect(scanPending(si1, 0, 0)).toEqual([]);
  });

  it('clearing the mask alone does not bring the lost edge back', () => {
    const { ev, si1, p1, p2, kicks } = connected();
    kicks.length = 0;
    setMask(si1, p1);
    ev.send(2, p2);
    clearMask(si1, p1);
    expect(kicks).toEqual([]);
    expect(scanPending(si1, 0, 0)).toEqual([]);
  });

  it('EVTCHNOP_unmask re-delivers an event that arrived while masked', () => {
    const { ev, si1, p1, p2, kicks } = connected();
    kicks.length = 0;
    setMask(si1, p1);
    ev.send(2, p2);
    expect(ev.unmask(1, p1)).toBe(0);
    expect(isMasked(si1, p1)).toBe(false);
    expect(kicks).toEqual([[1, 0]]);
    expect(handle(si1)).toEqual([p1]);
  });

  it('unmasking a port with nothing pending delivers nothing', () => {
    const { ev, si1, p1, kicks } = connected();
    kicks.length = 0;
    setMask(si1, p1);
    expect(ev.unmask(1, p1)).toBe(0);
    expect(kicks).toEqual([]);
  });

  it('unmask of an out-of-range port gives -EINVAL', () => {
    const { ev } = connected();
    expect(ev.unmask(1, 1024)).toBe(-EINVAL);
  });

  it('the upcall mask does not stop Xen from kicking a blocked vCPU', () => {
    const { ev, si1, p2, kicks } = connected();
    kicks.length = 0;
    setUpcallMask(si1, 0, true);
    ev.send(2, p2);
    expect(kicks).toEqual([[1, 0]]);
  });
});

describe('EVTCHNOP_bind_virq', () => {
  it('a bad virq gives -EINVAL', () => {
    const { ev, add } = lab();
    add(1);
    expect(ev.bindVirq(1, NR_VIRQS, 0)).toBe(-EINVAL);
    expect(ev.bindVirq(1, -1, 0)).toBe(-EINVAL);
  });

  it('a non-per-vCPU VIRQ on a vCPU other than 0 gives -EINVAL', () => {
    const { ev, add } = lab();
    add(0, { privileged: true });
    expect(ev.bindVirq(0, VIRQ.DOM_EXC, 1)).toBe(-EINVAL);
  });

  it('a bad vCPU gives -ENOENT', () => {
    const { ev, add } = lab();
    add(1, { nrVcpus: 2 });
    expect(ev.bindVirq(1, VIRQ.TIMER, 2)).toBe(-ENOENT);
  });

  it('binding the same VIRQ twice on one vCPU gives -EEXIST', () => {
    const { ev, add } = lab();
    add(1);
    expect(ev.bindVirq(1, VIRQ.TIMER, 0)).toBe(1);
    expect(ev.bindVirq(1, VIRQ.TIMER, 1)).toBe(2);
    expect(ev.bindVirq(1, VIRQ.TIMER, 0)).toBe(-EEXIST);
  });

  it('a global VIRQ owned by another domain gives -EBUSY', () => {
    const { ev, add } = lab();
    add(0, { privileged: true });
    add(4, { privileged: true });
    add(1);
    expect(ev.bindVirq(1, VIRQ.DOM_EXC, 0)).toBe(-EBUSY); // dom0's by default
    expect(ev.bindVirq(0, VIRQ.DOM_EXC, 0)).toBe(1);
    expect(ev.bindVirq(4, VIRQ.DOM_EXC, 0)).toBe(-EBUSY);
  });

  it('raiseVirq delivers a per-vCPU VIRQ on that vCPU, and nothing when unbound', () => {
    const { ev, add, kicks } = lab();
    const si = add(1);
    const p = ev.bindVirq(1, VIRQ.TIMER, 1);
    expect(ev.status(1, DOMID_SELF, p).info).toEqual({ status: EVTCHNSTAT.virq, vcpu: 1, virq: VIRQ.TIMER });
    expect(ev.raiseVirq(1, VIRQ.TIMER, 1)).toBe(true);
    expect(ev.raiseVirq(1, VIRQ.TIMER, 0)).toBe(false);
    expect(kicks).toEqual([[1, 1]]);
    expect(scanPending(si, 1, 0)).toEqual([p]);
  });

  it('a global VIRQ is raised at the domain that bound it', () => {
    const { ev, add, kicks } = lab();
    add(0, { privileged: true });
    expect(ev.raiseGlobalVirq(VIRQ.DOM_EXC)).toBe(false);
    ev.bindVirq(0, VIRQ.DOM_EXC, 0);
    expect(ev.raiseGlobalVirq(VIRQ.DOM_EXC)).toBe(true);
    expect(kicks).toEqual([[0, 0]]);
  });
});

describe('EVTCHNOP_bind_ipi and bind_vcpu', () => {
  it('bind_ipi on a bad vCPU gives -ENOENT', () => {
    const { ev, add } = lab();
    add(1, { nrVcpus: 1 });
    expect(ev.bindIpi(1, 1)).toBe(-ENOENT);
  });

  it('an interdomain port can move to another vCPU', () => {
    const { ev, si1, p1, p2, kicks } = connected();
    kicks.length = 0;
    expect(ev.bindVcpu(1, p1, 1)).toBe(0);
    ev.send(2, p2);
    expect(kicks).toEqual([[1, 1]]);
    expect(scanPending(si1, 1, 0)).toEqual([p1]);
  });

  it('IPIs and per-vCPU VIRQs cannot move (-EINVAL); a bad vCPU is -ENOENT', () => {
    const { ev, add } = lab();
    add(1);
    const ipi = ev.bindIpi(1, 0);
    const timer = ev.bindVirq(1, VIRQ.TIMER, 0);
    expect(ev.bindVcpu(1, ipi, 1)).toBe(-EINVAL);
    expect(ev.bindVcpu(1, timer, 1)).toBe(-EINVAL);
    expect(ev.bindVcpu(1, 40, 1)).toBe(-EINVAL);
    expect(ev.bindVcpu(1, ipi, 5)).toBe(-ENOENT);
  });
});

describe('EVTCHNOP_close, status, reset and domain teardown', () => {
  it('close returns the peer\'s end to unbound, waiting for the closer again', () => {
    const { ev, p1, p2 } = connected();
    expect(ev.close(1, p1)).toBe(0);
    expect(ev.status(2, DOMID_SELF, p2).info).toEqual({ status: EVTCHNSTAT.unbound, vcpu: 0, dom: 1 });
    expect(ev.status(1, DOMID_SELF, p1).info?.status).toBe(EVTCHNSTAT.closed);
    expect(ev.send(2, p2)).toBe(0); // dropped now
    expect(ev.counters.sendsDropped).toBe(1);
    expect(ev.bindInterdomain(1, 2, p2)).toBe(p1); // reconnect
    expect(ev.checkInvariants()).toEqual([]);
  });

  it('closing a free, reserved or out-of-range port gives -EINVAL', () => {
    const { ev } = connected();
    expect(ev.close(1, 50)).toBe(-EINVAL);
    expect(ev.close(1, 0)).toBe(-EINVAL);
    expect(ev.close(1, 99999)).toBe(-EINVAL);
  });

  it('closing a VIRQ port lets the VIRQ be bound again', () => {
    const { ev, add } = lab();
    add(1);
    const p = ev.bindVirq(1, VIRQ.TIMER, 0);
    expect(ev.close(1, p)).toBe(0);
    expect(ev.bindVirq(1, VIRQ.TIMER, 0)).toBe(p);
  });

  it('status reports closed for port 0, and errors for bad domain, rights or port', () => {
    const { ev } = connected();
    expect(ev.status(1, DOMID_SELF, 0)).toEqual({ rc: 0, info: { status: EVTCHNSTAT.closed, vcpu: 0 } });
    expect(ev.status(1, 8, 1).rc).toBe(-ESRCH);
    expect(ev.status(1, 2, 1).rc).toBe(-EPERM);
    expect(ev.status(0, 2, 1).rc).toBe(0);
    expect(ev.status(1, DOMID_SELF, 1024).rc).toBe(-EINVAL);
  });

  it('an IPI port reports EVTCHNSTAT_ipi with its vCPU', () => {
    const { ev, add } = lab();
    add(1);
    const p = ev.bindIpi(1, 1);
    expect(ev.status(1, DOMID_SELF, p).info).toEqual({ status: EVTCHNSTAT.ipi, vcpu: 1 });
  });

  it('reset closes every port; only the domain itself or a privileged one may', () => {
    const { ev, p2 } = connected();
    expect(ev.reset(2, 1)).toBe(-EPERM);
    expect(ev.reset(0, 1)).toBe(0);
    expect(ev.status(2, DOMID_SELF, p2).info?.status).toBe(EVTCHNSTAT.unbound);
    expect(ev.reset(1, 7)).toBe(-ESRCH);
    expect(ev.checkInvariants()).toEqual([]);
  });

  it('destroying a domain returns its peers to unbound and frees its global VIRQs', () => {
    const { ev, p2, add } = connected();
    ev.bindVirq(0, VIRQ.DOM_EXC, 0);
    expect(ev.destroyDomain(1)).toBe(0);
    expect(ev.status(2, DOMID_SELF, p2).info).toEqual({ status: EVTCHNSTAT.unbound, vcpu: 0, dom: 1 });
    expect(ev.send(1, 1)).toBe(-ESRCH);
    expect(ev.destroyDomain(0)).toBe(0);
    add(5, { privileged: true });
    expect(ev.bindVirq(5, VIRQ.DOM_EXC, 0)).toBe(1);
    expect(ev.checkInvariants()).toEqual([]);
  });

  it('initDomain twice gives -EEXIST, for an unknown domain -ESRCH', () => {
    const { ev, add } = lab();
    add(1);
    expect(ev.initDomain(1)).toBe(-EEXIST);
    expect(ev.initDomain(3)).toBe(-ESRCH);
  });
});

describe('a property: random operations from three domains', () => {
  const dom = fc.nat(3); // 3 = DOMID_SELF for alloc, a missing domain elsewhere
  const op = fc.oneof(
    { weight: 3, arbitrary: fc.record({ k: fc.constant('alloc' as const), d: dom, a: dom, b: dom }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constantFrom('bind' as const, 'connect' as const), d: dom, a: dom, b: fc.nat(6) }) },
    { weight: 4, arbitrary: fc.record({ k: fc.constantFrom('send' as const, 'close' as const, 'unmask' as const, 'mask' as const), d: dom, a: fc.nat(12), b: fc.constant(0) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constantFrom('virq' as const, 'ipi' as const, 'vcpu' as const), d: dom, a: fc.nat(25), b: fc.nat(2) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constantFrom('reset' as const, 'handle' as const, 'recreate' as const), d: dom, a: dom, b: fc.constant(0) }) },
  );

  it('never throws and keeps every binding symmetric', () => {
    let bound = 0;
    fc.assert(fc.property(fc.array(op, { minLength: 10, maxLength: 80 }), (ops) => {
      const { ev, doms, add } = lab();
      add(0, { privileged: true, maxPorts: 12 });
      add(1, { maxPorts: 12 });
      add(2, { maxPorts: 12 });
      for (const o of ops) {
        const si = doms.get(o.d)?.sharedInfo ?? new Uint8Array(4096);
        switch (o.k) {
          case 'alloc': ev.allocUnbound(o.d, o.a === 3 ? DOMID_SELF : o.a, o.b); break;
          case 'bind': if (ev.bindInterdomain(o.d, o.a, o.b) > 0) bound++; break;
          case 'connect': if (ev.bindInterdomain(o.d, o.a, ev.allocUnbound(o.a, DOMID_SELF, o.d)) > 0) bound++; break;
          case 'send': ev.send(o.d, o.a); break;
          case 'close': ev.close(o.d, o.a); break;
          case 'unmask': ev.unmask(o.d, o.a); break;
          case 'mask': if (o.a < 12) setMask(si, o.a); break;
          case 'virq': ev.bindVirq(o.d, o.a, o.b); break;
          case 'ipi': ev.bindIpi(o.d, o.b); break;
          case 'vcpu': ev.bindVcpu(o.d, o.a % 12, o.b); break;
          case 'reset': ev.reset(o.d, o.a); break;
          case 'handle': handle(si, 0); handle(si, 1); break;
          case 'recreate':
            ev.destroyDomain(o.a);
            if (o.a < 3) doms.delete(o.a);
            if (o.a < 3) add(o.a, { privileged: o.a === 0, maxPorts: 12 });
            break;
        }
        expect(ev.checkInvariants()).toEqual([]);
      }
    }), { numRuns: 300 });
    expect(bound).toBeGreaterThan(100); // the random walk really connects channels
  });
});
