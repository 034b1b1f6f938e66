// grant_table_op (#20): every operation is a batch with a status per element, and the call
// itself returns 0 (or -EINVAL / -EFAULT for a bad count or list). Costs: each map installs a
// PTE; each unmap clears one and the batch ends with a TLB shootdown; copies are charged at
// memory bandwidth. All time is charged to the calling vCPU as hypervisor time.
import { EFAULT, EINVAL, ENOSYS } from '../public/errno';
import { GNTST, GNTTABOP, gntstName, type CopyOp, type MapOp } from '../public/grant_table';
import type { Hypervisor } from '../hypervisor';
import type { Vcpu } from '../vcpu';

/** A batch larger than this is refused: Xen bounds batches by what fits a continuation. */
export const GNTTAB_MAX_BATCH = 4096;

type Rec = Record<string, unknown>;

function isInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

export function grantOp(hv: Hypervisor) {
  return (v: Vcpu, args: readonly unknown[]): number => {
    const [cmd, list, count] = args;
    if (!isInt(cmd)) return -EFAULT;
    if (!Array.isArray(list)) return -EFAULT;
    // Xen reads `count` elements of the guest's list: a count that is negative or past the
    // batch limit is -EINVAL; one past the end of the list would read beyond it, -EFAULT.
    const n = count === undefined ? list.length : count;
    if (!isInt(n) || n < 0 || n > GNTTAB_MAX_BATCH) return -EINVAL;
    if (n > list.length) return -EFAULT;
    const me = v.domain.id;
    const costs = hv.profile.hypervisor;
    switch (cmd) {
      case GNTTABOP.map_grant_ref:
        for (let i = 0; i < n; i++) {
          const op = list[i] as Rec;
          if (!isRec(op) || !isInt(op['dom']) || !isInt(op['ref']) || !isInt(op['flags'])) {
            if (isRec(op)) op['status'] = GNTST.general_error;
            continue;
          }
          const r = hv.grants.map(me, op as unknown as MapOp);
          op['status'] = r.status;
          op['handle'] = r.handle;
          op['dev_bus_addr'] = r.devBusAddr;
          if (r.reason) refused(hv, me, `map of dom${op['dom']} ref ${op['ref']}`, r.reason.kind, r.status);
          if (r.reason) op['reason'] = r.reason.kind;
          v.hvOwedNs += costs.grantMapNs;
        }
        return 0;
      case GNTTABOP.unmap_grant_ref: {
        for (let i = 0; i < n; i++) {
          const op = list[i] as Rec;
          if (!isRec(op) || !isInt(op['handle'])) {
            if (isRec(op)) op['status'] = GNTST.bad_handle;
            continue;
          }
          const r = hv.grants.unmap(me, op['handle'], isInt(op['dev_bus_addr']) ? op['dev_bus_addr'] : 0);
          op['status'] = r.status;
          if (r.reason) refused(hv, me, `unmap of handle ${op['handle']}`, r.reason.kind, r.status);
          v.hvOwedNs += costs.grantUnmapNs;
        }
        if (n > 0) v.hvOwedNs += costs.tlbShootdownNs;
        return 0;
      }
      case GNTTABOP.copy: {
        const ops = list.slice(0, n) as Rec[];
        const valid = ops.filter((op) => isCopy(op));
        const st = hv.grants.copy(me, valid as unknown as CopyOp[]);
        let bytes = 0;
        valid.forEach((op, i) => {
          op['status'] = st[i];
          if (st[i] === GNTST.okay) bytes += op['len'] as number;
        });
        for (const op of ops) if (isRec(op) && !valid.includes(op)) op['status'] = GNTST.bad_copy_arg;
        v.hvOwedNs += Math.ceil(bytes / costs.copyBytesPerNs);
        return 0;
      }
      case GNTTABOP.setup_table:
        for (const op of list.slice(0, n) as Rec[]) {
          if (!isRec(op) || !isInt(op['dom']) || !isInt(op['nr_frames'])) return -EFAULT;
          const r = hv.grants.setupTable(me, op['dom'], op['nr_frames']);
          op['status'] = r.status;
          op['frame_list'] = r.frames;
        }
        return 0;
      case GNTTABOP.query_size:
        for (const op of list.slice(0, n) as Rec[]) {
          if (!isRec(op) || !isInt(op['dom'])) return -EFAULT;
          const r = hv.grants.querySize(me, op['dom']);
          Object.assign(op, { status: r.status, nr_frames: r.nrFrames, max_nr_frames: r.maxFrames });
        }
        return 0;
      default:
        return -ENOSYS;
    }
  };
}

/** The guest sees only the GNTST_* code; the trace keeps pvlab's precise reason. */
function refused(hv: Hypervisor, dom: number, what: string, reason: string, status: number): void {
  if (hv.trace.on) hv.trace.emit({ type: 'note', t: hv.engine.now, dom, what: `grant ${what} refused: ${reason} (${gntstName(status)})` });
}

function isRec(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null;
}

function isCopy(op: unknown): boolean {
  if (!isRec(op)) return false;
  const side = (s: unknown): boolean => isRec(s) && isInt(s['refOrGfn']) && isInt(s['domid']) && isInt(s['offset']);
  return side(op['source']) && side(op['dest']) && isInt(op['len']) && isInt(op['flags']);
}
