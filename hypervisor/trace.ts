// Trace points. Every one is a member of one discriminated union and is published on an rxjs
// Observable. Emitters check `trace.on` first, so when nobody subscribes no event object is
// ever built: tracing costs one property read per trace point.
import { Subject, type Observable } from 'rxjs';
import type { Runstate } from './public/xen';
import type { GuestNote } from './public/notes';

export type TraceEvent =
  | { type: 'sched'; t: number; pcpu: number; dom: number; vcpu: number; reason: SchedReason; detail: string }
  | { type: 'idle'; t: number; pcpu: number; reason: SchedReason }
  | { type: 'runstate'; t: number; dom: number; vcpu: number; from: Runstate; to: Runstate; pcpu: number }
  | { type: 'credit-acct'; t: number; dom: number; vcpu: number; credit: number; pri: string; parked: boolean }
  | { type: 'tickle'; t: number; pcpu: number; dom: number; vcpu: number; why: string }
  | { type: 'domain'; t: number; dom: number; name: string; what: string }
  | { type: 'hypercall'; t: number; dom: number; vcpu: number; name: string; op: string; rc: number }
  | { type: 'evtchn'; t: number; dom: number; port: number; what: string; peer?: { dom: number; port: number } }
  | { type: 'vmexit'; t: number; dom: number; vcpu: number; reason: number; space: 'pio' | 'mmio'; dir: 'in' | 'out'; addr: number; size: number; value: number }
  | { type: 'note'; t: number; dom: number; what: string }
  /** A kernel's narration point (public/notes), reported through VcpuEnv.note. */
  | { type: 'guest'; t: number; dom: number; vcpu: number; note: GuestNote };

export type SchedReason = 'slice-expired' | 'blocked' | 'yield' | 'preempted' | 'woken' | 'paused' | 'ratelimit' | 'stolen' | 'offline';

export class Trace {
  private readonly subject = new Subject<TraceEvent>();
  readonly events: Observable<TraceEvent> = this.subject.asObservable();

  /** True while somebody listens; check it before building an event. */
  get on(): boolean {
    return this.subject.observed;
  }

  emit(e: TraceEvent): void {
    this.subject.next(e);
  }
}
