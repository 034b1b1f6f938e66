// The vif key of xl.cfg (REFERENCE §8.4) as pvlab builds it: the emulated model (rtl8139 unless
// model= says otherwise, as in Xen), type=vif for PV only, the MAC, the xenstore keys of §5.2 on
// both ends of a PV vif, PVHVM's unplug of the emulated NIC, and a UDP flood's datagrams.
import { describe, expect, it } from 'vitest';
import { buildWorld } from '../../lab/run/world';
import { scenarioFrom } from '../helpers/world';
import { runScenario } from '../../lab/run/runner';
import { DEFAULT_RTL8139_IO } from '../../hw/devices/rtl8139/index';
import { XenbusState } from '../../hypervisor/public/io/xs_wire';
import { runNet } from './helpers';

const world = (domains: string, duration = '50ms') => buildWorld(scenarioFrom(`name: vifs\nduration: ${duration}\nhost: {pcpus: 4}\ndomains:\n${domains}`));

describe('vif configuration', () => {
  it('an HVM guest gets an rtl8139 by default, an e1000 with model=e1000, none with type=vif', () => {
    const w = world(`  - {name: a, type: hvm, memory: 128, vif: ['bridge=xenbr0']}
  - {name: b, type: hvm, memory: 128, vif: ['mac=00:16:3e:01:02:03, bridge=xenbr0, model=e1000, type=ioemu']}
  - {name: c, type: hvm, memory: 128, vif: ['type=vif']}
`);
    const g = (n: string) => w.guests.find((x) => x.domain.name === n)!;
    expect(g('a').net!.model).toBe('rtl8139');
    expect(g('a').platform!.io.claimant(DEFAULT_RTL8139_IO, 'pio')?.name).toBe('rtl8139');
    expect([g('b').net!.model, g('b').net!.mac]).toEqual(['e1000', 0x00163e010203]);
    expect(g('c').net!.device).toBeUndefined();
    expect(w.net!.bridge.portNames).toEqual(['peth0', 'vif1.0-emu', 'vif2.0-emu']);
  });

  it('a PV vif has libxl\'s keys at state 1 on both ends, then the rings and channel once connected', () => {
    const w = world(`  - {name: p, type: pv, memory: 128, vif: ['mac=00:16:3e:0a:0b:0c'], workload: {kind: ttcp, mode: sink}}\n`);
    const fe = '/local/domain/1/device/vif/0';
    const be = '/local/domain/0/backend/vif/1/0';
    const read = (p: string) => w.dom0.xs.read(undefined, p);
    expect([read(`${fe}/state`), read(`${fe}/mac`), read(`${fe}/backend`), read(`${be}/frontend-id`), read(`${be}/bridge`), read(`${be}/handle`)]).toEqual(['1', '00:16:3e:0a:0b:0c', be, '1', 'xenbr0', '0']);
    w.engine.run(w.scenario.duration);
    expect(Number(read(`${fe}/state`))).toBe(XenbusState.Connected);
    expect(Number(read(`${be}/state`))).toBe(XenbusState.Connected);
    for (const key of ['tx-ring-ref', 'rx-ring-ref', 'event-channel']) expect(Number(read(`${fe}/${key}`))).toBeGreaterThanOrEqual(0);
    expect([read(`${fe}/request-rx-copy`), read(`${be}/feature-rx-copy`), read(`${be}/feature-sg`)]).toEqual(['1', '1', '1']);
    expect(w.net!.bridge.portNames).toEqual(['peth0', 'vif1.0']);
  });

  it('a PVHVM guest unplugs its emulated NIC at boot and talks through netfront', () => {
    const o = runNet('pvhvm', 'ttcp', { bytes: '1MiB' }, '300ms');
    expect(o.g.net!.attached).toBeUndefined();
    expect(o.g.platform!.io.claimant(0xfeb8_0000, 'mmio')).toBeUndefined();
    expect(o.g.net!.tap!.stats.txFrames + o.g.net!.tap!.stats.rxFrames).toBe(0);
    expect(o.world.net!.bridge.portNames).toEqual(['peth0', 'vif1.0']);
    expect(o.g.workload.stats()).toMatchObject({ bytes: 1 << 20, finished: true });
    expect(o.report.domains.find((d) => d.name === 'guest')!.network).toMatchObject({ nic: 'netfront' });
  });

  it('udp-flood: the peer counts every datagram that was not dropped on the way, none out of order', () => {
    for (const mode of ['pv', 'hvm', 'native'] as const) {
      const o = runNet(mode, 'udp-flood', { packets: '3000', size: '64' }, '300ms');
      const sent = Number(o.g.workload.stats()['sent']);
      const peer = o.world.net!.peer.udpStats(9)!;
      expect(sent).toBe(3000);
      expect(peer.outOfOrder).toBe(0);
      expect(peer.datagrams + peer.lost).toBe(sent);
      expect(peer.datagrams).toBeGreaterThan(0);
    }
  });

  it('runs with two guests on one bridge and the reports show each interface', () => {
    const o = runScenario(scenarioFrom(`name: two
duration: 100ms
host: {pcpus: 4}
domains:
  - {name: a, type: pv, memory: 128, vif: ['bridge=xenbr0'], workload: {kind: netperf-rr, transactions: 100}}
  - {name: b, type: hvm, memory: 128, vif: ['model=e1000'], workload: {kind: netperf-rr, protocol: udp, transactions: 100}}
`));
    const r = (n: string) => o.report.domains.find((d) => d.name === n)!;
    expect(r('a').workload).toMatchObject({ transactions: 100, finished: true, errors: 0 });
    expect(r('b').workload).toMatchObject({ transactions: 100, finished: true, errors: 0 });
    expect(r('a').network).toMatchObject({ nic: 'netfront', ip: '10.1.1.2', framesOut: expect.any(Number) });
    expect(r('b').network).toMatchObject({ nic: 'e1000', ip: '10.1.2.2' });
  });

  it('jumbo frames (mtu 9000 on both guests) cross the bridge in several rx slots, every byte intact', () => {
    const o = runScenario(scenarioFrom(`name: jumbo
duration: 200ms
host: {pcpus: 4}
dom0: {vcpus: 2}
domains:
  - {name: a, type: pv, memory: 256, vif: ['bridge=xenbr0'], workload: {kind: ttcp, peer: b, bytes: 2MiB, mtu: 9000}}
  - {name: b, type: pv, memory: 256, vif: ['bridge=xenbr0'], workload: {kind: ttcp, mode: sink, mtu: 9000}}
`));
    const b = o.report.domains.find((d) => d.name === 'b')!;
    expect(b.workload).toMatchObject({ bytes: 2 << 20, verifyErrors: 0, errors: 0, finished: true });
    expect(b.network!.bytesIn / b.network!.framesIn).toBeGreaterThan(4096); // frames bigger than a page
  });

  it('the same scenario and seed give byte-identical reports', () => {
    for (const mode of ['pv', 'hvm'] as const) {
      const a = JSON.stringify(runNet(mode, 'ttcp', { bytes: '512KiB' }, '100ms').report);
      expect(JSON.stringify(runNet(mode, 'ttcp', { bytes: '512KiB' }, '100ms').report)).toBe(a);
    }
  });
});
