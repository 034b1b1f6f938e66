// The domains a connection knows (libvirt's virDomainObjList): each has a definition, may be
// persistent (defined: it outlives its running instance) or transient (it exists only while
// it runs), and has an id, a state and a reason while an instance runs. A defined domain that
// is not running exists only here, SHUTOFF, until it is started.
import type { DomainDef } from './def';
import { REASON, VIR_DOMAIN, type VirDomainState } from './state';

export const INACTIVE_ID = -1;

export interface DomainObj {
  /** The definition the running instance was started from, or the stored one when inactive. */
  def: DomainDef;
  /** A persistent definition changed while an instance runs: it takes over when the instance stops. */
  newDef?: DomainDef;
  persistent: boolean;
  id: number;
  state: VirDomainState;
  reason: number;
  /** The vCPUs online in the running instance. */
  vcpus: number;
  /** A lifecycle action (on_poweroff, on_crash, ...) is scheduled for it. */
  acting: boolean;
}

export class DomainObjList {
  private readonly byName = new Map<string, DomainObj>();

  get(name: string): DomainObj | undefined {
    return this.byName.get(name);
  }

  byId(id: number): DomainObj | undefined {
    if (id === INACTIVE_ID) return undefined;
    for (const o of this.byName.values()) if (o.id === id) return o;
    return undefined;
  }

  byUuid(uuid: string): DomainObj | undefined {
    for (const o of this.byName.values()) if (o.def.uuid === uuid) return o;
    return undefined;
  }

  add(def: DomainDef, persistent: boolean): DomainObj {
    const o: DomainObj = { def, persistent, id: INACTIVE_ID, state: VIR_DOMAIN.SHUTOFF, reason: REASON.SHUTOFF_UNKNOWN, vcpus: def.vcpus, acting: false };
    this.byName.set(def.name, o);
    return o;
  }

  remove(o: DomainObj): void {
    this.byName.delete(o.def.name);
  }

  /** Running domains by id, then the others by name (the order virsh lists them in). */
  all(): DomainObj[] {
    const list = [...this.byName.values()];
    const active = list.filter((o) => o.id !== INACTIVE_ID).sort((a, b) => a.id - b.id);
    const inactive = list.filter((o) => o.id === INACTIVE_ID).sort((a, b) => a.def.name.localeCompare(b.def.name));
    return [...active, ...inactive];
  }
}

export function isActive(o: DomainObj): boolean {
  return o.id !== INACTIVE_ID;
}

/** The instance stopped: the domain is SHUTOFF with `reason`, and its changed definition takes over. */
export function markStopped(o: DomainObj, reason: number): void {
  o.id = INACTIVE_ID;
  o.state = VIR_DOMAIN.SHUTOFF;
  o.reason = reason;
  o.acting = false;
  if (o.newDef) o.def = o.newDef;
  delete o.newDef;
  o.vcpus = o.def.vcpus;
}

export function markRunning(o: DomainObj, id: number, reason: number = REASON.RUNNING_BOOTED): void {
  o.id = id;
  o.state = VIR_DOMAIN.RUNNING;
  o.reason = reason;
  o.vcpus = o.def.vcpus;
}
