// A connection (virConnectPtr): the domains it knows, kept in step with the host its driver
// drives. Every call first syncs with the host, as libvirt's drivers learn of guests through
// their event threads: an instance the driver did not start (Domain-0, a guest made with
// `xl create`) appears as a transient running domain; one that shut itself down is SHUTDOWN
// (or CRASHED) until its lifecycle action (on_poweroff, on_reboot, on_crash) runs as the
// driver's next piece of work; one that vanished (`xl destroy`) is SHUTOFF, and forgotten if
// it was transient. Domain operations live on the domain handle (./domain).
import { parseDomainXML } from './xml-parse';
import type { DomainDef } from './def';
import { INACTIVE_ID, DomainObjList, isActive, markRunning, markStopped, type DomainObj } from './domain-obj';
import type { Driver, InstanceStatus, NodeInfo } from './driver';
import { noDomainNamed, noDomainWithId, ok, virErr, VIR_ERR, type VirResult } from './errors';
import { REASON, VIR_DOMAIN } from './state';
import { VirDomain } from './domain';

export interface ListFlags {
  /** Only running domains (virsh list), only inactive ones, or both (the default, virsh list --all). */
  active?: boolean;
  inactive?: boolean;
}

export class Connection {
  readonly objs = new DomainObjList();

  constructor(readonly driver: Driver) {
    this.sync();
  }

  get uri(): string {
    return this.driver.uri;
  }

  /** virConnectGetType. */
  getType(): string {
    return this.driver.type;
  }

  getNodeInfo(): NodeInfo {
    return this.driver.nodeInfo();
  }

  /** virConnectListAllDomains: running domains by id, then inactive ones by name. */
  listAllDomains(flags: ListFlags = {}): VirDomain[] {
    this.sync();
    const wantActive = flags.active ?? !flags.inactive;
    const wantInactive = flags.inactive ?? !flags.active;
    return this.objs.all().filter((o) => (isActive(o) ? wantActive : wantInactive)).map((o) => new VirDomain(this, o.def.name, o.def.uuid));
  }

  lookupByName(name: string): VirResult<VirDomain> {
    this.sync();
    const o = this.objs.get(name);
    return o ? ok(new VirDomain(this, name, o.def.uuid)) : noDomainNamed(this.driver.from, name);
  }

  lookupByID(id: number): VirResult<VirDomain> {
    this.sync();
    const o = this.objs.byId(id);
    return o ? ok(new VirDomain(this, o.def.name, o.def.uuid)) : noDomainWithId(this.driver.from, id);
  }

  lookupByUUIDString(uuid: string): VirResult<VirDomain> {
    this.sync();
    const o = this.objs.byUuid(uuid.toLowerCase());
    return o ? ok(new VirDomain(this, o.def.name, o.def.uuid)) : virErr(VIR_ERR.NO_DOMAIN, this.driver.from, `no domain with matching uuid '${uuid}'`);
  }

  /** virDomainDefineXML: a persistent definition (replacing the stored one of that name and uuid). */
  defineXML(xml: string): VirResult<VirDomain> {
    this.sync();
    const def = this.parse(xml);
    if (!def.ok) return def;
    const clash = this.clash(def.value);
    if (clash) return clash;
    const o = this.objs.get(def.value.name);
    if (!o) this.objs.add(def.value, true);
    else if (isActive(o)) Object.assign(o, { newDef: def.value, persistent: true });
    else Object.assign(o, { def: def.value, persistent: true, vcpus: def.value.vcpus });
    return ok(new VirDomain(this, def.value.name, def.value.uuid));
  }

  /** virDomainCreateXML: starts a transient domain (or a defined one from this XML). */
  createXML(xml: string): VirResult<VirDomain> {
    this.sync();
    const def = this.parse(xml);
    if (!def.ok) return def;
    const clash = this.clash(def.value);
    if (clash) return clash;
    let o = this.objs.get(def.value.name);
    if (o && isActive(o)) return virErr(VIR_ERR.OPERATION_INVALID, this.driver.from, `domain '${o.def.name}' is already active`);
    if (o) Object.assign(o, { newDef: o.def, def: def.value });
    else o = this.objs.add(def.value, false);
    const r = this.start(o);
    if (!r.ok) {
      if (o.persistent) markStopped(o, REASON.SHUTOFF_FAILED);
      else this.objs.remove(o);
      return r;
    }
    return ok(new VirDomain(this, def.value.name, def.value.uuid));
  }

