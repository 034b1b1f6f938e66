import { describe, expect, it } from 'vitest';
import { connect, REASON, VIR_DOMAIN, VIR_ERR, type VirDomain } from '../../lab/libvirt/index';
import { guestXml, must, MS, xenHost } from './helpers';

const state = (d: VirDomain) => must(d.getState()).state;

describe('xen:///system drives the Xen host through the toolstack paths', () => {
  it('defines, starts, suspends, resumes and destroys a guest, with getState following libvirt at every step', () => {
    const w = xenHost();
    const conn = must(connect('xen:///system', w));
    const dom = must(conn.defineXML(guestXml()));
    expect(state(dom)).toBe(VIR_DOMAIN.SHUTOFF);
    expect(dom.getID()).toBe(-1);
    expect(w.hv.domainByName('web')).toBeUndefined(); // defined-but-not-running lives only in the driver

    must(dom.create());
    expect(state(dom)).toBe(VIR_DOMAIN.RUNNING);
    expect(must(dom.getState()).reason).toBe(REASON.RUNNING_BOOTED);
    const hvDom = w.hv.domainByName('web')!;
    expect(dom.getID()).toBe(hvDom.id);
    expect(hvDom.config.type).toBe('pv');
    w.engine.run(200 * MS);
    expect(must(dom.getInfo()).cpuTime).toBeGreaterThan(0);

    must(dom.suspend());
    expect(state(dom)).toBe(VIR_DOMAIN.PAUSED);
    expect(hvDom.stateLetters()).toContain('p');
    // domain_pause returns once the vCPU is off its pCPU (the next schedule, after an IPI).
    w.engine.run(201 * MS);
    const paused = must(dom.getInfo()).cpuTime;
    w.engine.run(400 * MS);
    expect(must(dom.getInfo()).cpuTime).toBe(paused);

    must(dom.resume());
    expect(state(dom)).toBe(VIR_DOMAIN.RUNNING);
    expect(must(dom.getState()).reason).toBe(REASON.RUNNING_UNPAUSED);
    w.engine.run(600 * MS);
    expect(must(dom.getInfo()).cpuTime).toBeGreaterThan(paused);

    const id = dom.getID();
    expect(w.dom0.xs.read(undefined, `/local/domain/${id}/name`)).toBe('web');
    must(dom.destroy());
    expect(must(dom.getState())).toEqual({ state: VIR_DOMAIN.SHUTOFF, reason: REASON.SHUTOFF_DESTROYED });
    w.engine.run(700 * MS);
    expect(w.hv.domainByName('web')).toBeUndefined();
    // As xl destroy leaves it: no xenstore home, no backend directory.
    expect(w.dom0.xs.read(undefined, `/local/domain/${id}/name`)).toBeUndefined();
    expect(w.dom0.xs.read(undefined, `/local/domain/0/backend/vbd/${id}/51712/state`)).toBeUndefined();
    expect(must(dom.isPersistent())).toBe(true);
    must(dom.undefine());
    const gone = conn.lookupByName('web');
    expect(gone.ok ? undefined : gone.error.code).toBe(VIR_ERR.NO_DOMAIN);
  });

  it('lists Domain-0 and the scenario guests as running domains', () => {
    const w = xenHost(`domains: [{name: db, memory: 256, workload: {kind: cpu-burn}}]`);
    const conn = must(connect('xen:///system', w));
    must(conn.defineXML(guestXml()));
    const list = conn.listAllDomains().map((d) => [d.getID(), d.name, must(d.getState()).state]);
    expect(list).toEqual([[0, 'Domain-0', VIR_DOMAIN.RUNNING], [1, 'db', VIR_DOMAIN.RUNNING], [-1, 'web', VIR_DOMAIN.SHUTOFF]]);
  });

  it('a shutdown is SHUTDOWN until on_poweroff destroys it, then SHUTOFF', () => {
    const w = xenHost();
    const conn = must(connect('xen:///system', w));
    const dom = must(conn.createXML(guestXml()));
    w.engine.run(50 * MS);
    must(dom.shutdown());
    expect(state(dom)).toBe(VIR_DOMAIN.SHUTDOWN);
    w.engine.run(51 * MS);
    // A transient domain is gone once it stops.
    const after = conn.lookupByName('web');
    expect(after.ok ? undefined : after.error.message).toBe("Domain not found: no domain with matching name 'web'");
  });

  it('refuses to stop Domain-0, and operations on a shut-off domain say it is not running', () => {
    const w = xenHost();
    const conn = must(connect('xen:///system', w));
    const dom0 = must(conn.lookupByID(0));
    const r = dom0.destroy();
    expect(r.ok ? undefined : r.error).toMatchObject({ code: VIR_ERR.OPERATION_INVALID, message: 'Requested operation is not valid: Domain-0 cannot be shutdown' });
    const web = must(conn.defineXML(guestXml()));
    for (const call of [() => web.suspend(), () => web.resume(), () => web.shutdown(), () => web.destroy()]) {
      const e = call();
      expect(e.ok ? undefined : e.error.message).toBe('Requested operation is not valid: domain is not running');
    }
    must(web.create());
    const again = web.create();
    expect(again.ok ? undefined : again.error.code).toBe(VIR_ERR.OPERATION_INVALID);
  });

  it('a guest that crashes is CRASHED, then SHUTOFF with reason crashed (on_crash=destroy)', () => {
    const w = xenHost();
    const conn = must(connect('xen:///system', w));
    const dom = must(conn.defineXML(guestXml()));
    must(dom.create());
    w.engine.run(10 * MS);
    w.hv.crash(dom.getID(), 'test');
    expect(must(dom.getState())).toEqual({ state: VIR_DOMAIN.CRASHED, reason: REASON.CRASHED_PANICKED });
    w.engine.run(11 * MS);
    expect(must(dom.getState())).toEqual({ state: VIR_DOMAIN.SHUTOFF, reason: REASON.SHUTOFF_CRASHED });
  });

  it('reboot destroys the instance and starts it again with a new id (on_reboot=restart)', () => {
    const w = xenHost();
    const conn = must(connect('xen:///system', w));
    const dom = must(conn.defineXML(guestXml()));
    must(dom.create());
    const first = dom.getID();
    must(dom.reboot());
    w.engine.run(5 * MS);
    expect(state(dom)).toBe(VIR_DOMAIN.RUNNING);
    expect(dom.getID()).toBeGreaterThan(first);
  });

  it('a disk that is not on the host fails the start with libvirt\'s error and leaves nothing behind', () => {
    const w = xenHost();
    const conn = must(connect('xen:///system', w));
    const dom = must(conn.defineXML(guestXml({ disk: `<disk type='block'><source dev='/dev/vg0/nope'/><target dev='xvda'/></disk>` })));
    const r = dom.create();
    expect(r.ok ? undefined : r.error).toMatchObject({ code: VIR_ERR.OPERATION_FAILED, message: 'operation failed: disk source /dev/vg0/nope does not exist on this host' });
    expect(state(dom)).toBe(VIR_DOMAIN.SHUTOFF);
    expect(w.hv.list().map((d) => d.name)).toEqual(['Domain-0']);
  });

  it('pinVcpu moves running vCPUs at once, and setVcpus takes vCPUs offline', () => {
    const w = xenHost();
    const conn = must(connect('xen:///system', w));
    const dom = must(conn.createXML(guestXml({ vcpus: " current='2'" }).replace('>1</vcpu>', '>2</vcpu>')));
    const d = w.hv.domainByName('web')!;
    const ran = () => d.vcpus.reduce((s, v) => s + v.runstateAt(w.engine.now).running, 0);
    w.engine.run(300 * MS);
    expect(must(dom.getVcpus()).map((v) => v.cpu).sort()).toEqual([0, 1]);
    must(dom.pinVcpu(0, [1]));
    must(dom.pinVcpu(1, [1]));
    w.engine.run(301 * MS);
    expect(must(dom.getVcpus()).map((v) => v.affinity)).toEqual([[false, true], [false, true]]);
    const before = ran();
    w.engine.run(1301 * MS);
    // Both vCPUs now share pCPU 1: one pCPU's worth of time in that second, not two.
    expect((ran() - before) / 1e9).toBeCloseTo(1, 1);
    expect(d.vcpus.every((v) => v.processor === 1)).toBe(true);
    must(dom.pinVcpu(1, [0]));
    must(dom.setVcpus(1));
    expect(must(dom.getInfo()).nrVirtCpu).toBe(1);
    const one = ran();
    w.engine.run(2301 * MS);
    expect((ran() - one) / 1e9).toBeCloseTo(1, 1);
    expect(d.vcpus[1]!.unplugged).toBe(true);
    must(dom.setVcpus(2));
    const two = ran();
    w.engine.run(3301 * MS);
    expect((ran() - two) / 1e9).toBeCloseTo(2, 1);
  });
});
