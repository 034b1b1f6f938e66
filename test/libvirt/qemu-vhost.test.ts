// Who serves a guest's virtio devices when qemu:///system starts it, as libvirt's QEMU driver
// decides: a virtio <interface> gets vhost-net in the host kernel unless <driver name='qemu'/>
// asks for QEMU's user-space backend; a virtio disk stays QEMU's user-space virtio-blk; and
// <driver name='vhost'/> on a model with no vhost backend is refused. The tests print what
// they assert.
import { describe, expect, it } from 'vitest';
import { connect, parseDomainXML, PVLAB_XMLNS, VIR_DOMAIN, VIR_ERR, VIR_FROM } from '../../lab/libvirt/index';
import { virsh } from '../../lab/libvirt/virsh';
import type { HostThread } from '../../host/thread';
import type { World } from '../../lab/run/world';
import { kvmYaml, runKvm } from '../kvm/helpers';
import { kvmHost, must, MS } from './helpers';

const TTCP = 'kind="ttcp" bytes="1MiB"';
const FIO = 'kind="fio" rw="randread" bs="4k" iodepth="1" ops="200"';

/** A guest with a virtio disk (vda) and one interface, `nic` the elements inside it. */
const guest = (nic: string, workload = TTCP, type = 'kvm') => `<domain type='${type}'>
  <name>web</name>
  <memory unit='MiB'>256</memory>
  <os><type>hvm</type></os>
  <metadata><pvlab:workload xmlns:pvlab="${PVLAB_XMLNS}" ${workload}/></metadata>
  <devices>
    <disk type='block' device='disk'><source dev='/dev/vg0/web'/><target dev='vda' bus='virtio'/></disk>
    <interface type='bridge'><source bridge='br0'/>${nic}</interface>
  </devices>
</domain>`;

/** qemu:///system creates the guest on a fresh KVM host and runs the host for `ms`. */
function started(xml: string, ms: number): { w: World; g: World['guests'][number] } {
  const w = kvmHost();
  must(must(connect('qemu:///system', w)).createXML(xml));
  w.engine.run(ms * MS);
  return { w, g: w.guests.find((x) => x.domain.name === 'web')! };
}

const busyNs = (t: HostThread | undefined) => (t ? t.stats.userNs + t.stats.kernelNs : 0);

describe('a virtio interface under qemu:///system', () => {
  for (const driver of ['', "<driver name='vhost'/>"]) {
    it(`${driver === '' ? 'with no <driver>' : 'with ' + driver} is served by vhost-net: QEMU's I/O thread does no per-packet work`, () => {
      const { g } = started(guest(`<model type='virtio'/>${driver}`), 300);
      expect(g.workload.stats()).toMatchObject({ bytes: 1024 * 1024, errors: 0, finished: true });
      const q = g.qemu!;
      const st = g.net!.stack!.stats;
      const packets = st.framesIn + st.framesOut;
      console.log(`virtio NIC ${driver || '(no driver)'}: ${packets} packets; I/O thread ${busyNs(q.ioThread)} ns, vhost-net ${busyNs(q.vhostNet)} ns`);
      expect(g.net!.model).toBe('virtio');
      expect(g.mode).toBe('kvm-vhost');
      expect(packets).toBeGreaterThan(500);
      expect(busyNs(q.ioThread)).toBe(0); // QEMU never hears of a packet
      expect(busyNs(q.vhostNet) / packets).toBeGreaterThan(0); // the worker does it, in the kernel
      expect(q.vhostNet!.stats.userNs).toBe(0);
    });
  }

  it("with <driver name='qemu'/> is served by QEMU's I/O thread, with no vhost-net worker", () => {
    const { g } = started(guest("<model type='virtio'/><driver name='qemu'/>"), 300);
    expect(g.workload.stats()).toMatchObject({ bytes: 1024 * 1024, errors: 0, finished: true });
    const q = g.qemu!;
    const st = g.net!.stack!.stats;
    const packets = st.framesIn + st.framesOut;
    console.log(`virtio NIC <driver name='qemu'/>: ${packets} packets; I/O thread ${busyNs(q.ioThread)} ns`);
    expect(g.mode).toBe('kvm-virtio');
    expect(q.vhostNet).toBeUndefined();
    expect(busyNs(q.ioThread) / packets).toBeGreaterThan(0);
  });

  it("on a plain QEMU domain (type='qemu') gets QEMU's backend: libvirt opens vhost-net only for KVM", () => {
    const { g } = started(guest("<model type='virtio'/>", TTCP, 'qemu'), 300);
    expect(g.workload.stats()).toMatchObject({ errors: 0, finished: true });
    expect(g.qemu!.vhostNet).toBeUndefined();
    expect(busyNs(g.qemu!.ioThread)).toBeGreaterThan(0);
  });

  it('leaves the virtio disk beside it on QEMU\'s I/O thread: no vhost-blk, and each read pays the ioeventfd wake-up', () => {
    const { g } = started(guest("<model type='virtio'/>", FIO), 200);
    const q = g.qemu!;
    expect(g.fio!).toMatchObject({ done: true, ops: 200, errors: 0 });
    expect(q.vhostNet).toBeDefined();
    expect(q.vhostBlk).toBeUndefined();
    expect(q.virtio!.device.stats.requests).toBe(200);
    expect(q.ioThread.stats.userNs).toBeGreaterThan(0); // the reads are QEMU's, in user space
    expect(busyNs(q.vhostNet)).toBe(0);
    // The same guest from a scenario with `vhost: 1` has vhost-blk serve the disk, ~20 us sooner per read.
    const scenario = (vhost: boolean) => runKvm(kvmYaml({ guests: [{ vdev: 'vda', vhost, workload: '{kind: fio, rw: randread, bs: 4k, iodepth: 1, ops: 200}' }] })).w.guests.find((x) => x.fio)!.fio!.latency.mean;
    const [libvirt, virtio, vhostBlk] = [g.fio!.latency.mean, scenario(false), scenario(true)];
    console.log(`4 KiB read at iodepth 1: libvirt's virtio disk ${(libvirt / 1e3).toFixed(1)} us, scenario virtio ${(virtio / 1e3).toFixed(1)} us, scenario vhost-blk ${(vhostBlk / 1e3).toFixed(1)} us`);
    expect(Math.abs(libvirt - virtio)).toBeLessThan(1_000);
    expect(libvirt - vhostBlk).toBeGreaterThan(15_000);
  });

  it('dies with its QEMU process: destroy takes the vhost-net worker offline with the I/O thread', () => {
    const w = kvmHost();
    const dom = must(must(connect('qemu:///system', w)).createXML(guest("<model type='virtio'/>")));
    w.engine.run(100 * MS);
    const q = w.guests.find((x) => x.domain.name === 'web')!.qemu!;
    const host = w.hv.domain(0)!.vcpus;
    const [io, vhostNet] = [q.ioThread, q.vhostNet!].map((t) => host[t.env!.vcpu]!);
    const others = host.filter((v) => v !== io && v !== vhostNet); // the host kernel's own (its NIC's softirq)
    expect([io!.unplugged, vhostNet!.unplugged]).toEqual([false, false]);
    must(dom.destroy());
    w.engine.run(200 * MS);
    expect([io!.unplugged, vhostNet!.unplugged]).toEqual([true, true]);
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((v) => !v.unplugged)).toBe(true);
  });
});

