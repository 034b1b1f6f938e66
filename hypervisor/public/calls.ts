// Typed wrappers over the hypercalls kernels make most, in the spirit of Linux's
// HYPERVISOR_* inline functions: they build Xen's argument structs, make the call and read
// the OUT fields. Results keep Xen's convention: a port or 0 on success, -errno on failure.
import { syscall, type GuestOp, type VcpuEnv } from './guest';
import { EVTCHNOP } from './event_channel';
import { GNTTABOP, type CopyOp } from './grant_table';
import { HYPERCALL, DOMID_SELF } from './xen';

function evtchn(env: VcpuEnv, cmd: number, arg: Record<string, unknown>, out?: string): number {
  const rc = env.hypercall(HYPERCALL.event_channel_op, cmd, arg);
  return rc < 0 || out === undefined ? rc : (arg[out] as number);
}

export const evtchnAllocUnbound = (env: VcpuEnv, remoteDom: number, dom = DOMID_SELF): number =>
  evtchn(env, EVTCHNOP.alloc_unbound, { dom, remote_dom: remoteDom }, 'port');
export const evtchnBindInterdomain = (env: VcpuEnv, remoteDom: number, remotePort: number): number =>
  evtchn(env, EVTCHNOP.bind_interdomain, { remote_dom: remoteDom, remote_port: remotePort }, 'local_port');
export const evtchnBindVirq = (env: VcpuEnv, virq: number, vcpu = 0): number => evtchn(env, EVTCHNOP.bind_virq, { virq, vcpu }, 'port');
export const evtchnBindIpi = (env: VcpuEnv, vcpu = 0): number => evtchn(env, EVTCHNOP.bind_ipi, { vcpu }, 'port');
export const evtchnBindVcpu = (env: VcpuEnv, port: number, vcpu: number): number => evtchn(env, EVTCHNOP.bind_vcpu, { port, vcpu });
export const evtchnSend = (env: VcpuEnv, port: number): number => evtchn(env, EVTCHNOP.send, { port });
export const evtchnClose = (env: VcpuEnv, port: number): number => evtchn(env, EVTCHNOP.close, { port });
export const evtchnUnmask = (env: VcpuEnv, port: number): number => evtchn(env, EVTCHNOP.unmask, { port });

export interface GrantMapIn {
  dom: number;
  ref: number;
  flags: number;
}
export interface GrantMapOut {
  status: number;
  handle: number;
}

/** One batched GNTTABOP_map_grant_ref. */
export function gnttabMap(env: VcpuEnv, ops: readonly GrantMapIn[]): GrantMapOut[] {
  const list: Record<string, unknown>[] = [];
  for (const o of ops) list.push({ dom: o.dom, ref: o.ref, flags: o.flags, host_addr: 0 });
  env.hypercall(HYPERCALL.grant_table_op, GNTTABOP.map_grant_ref, list, list.length);
  const out: GrantMapOut[] = [];
  for (const o of list) out.push({ status: o['status'] as number, handle: o['handle'] as number });
  return out;
}

/** One batched GNTTABOP_unmap_grant_ref; returns the status of each. */
export function gnttabUnmap(env: VcpuEnv, handles: readonly number[]): number[] {
  const list: Record<string, unknown>[] = [];
  for (const handle of handles) list.push({ handle, host_addr: 0, dev_bus_addr: 0 });
  env.hypercall(HYPERCALL.grant_table_op, GNTTABOP.unmap_grant_ref, list, list.length);
  const out: number[] = [];
  for (const o of list) out.push(o['status'] as number);
  return out;
}

/** One batched GNTTABOP_copy; returns the status of each. */
export function gnttabCopy(env: VcpuEnv, ops: readonly CopyOp[]): number[] {
  const list = ops.map((o) => ({ ...o }) as Record<string, unknown>);
  env.hypercall(HYPERCALL.grant_table_op, GNTTABOP.copy, list, list.length);
  return list.map((o) => o['status'] as number);
}

/** GNTTABOP_setup_table for the caller: the machine frames of its grant table. */
export function gnttabSetupTable(env: VcpuEnv, nrFrames: number): { status: number; frames: number[] } {
  const op: Record<string, unknown> = { dom: DOMID_SELF, nr_frames: nrFrames };
  env.hypercall(HYPERCALL.grant_table_op, GNTTABOP.setup_table, [op], 1);
  return { status: op['status'] as number, frames: (op['frame_list'] as number[] | undefined) ?? [] };
}

/** `count` system calls of a PV kernel's processes: Xen takes each one and bounces it into the
 *  kernel (the `syscall` operation, which the hypervisor charges), and a 64-bit kernel, which
 *  has no fast system-call trap, goes back to user mode through HYPERVISOR_iret. */
export function* pvSyscalls(env: VcpuEnv, count: number, iretAfterTrap: boolean): Generator<GuestOp, void, unknown> {
  if (count <= 0) return;
  yield syscall(count);
  if (iretAfterTrap) irets(env, count);
}

/** HYPERVISOR_iret, `count` times: a 64-bit PV kernel's returns to user mode after bounced traps. */
export function irets(env: VcpuEnv, count: number): void {
  for (let i = 0; i < count; i++) env.hypercall(HYPERCALL.iret);
}
