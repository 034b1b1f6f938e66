// Plain round robin: every runnable vCPU gets the same fixed slice in turn, with no
// priorities, no credit and no preemption on wake. The baseline a student compares credit
// against: a vCPU that wakes joins the tail and waits for everyone ahead of it.
import type { Domain } from '../domain';
import type { Vcpu } from '../vcpu';
import type { Scheduler, SchedCore, SchedDecision } from './scheduler';
import { Fifo, Link } from './runq';

export const RR_DEFAULT_SLICE_MS = 30;

export class RoundRobinScheduler implements Scheduler {
  readonly name = 'rr';
  private core!: SchedCore;
  private runqs: Fifo<Vcpu>[] = [];

  constructor(readonly sliceNs = RR_DEFAULT_SLICE_MS * 1_000_000) {}

  attach(core: SchedCore): void {
    this.core = core;
    for (let p = 0; p < core.nrPcpus; p++) this.runqs.push(new Fifo<Vcpu>());
  }

  insertDomain(_d: Domain): void {}
  removeDomain(_d: Domain): void {}

  insertVcpu(v: Vcpu): void {
    v.sched = new Link(v);
    v.processor = v.affinity[(v.domain.id + v.id) % v.affinity.length]!;
  }

  removeVcpu(v: Vcpu): void {
    this.sleep(v);
  }

  sleep(v: Vcpu): void {
    const l = v.sched as Link<Vcpu>;
    l.queue?.remove(l);
  }

  wake(v: Vcpu): void {
    if ((v.sched as Link<Vcpu>).queue !== null) return;
    if (!v.canRunOn(v.processor)) v.processor = this.pickCpu(v);
    this.runqs[v.processor]!.push(v.sched as Link<Vcpu>);
    for (const p of [v.processor, ...v.affinity]) {
      if (this.core.current(p) === null) return this.core.tickle(p, `${v.name} woke`);
    }
  }

  yield(_v: Vcpu): void {}

  pickCpu(v: Vcpu): number {
    for (const p of v.affinity) if (this.core.current(p) === null) return p;
    return v.affinity[0]!;
  }

  schedule(pcpu: number, prev: Vcpu | null, prevRunnable: boolean): SchedDecision {
    if (prev && prevRunnable) this.runqs[pcpu]!.push(prev.sched as Link<Vcpu>);
    let next = this.runqs[pcpu]!.shift() ?? null;
    let why = 'next in turn';
    if (next === null) {
      next = this.steal(pcpu);
      why = next ? `taken from pCPU${next.processor}` : 'nothing runnable';
    }
    if (next === null) return { next: null, sliceNs: Infinity, why };
    next.processor = pcpu;
    return { next, sliceNs: this.sliceNs, why };
  }

  adjust(): number {
    return 0; // weights and caps mean nothing to round robin
  }

  describe(v: Vcpu): string {
    return (v.sched as Link<Vcpu>).queue ? 'queued' : 'not queued';
  }

  private steal(pcpu: number): Vcpu | null {
    const n = this.core.nrPcpus;
    for (let k = 1; k < n; k++) {
      const q = this.runqs[(pcpu + k) % n]!;
      for (let l = q.head; l !== null; l = l.next) {
        if (l.item.canRunOn(pcpu)) {
          q.remove(l);
          return l.item;
        }
      }
    }
    return null;
  }
}
