import { describe, expect, it } from 'vitest';
import { connect, VIR_DOMAIN, VIR_ERR, VIR_FROM } from '../../lab/libvirt/index';
import { must } from './helpers';

const xml = (name: string, extra = '') => `<domain type='test'><name>${name}</name><memory unit='MiB'>512</memory><vcpu>2</vcpu><os><type>hvm</type></os>${extra}</domain>`;

describe('test:///default, the in-memory driver', () => {
  it('starts with libvirt\'s default domain "test", running as id 1', () => {
    const conn = must(connect('test:///default'));
    expect(conn.getType()).toBe('TEST');
    const [test] = conn.listAllDomains();
    expect(test!.name).toBe('test');
    expect(test!.uuid).toBe('6695eb01-f6a4-8304-79aa-97f2502e193f');
    expect(test!.getID()).toBe(1);
    expect(must(test!.getInfo())).toEqual({ state: VIR_DOMAIN.RUNNING, maxMem: 8388608, memory: 2097152, nrVirtCpu: 2, cpuTime: 0 });
    expect(conn.getNodeInfo()).toMatchObject({ cpus: 16, mhz: 1400, memoryKiB: 3 * 1024 * 1024 });
  });

  it('every connection is a fresh host', () => {
    const a = must(connect('test:///default'));
    must(a.defineXML(xml('web')));
    const b = must(connect('test:///default'));
    expect(b.listAllDomains().map((d) => d.name)).toEqual(['test']);
  });

  it('walks a defined domain through its states', () => {
    const conn = must(connect('test:///default'));
    const web = must(conn.defineXML(xml('web')));
    const states: number[] = [must(web.getState()).state];
    for (const step of [() => web.create(), () => web.suspend(), () => web.resume(), () => web.shutdown(), () => web.create(), () => web.destroy()]) {
      must(step());
      states.push(must(web.getState()).state);
    }
    const { SHUTOFF, RUNNING, PAUSED } = VIR_DOMAIN;
    expect(states).toEqual([SHUTOFF, RUNNING, PAUSED, RUNNING, SHUTOFF, RUNNING, SHUTOFF]);
  });

  it('createXML makes a transient domain that is gone once it stops', () => {
    const conn = must(connect('test:///default'));
    const tmp = must(conn.createXML(xml('tmp')));
    expect(must(tmp.isPersistent())).toBe(false);
    expect(tmp.getID()).toBe(2);
    must(tmp.destroy());
    const r = conn.lookupByName('tmp');
    expect(r.ok ? undefined : r.error).toEqual({ code: VIR_ERR.NO_DOMAIN, domain: VIR_FROM.TEST, message: "Domain not found: no domain with matching name 'tmp'" });
    const u = tmp.undefine();
    expect(u.ok ? undefined : u.error.code).toBe(VIR_ERR.NO_DOMAIN);
  });

  it('undefining a running domain makes it transient; undefining a transient one is invalid', () => {
    const conn = must(connect('test:///default'));
    const test = must(conn.lookupByName('test'));
    must(test.undefine());
    expect(must(test.isPersistent())).toBe(false);
    const again = test.undefine();
    expect(again.ok ? undefined : again.error.message).toBe('Requested operation is not valid: cannot undefine transient domain');
    must(test.destroy());
    expect(conn.listAllDomains()).toEqual([]);
  });

  it('refuses a second domain with the same name and another uuid, and an XML for another hypervisor', () => {
    const conn = must(connect('test:///default'));
    const clash = conn.defineXML(xml('test'));
    expect(clash.ok ? undefined : clash.error.message).toBe("operation failed: domain 'test' already exists with uuid 6695eb01-f6a4-8304-79aa-97f2502e193f");
    const kvm = conn.defineXML(xml('web').replace("type='test'", "type='kvm'"));
    expect(kvm.ok ? undefined : kvm.error).toMatchObject({ code: VIR_ERR.CONFIG_UNSUPPORTED, message: "unsupported configuration: the TEST driver runs domains of type 'test', not 'kvm'" });
  });

  it('sets online vCPUs and pins them, within the maximum and the host', () => {
    const conn = must(connect('test:///default'));
    const test = must(conn.lookupByName('test'));
    must(test.setVcpus(1));
    expect(must(test.getInfo()).nrVirtCpu).toBe(1);
    const tooMany = test.setVcpus(3);
    expect(tooMany.ok ? undefined : tooMany.error.message).toBe('invalid argument: requested vcpus is greater than max allowable vcpus for the domain: 3 > 2');
    must(test.pinVcpu(0, [3, 5]));
    expect(must(test.getVcpus())[0]!.affinity.flatMap((y, i) => (y ? [i] : []))).toEqual([3, 5]);
    const off = test.pinVcpu(0, [16]);
    expect(off.ok ? undefined : off.error.code).toBe(VIR_ERR.INVALID_ARG);
  });

  it('has the fair scheduler\'s weight, and refuses parameters it does not have', () => {
    const conn = must(connect('test:///default'));
    const test = must(conn.lookupByName('test'));
    expect(must(test.getSchedulerType())).toBe('fair');
    must(test.setSchedulerParameters({ weight: 100 }));
    expect(must(test.getSchedulerParameters())).toEqual([{ field: 'weight', type: 'uint', value: 100 }]);
    const bad = test.setSchedulerParameters({ cpu_shares: 2048 });
    expect(bad.ok ? undefined : bad.error.message).toBe("invalid argument: parameter 'cpu_shares' not supported");
  });

  it('an unknown URI has no driver', () => {
    for (const uri of ['lxc:///', 'qemu+ssh://host/system', 'xen:///system', 'qemu:///system']) {
      const r = connect(uri);
      expect(r.ok ? undefined : r.error).toEqual({ code: VIR_ERR.NO_CONNECT, domain: VIR_FROM.NONE, message: `no connection driver available for ${uri}` });
    }
  });
});
