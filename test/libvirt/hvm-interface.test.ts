// An HVM guest's <interface> in domain XML gets exactly one emulated NIC, and it carries traffic.
import { describe, expect, it } from 'vitest';
import { connect, VIR_DOMAIN } from '../../lab/libvirt/index';
import { virsh } from '../../lab/libvirt/virsh';
import { guestXml, must, MS, xenHost } from './helpers';

const IDE_DISK = `<disk type='block' device='disk'><source dev='/dev/vg0/web'/><target dev='hda' bus='ide'/></disk>`;
const hvmXml = (model: string) =>
  guestXml({ os: 'hvm', disk: IDE_DISK, workload: 'kind="ttcp"' })
    .replace("<interface type='bridge'><source bridge='xenbr0'/></interface>", `<interface type='bridge'><source bridge='xenbr0'/><model type='${model}'/></interface>`);

describe('an HVM guest with an <interface> from domain XML', () => {
  for (const model of ['rtl8139', 'e1000'] as const) {
    it(`virsh define and start give it one emulated ${model} that moves ttcp's packets`, () => {
      const w = xenHost();
      const conn = must(connect('xen:///system', w));
      const s = { connect: () => ({ ok: true as const, value: conn }), readFile: () => hvmXml(model) };
      expect(virsh(s, 'define web.xml')).toMatchObject({ ok: true, stderr: '' });
      expect(virsh(s, 'start web')).toEqual({ ok: true, stdout: "Domain 'web' started\n\n", stderr: '' });
      w.engine.run(1000 * MS); // 16 MiB through an emulated rtl8139 takes about 0.6 s
      const dom = must(conn.lookupByName('web'));
      expect(must(dom.getState()).state).toBe(VIR_DOMAIN.RUNNING);
      const g = w.guests.find((x) => x.domain.name === 'web')!;
      expect(g.mode).toBe('hvm');
      // One NIC for the one interface: its register window on the platform, its tap on the bridge.
      expect(g.net?.model).toBe(model);
      expect(g.platform!.io.claimant(model === 'rtl8139' ? 0xc100 : 0xfeb8_0000, model === 'rtl8139' ? 'pio' : 'mmio')).toBe(g.net!.attached);
      const stats = g.workload.stats();
      expect(stats.errors).toBe(0);
      expect(g.net!.tap!.stats.txFrames).toBeGreaterThan(1000);
      expect(g.net!.tap!.stats.rxFrames).toBeGreaterThan(100);
      expect(stats.finished).toBe(true);
    });
  }

  it("reads <model type='netfront'/> as a PV-only interface (xl's type=vif): no emulated NIC, and it starts", () => {
    const w = xenHost();
    const conn = must(connect('xen:///system', w));
    const xml = guestXml({ os: 'hvm', disk: IDE_DISK, workload: 'kind="cpu-burn"' })
      .replace("<interface type='bridge'><source bridge='xenbr0'/></interface>", "<interface type='bridge'><source bridge='xenbr0'/><model type='netfront'/></interface>");
    const s = { connect: () => ({ ok: true as const, value: conn }), readFile: () => xml };
    expect(virsh(s, 'define web.xml')).toMatchObject({ ok: true, stderr: '' });
    expect(virsh(s, 'start web')).toEqual({ ok: true, stdout: "Domain 'web' started\n\n", stderr: '' });
    w.engine.run(50 * MS);
    expect(must(must(conn.lookupByName('web')).getState()).state).toBe(VIR_DOMAIN.RUNNING);
    const g = w.guests.find((x) => x.domain.name === 'web')!;
    expect(g.mode).toBe('hvm');
    // Without PV drivers an HVM guest cannot use a PV-only interface: nothing sits at the NIC's ports.
    expect(g.platform!.io.claimant(0xc100, 'pio')).toBeUndefined();
    expect(g.net?.attached).toBeUndefined();
  });
});
