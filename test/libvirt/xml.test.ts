import { describe, expect, it } from 'vitest';
import { formatDomainXML, parseDomainXML, PVLAB_XMLNS, VIR_ERR, VIR_FROM, type VirResult } from '../../lab/libvirt/index';

const errorOf = (r: VirResult<unknown>) => (r.ok ? undefined : r.error);
const domain = (body: string, type = 'xen') => `<domain type='${type}'>${body}</domain>`;
const base = `<name>web</name><memory unit='MiB'>512</memory><os><type>xen</type></os>`;

describe('the domain XML subset', () => {
  it('reads name, memory with its unit, vcpus, os type, disks, interfaces and pvlab\'s workload', () => {
    const r = parseDomainXML(`<?xml version="1.0"?>
<domain type='xen'>
  <name>web</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <memory unit='GiB'>1</memory>
  <currentMemory unit='MiB'>512</currentMemory>
  <vcpu placement='static' current='2'>4</vcpu>
  <os><type arch='x86_64' machine='xenfv'>hvm</type></os>
  <on_crash>preserve</on_crash>
  <metadata><pvlab:workload xmlns:pvlab="${PVLAB_XMLNS}" kind="cpu-periodic" burst="2ms" period="10ms"/></metadata>
  <devices>
    <disk type='block' device='disk'><source dev='/dev/vg0/web'/><target dev='hda' bus='ide'/></disk>
    <disk type='file' device='cdrom'><target dev='hdc'/></disk>
    <interface type='bridge'><mac address='00:16:3E:5D:C7:9E'/><source bridge='xenbr0'/><model type='e1000'/></interface>
  </devices>
</domain>`);
    expect(r.ok && r.value).toEqual({
      virtType: 'xen', name: 'web', uuid: '4dea22b3-1d52-d8f3-2516-782e98ab3fa0', memoryKiB: 1048576, currentMemoryKiB: 524288,
      maxVcpus: 4, vcpus: 2, osType: 'hvm',
      disks: [
        { type: 'block', device: 'disk', source: '/dev/vg0/web', target: 'hda', bus: 'ide', readonly: false },
        { type: 'file', device: 'cdrom', target: 'hdc', readonly: true },
      ],
      interfaces: [{ type: 'bridge', source: 'xenbr0', mac: '00:16:3e:5d:c7:9e', model: 'e1000' }],
      onPoweroff: 'destroy', onReboot: 'restart', onCrash: 'preserve',
      workload: { spec: { kind: 'cpu-periodic', burst: 2_000_000, period: 10_000_000, jitter: 0 }, written: { kind: 'cpu-periodic', burst: '2ms', period: '10ms' } },
    });
  });

  it('memory is in KiB without a unit; os type linux is the old name of xen (PV)', () => {
    const r = parseDomainXML(domain(`<name>a</name><memory>65536</memory><os><type>linux</type></os>`));
    expect(r.ok && [r.value.memoryKiB, r.value.osType, r.value.vcpus]).toEqual([65536, 'xen', 1]);
  });

  it('gives a deterministic uuid when none is written', () => {
    const a = parseDomainXML(domain(base));
    const b = parseDomainXML(domain(base));
    expect(a.ok && a.value.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.ok && a.value.uuid).toBe(b.ok && b.value.uuid);
  });

  it('text that is not well-formed is VIR_ERR_XML_DETAIL with its line', () => {
    expect(errorOf(parseDomainXML(`<domain type='xen'>\n<name>web</name>\n<devices></domain>`))).toEqual({
      code: VIR_ERR.XML_DETAIL, domain: VIR_FROM.XML,
      message: "(domain_definition):3: Expected closing tag 'devices' (opened in line 3, col 1) instead of closing tag 'domain'.",
    });
  });

  it('a document that breaks the schema is VIR_ERR_XML_ERROR, naming what is wrong', () => {
    const cases: [string, string][] = [
      ['<vm/>', 'XML error: unexpected root element <vm>, expecting <domain>'],
      [`<domain>${base}</domain>`, 'XML error: missing domain type attribute'],
      [domain(base, 'vmware'), "XML error: invalid domain type 'vmware' (pvlab knows xen, kvm, qemu, test)"],
      [domain(`<name>web</name><os><type>xen</type></os>`), 'XML error: missing memory element'],
      [domain(`<name>web</name><memory unit='MiB'>lots</memory><os><type>xen</type></os>`), "XML error: Invalid value 'lots' for element or attribute './memory[1]'"],
      [domain(`<name>web</name><memory unit='furlong'>1</memory><os><type>xen</type></os>`), "XML error: unknown suffix 'furlong'"],
      [domain(`<name>web</name><memory unit='MiB'>512</memory>`), 'XML error: an os <type> must be specified'],
      [domain(`${base}<vcpu current='4'>2</vcpu>`), 'XML error: maxvcpus must not be less than current vcpus (2 < 4)'],
      [domain(`${base}<devices><disk type='block'><source dev='/dev/x'/></disk></devices>`), 'XML error: missing target information for device /dev/x'],
    ];
    for (const [xml, message] of cases) expect(errorOf(parseDomainXML(xml))?.message, xml).toBe(message);
    const spin = errorOf(parseDomainXML(domain(`${base}<metadata><pvlab:workload xmlns:pvlab="${PVLAB_XMLNS}" kind="spin"/></metadata>`)));
    expect(spin?.message).toMatch(/^XML error: <pvlab:workload> kind: unknown kind "spin" \(expected one of cpu-burn, idle, /);
    const fio = errorOf(parseDomainXML(domain(`${base}<metadata><pvlab:workload xmlns:pvlab="${PVLAB_XMLNS}" kind="fio" rw="sideways"/></metadata>`)));
    expect(fio?.message).toMatch(/^XML error: <pvlab:workload> rw: must be one of read, write, randread, randwrite, rw \(got "sideways"\)/);
  });

  it('a missing name, an unknown OS type and what pvlab cannot run have libvirt\'s codes', () => {
    expect(errorOf(parseDomainXML(domain(`<memory>65536</memory><os><type>xen</type></os>`)))).toMatchObject({ code: VIR_ERR.NO_NAME, message: 'missing name information' });
    expect(errorOf(parseDomainXML(domain(`<name>a</name><memory>65536</memory><os><type>exe</type></os>`)))).toMatchObject({ code: VIR_ERR.OS_TYPE, message: "unknown OS type 'exe' (pvlab runs hvm and xen)" });
    expect(errorOf(parseDomainXML(domain(`<name>a</name><memory>1024</memory><os><type>xen</type></os>`)))).toMatchObject({ code: VIR_ERR.CONFIG_UNSUPPORTED });
  });

  it('what dumpxml writes reads back to the same definition', () => {
    const r = parseDomainXML(domain(`${base}<vcpu current='1'>2</vcpu><metadata><pvlab:workload xmlns:pvlab="${PVLAB_XMLNS}" kind="fio" rw="randread" bs="4k"/></metadata>
      <devices><disk type='block'><source dev='/dev/vg0/web'/><target dev='xvda'/><readonly/></disk><interface type='network'><source network='default'/></interface></devices>`));
    if (!r.ok) throw new Error(r.error.message);
    const xml = formatDomainXML(r.value, { id: 3, machine: 'xenpv' });
    expect(xml.split('\n').slice(0, 2)).toEqual(["<domain type='xen' id='3'>", '  <name>web</name>']);
    const again = parseDomainXML(xml);
    expect(again.ok && again.value).toEqual(r.value);
  });
});
