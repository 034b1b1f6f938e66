// Full virtualization in the hypervisor (REFERENCE §6.2): what an I/O instruction of an
// unmodified guest costs and where it goes. Per accelerator:
//   vtx  — hardware-assisted: each access is a VM exit (IO_INSTRUCTION for ports,
//          EPT_VIOLATION for MMIO). Devices Xen emulates itself (PIC, PIT, RTC, the local
//          APIC) are handled here; everything else becomes an ioreq to the device model in
//          dom0 and the vCPU blocks until the answer comes back over the event channel.
//   bt   — binary translation: no hardware exit; the translated code calls out to the VMM,
//          which emulates its own devices in the translation cache or sends the ioreq on.
//   tcg  — pure emulation: the device model is in the same process as the emulated CPU, so
//          an access is a call into it, and all guest computation is slowed by emulation.
//   bare — the native baseline: no hypervisor in the path at all; the device answers.
import type { IoSpace } from '../hw/devices/bus';
import type { Domain } from './domain';
import type { Hypervisor } from './hypervisor';
import type { GuestOp } from './public/guest';
import { EXIT_REASON, IOREQ_READ, IOREQ_TYPE_COPY, IOREQ_TYPE_PIO, IOREQ_WRITE, STATE_IOREQ_NONE, STATE_IOREQ_READY, STATE_IORESP_READY, readIoreq, setIoreqState, writeIoreq } from './public/hvm/ioreq';
import { kvmExit, type KvmVm } from './kvm/vm';
import { IO_PENDING } from './sched/core';
import type { Vcpu } from './vcpu';

export type Accel = 'vtx' | 'bt' | 'tcg' | 'bare';

/** Port ranges Xen's own emulation owns (i8259 PICs, i8254 PIT, the RTC/CMOS, port 0x80). */
const XEN_PORTS: readonly [number, number][] = [[0x20, 0x21], [0xa0, 0xa1], [0x40, 0x43], [0x70, 0x71], [0x80, 0x80]];
/** The local APIC's MMIO page, emulated in Xen. */
const LAPIC_BASE = 0xfee00000;

export interface HvmCounters {
  exits: Map<number, number>;
  ioreqs: number;
  interruptsInjected: number;
  internalIo: number;
}

export class HvmState {
  readonly counters: HvmCounters = { exits: new Map(), ioreqs: 0, interruptsInjected: 0, internalIo: 0 };
  /** The ioreq page shared with the device model, and the Xen-side port of each vCPU. */
  ioreqPage: Uint8Array | undefined;
  ioreqPorts: number[] = [];
  /** tcg and bare: the devices, reached directly. */
  devices: IoSpace | undefined;
  /** A VM of a KVM host: where its exits go instead of Xen's emulation and ioreqs (kvm/vm.ts). */
  kvm: KvmVm | undefined;
  /** PVHVM guests have unplugged their emulated devices and use PV drivers.
   *  `hap`: under vtx, nested paging (EPT/NPT) rather than shadow page tables (mmu.ts). */
  constructor(readonly accel: Accel, readonly hap = false) {}

  exit(reason: number, n = 1): void {
    this.counters.exits.set(reason, (this.counters.exits.get(reason) ?? 0) + n);
  }
}

/** Whether Xen emulates the device at this address itself (no ioreq to the device model). */
export function xenOwned(op: GuestOp & { op: 'io' }): boolean {
  if (op.space === 'mmio') return op.addr >= LAPIC_BASE && op.addr < LAPIC_BASE + 0x1000;
  return XEN_PORTS.some(([lo, hi]) => op.addr >= lo && op.addr <= hi);
}

/** An I/O instruction of an HVM (or native) vCPU. */
export function hvmIo(hv: Hypervisor, v: Vcpu, op: GuestOp & { op: 'io' }): number {
  const h = v.domain.hvm;
  const c = hv.profile;
  if (!h) return allOnes(op.size);
  switch (h.accel) {
    case 'bare': // a real device: a read or a port access waits for the bus, an MMIO write is posted
      v.remainingNs += op.space === 'mmio' && op.dir === 'out' ? c.devices.mmioWriteNs : c.devices.ioAccessNs;
      v.mode = 'kernel';
      return direct(h, op);
    case 'tcg':
      v.remainingNs += c.devices.ioAccessNs * c.virt.tcgSlowdown;
      v.mode = 'kernel';
      return direct(h, op);
    case 'vtx': {
      const reason = op.space === 'pio' ? EXIT_REASON.IO_INSTRUCTION : EXIT_REASON.EPT_VIOLATION;
      h.exit(reason);
      v.hvOwedNs += c.virt.vmexitRoundTripNs;
      if (hv.trace.on) hv.trace.emit({ type: 'vmexit', t: hv.engine.now, dom: v.domain.id, vcpu: v.id, reason, space: op.space, dir: op.dir, addr: op.addr, size: op.size, value: op.value });
      if (h.kvm) return kvmExit(hv, v, h.kvm, op);
      break;
    }
    case 'bt':
      v.hvOwedNs += xenOwned(op) ? c.virt.btInCacheEmulationNs : c.virt.btCalloutNs;
      break;
  }
  if (xenOwned(op)) {
    h.counters.internalIo++;
    return op.dir === 'in' ? 0 : 0;
  }
  return sendIoreq(hv, v, h, op);
}

function direct(h: HvmState, op: GuestOp & { op: 'io' }): number {
  if (!h.devices) return allOnes(op.size);
  if (op.dir === 'in') return h.devices.read(op.addr, op.size, op.space);
  h.devices.write(op.addr, op.size, op.value, op.space);
  return 0;
}

/** Fills the vCPU's ioreq slot (NONE → READY) and notifies the device model. */
function sendIoreq(hv: Hypervisor, v: Vcpu, h: HvmState, op: GuestOp & { op: 'io' }): number {
  const page = h.ioreqPage;
  const port = h.ioreqPorts[v.id];
  if (!page || port === undefined) return allOnes(op.size); // no device model: nothing decodes it
  h.counters.ioreqs++;
  writeIoreq(page, v.id, {
    addr: op.addr, data: op.value, count: 1, size: op.size, vpEport: port, state: STATE_IOREQ_READY,
    dir: op.dir === 'in' ? IOREQ_READ : IOREQ_WRITE, type: op.space === 'pio' ? IOREQ_TYPE_PIO : IOREQ_TYPE_COPY,
  });
  hv.evtchn.send(v.domain.id, port);
  return IO_PENDING;
}

/** The device model notified the vCPU's ioreq port: complete the instruction (3 → 0). */
export function ioreqCompleted(hv: Hypervisor, v: Vcpu): void {
  const h = v.domain.hvm;
  if (!h?.ioreqPage || !v.waitingIo) return;
  const r = readIoreq(h.ioreqPage, v.id);
  if (r.state !== STATE_IORESP_READY) return; // a spurious notification: keep waiting
  setIoreqState(h.ioreqPage, v.id, STATE_IOREQ_NONE);
  hv.core.completeIo(v, r.dir === IOREQ_READ ? r.data : 0);
}

/** dm_op set_isa_irq_level / inject: raise an interrupt line of the guest's vCPU 0. */
export function injectIrq(hv: Hypervisor, d: Domain, irq: number): void {
  const v = d.vcpus[0];
  if (!v || irq < 0 || irq > 31) return;
  v.irqPending |= 1 << irq;
  if (d.hvm) d.hvm.counters.interruptsInjected++;
  hv.core.kick(v);
}

function allOnes(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}