describe("<driver name='vhost'/> on a NIC model with no vhost backend", () => {
  it('is refused when the domain starts, with the QEMU driver\'s error, and nothing is left running', () => {
    const w = kvmHost();
    const conn = must(connect('qemu:///system', w));
    const dom = must(conn.defineXML(guest("<model type='e1000'/><driver name='vhost'/>")));
    const r = dom.create();
    expect(r.ok ? undefined : r.error).toEqual({
      code: VIR_ERR.CONFIG_UNSUPPORTED, domain: VIR_FROM.QEMU, message: 'unsupported configuration: vhost-net is only supported for virtio network interfaces',
    });
    expect(must(dom.getState()).state).toBe(VIR_DOMAIN.SHUTOFF);
    expect(w.hv.list().map((d) => d.name)).toEqual(['host']);
    const s = { connect: () => ({ ok: true as const, value: conn }), readFile: () => '' };
    expect(virsh(s, 'start web').stderr).toBe("error: Failed to start domain 'web'\nerror: unsupported configuration: vhost-net is only supported for virtio network interfaces\n");
  });

  it("is no error with <driver name='qemu'/>: an e1000 is QEMU's anyway", () => {
    const { g } = started(guest("<model type='e1000'/><driver name='qemu'/>"), 100);
    expect(g.net!.model).toBe('e1000');
    expect(g.qemu!.vhostNet).toBeUndefined();
  });
});

describe('<interface><driver name=...> in domain XML', () => {
  it('dumpxml writes it back after <model> as written, and nothing when absent; what it writes defines the same domain', () => {
    for (const driver of ["<driver name='qemu'/>", "<driver name='vhost'/>", '']) {
      const conn = must(connect('qemu:///system', kvmHost()));
      const dom = must(conn.defineXML(guest(`<model type='virtio'/>${driver}`)));
      const xml = must(dom.getXMLDesc());
      const nic = xml.slice(xml.indexOf('    <interface'), xml.indexOf('</interface>') + '</interface>'.length);
      expect(nic).toBe(["    <interface type='bridge'>", "      <source bridge='br0'/>", "      <model type='virtio'/>", ...(driver ? [`      ${driver}`] : []), '    </interface>'].join('\n'));
      const again = parseDomainXML(xml);
      expect(again.ok && again.value).toEqual(must(parseDomainXML(guest(`<model type='virtio'/>${driver}`))));
    }
  });

  it('names only qemu or vhost, as libvirt\'s schema does', () => {
    const r = parseDomainXML(guest("<model type='virtio'/><driver name='vfio'/>"));
    expect(r.ok ? undefined : r.error).toEqual({ code: VIR_ERR.XML_ERROR, domain: VIR_FROM.DOMAIN, message: "XML error: Invalid value for attribute 'name' in element 'driver': 'vfio'." });
  });
});
