// Narration points: moments whose meaning lives in a kernel's own memory, which the hypervisor
// never reads (DESIGN.md: rings are the guests' and dom0's business) — a ring push and the
// notify decision taken from its event index, a xenbus state change, a step of a teaching
// workload. A kernel reports one through `VcpuEnv.note`, and only while `VcpuEnv.tracing` is
// true, so an unobserved run builds no note object:
//
//   if (env.tracing) env.note?.({ kind: 'ring', ... });
//
// The hypervisor stamps each note with the time, domain and vCPU and forwards it to its trace
// stream as one `guest` event. Notes describe; they change nothing in the model.

/** RING_PUSH_*_AND_CHECK_NOTIFY as it happened (REFERENCE §2.3). */
export interface RingNote {
  readonly kind: 'ring';
  /** The protocol on the ring, e.g. 'blkif'. */
  readonly proto: string;
  /** front = the requester pushing requests; back = the responder pushing responses. */
  readonly end: 'front' | 'back';
  /** The virtual device the ring serves (its devid, e.g. 51712 for xvda). */
  readonly devid: number;
  /** Producer index before and after the push: the window (oldProd, newProd]. */
  readonly oldProd: number;
  readonly newProd: number;
  /** The peer's req_event (or rsp_event) read after publishing. */
  readonly event: number;
  /** True iff `event` lies in (oldProd, newProd]: an event-channel send follows. */
  readonly notify: boolean;
  /** The event channel the notification goes (or would go) out on. */
  readonly port: number;
}

/** A xenbus end wrote its `state` key (REFERENCE §5.3). */
export interface XenbusNote {
  readonly kind: 'xenbus';
  readonly end: 'front' | 'back';
  readonly devid: number;
  /** The XenbusState written. */
  readonly state: number;
  /** What this end did before moving there, in a few words. */
  readonly detail: string;
}

/** A teaching workload's step on an event channel, with the port's bits after it. */
export interface EvtchnNote {
  readonly kind: 'evtchn';
  readonly port: number;
  readonly action: string;
  readonly pending: boolean;
  readonly masked: boolean;
  /** vcpu_info.evtchn_upcall_pending of the reporting vCPU. */
  readonly upcallPending: boolean;
}

export type GuestNote = RingNote | XenbusNote | EvtchnNote;