  /** Starts the instance of an inactive domain. */
  start(o: DomainObj): VirResult<void> {
    const r = this.driver.start(o.def);
    if (!r.ok) return r;
    markRunning(o, r.value);
    return ok(undefined);
  }

  /** The instance is gone: SHUTOFF for a persistent domain, forgotten for a transient one. */
  stopped(o: DomainObj, reason: number): void {
    markStopped(o, reason);
    if (!o.persistent) this.objs.remove(o);
  }

  /** Brings the domain list in step with the instances on the host. */
  sync(): void {
    const seen = new Set<number>();
    for (const inst of this.driver.instances()) {
      seen.add(inst.id);
      const o = this.objs.byId(inst.id) ?? this.adopt(inst.id, inst.name);
      if (o) this.observe(o, inst.status);
    }
    for (const o of this.objs.all()) if (isActive(o) && !seen.has(o.id)) this.stopped(o, REASON.SHUTOFF_DESTROYED);
  }

  private adopt(id: number, name: string): DomainObj | undefined {
    const known = this.objs.get(name);
    if (known && !isActive(known)) {
      markRunning(known, id);
      return known;
    }
    if (known) return undefined; // a second instance of a running name: not ours to show
    const def = this.driver.adopt(id);
    if (!def) return undefined;
    const o = this.objs.add(def, false);
    markRunning(o, id);
    return o;
  }

  private observe(o: DomainObj, s: InstanceStatus): void {
    if (s.kind === 'running') {
      if (o.state !== VIR_DOMAIN.RUNNING) Object.assign(o, { state: VIR_DOMAIN.RUNNING, reason: o.state === VIR_DOMAIN.PAUSED ? REASON.RUNNING_UNPAUSED : o.reason });
      return;
    }
    if (s.kind === 'paused') {
      if (o.state !== VIR_DOMAIN.PAUSED) Object.assign(o, { state: VIR_DOMAIN.PAUSED, reason: REASON.PAUSED_USER });
      return;
    }
    const crashed = s.reason === 'crash';
    o.state = crashed ? VIR_DOMAIN.CRASHED : VIR_DOMAIN.SHUTDOWN;
    o.reason = crashed ? REASON.CRASHED_PANICKED : REASON.SHUTDOWN_USER;
    if (o.acting) return;
    o.acting = true;
    const id = o.id;
    this.driver.later(() => this.act(o, id, s.reason));
  }

  /** on_poweroff / on_reboot / on_crash, as libvirt's event handler applies them. */
  private act(o: DomainObj, id: number, why: 'poweroff' | 'reboot' | 'crash' | 'other'): void {
    if (o.id !== id) return;
    const action = why === 'poweroff' ? o.def.onPoweroff : why === 'reboot' ? o.def.onReboot : why === 'crash' ? o.def.onCrash : 'destroy';
    if (action === 'preserve') return;
    this.driver.destroy(id);
    const reason = why === 'crash' ? REASON.SHUTOFF_CRASHED : REASON.SHUTOFF_SHUTDOWN;
    if (action === 'destroy') return this.stopped(o, reason);
    // restart: the same domain boots again, with a new id.
    const persistent = o.persistent;
    markStopped(o, reason);
    if (!this.start(o).ok && !persistent) this.objs.remove(o);
  }

  private parse(xml: string): VirResult<DomainDef> {
    const def = parseDomainXML(xml);
    if (!def.ok) return def;
    const types = this.driver.virtTypes;
    if (!types.includes(def.value.virtType)) {
      const runs = types.map((t) => `'${t}'`).join(' or ');
      return virErr(VIR_ERR.CONFIG_UNSUPPORTED, this.driver.from, `the ${this.driver.type} driver runs domains of type ${runs}, not '${def.value.virtType}'`);
    }
    return def;
  }

  /** Another domain already has this name or this uuid. */
  private clash(def: DomainDef): VirResult<never> | undefined {
    const byName = this.objs.get(def.name);
    if (byName && byName.def.uuid !== def.uuid) return virErr(VIR_ERR.OPERATION_FAILED, this.driver.from, `domain '${def.name}' already exists with uuid ${byName.def.uuid}`);
    const byUuid = this.objs.byUuid(def.uuid);
    if (byUuid && byUuid.def.name !== def.name) return virErr(VIR_ERR.OPERATION_FAILED, this.driver.from, `domain '${byUuid.def.name}' already exists with uuid ${def.uuid}`);
    return undefined;
  }
}

export { INACTIVE_ID };
