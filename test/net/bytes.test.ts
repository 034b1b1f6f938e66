// Acceptance: every byte a guest sends arrives at the other end once and in order — in every
// mode (native e1000, PV netfront, the emulated e1000 and rtl8139 under VT-x, binary
// translation and TCG, PVHVM with its emulated NIC unplugged, PVH), in both directions, and
// across the bridge between two guests. "Once and in order": the receiving application gets
// exactly the number of bytes sent, each equal to the sender's stream at its offset.
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/world';
import { ALL_MODES, runNet, sinkOf } from './helpers';

const BYTES = 1 << 20;

describe('every byte arrives once and in order', () => {
  it.each(ALL_MODES)('ttcp transmit to the remote peer under %s', (mode) => {
    const o = runNet(mode, 'ttcp', { bytes: String(BYTES) }, '1s');
    const job = o.g.net!.job!;
    expect(job.error).toBeUndefined();
    expect(job.finishedAt).toBeGreaterThan(0);
    const [sink, ...others] = sinkOf(o);
    expect(others).toHaveLength(0);
    expect(sink!.stats).toMatchObject({ bytesIn: BYTES, verifyErrors: 0, eof: true });
    expect(sink!.tcp.stats.outOfOrder + sink!.tcp.stats.duplicates).toBe(0);
  });

  it.each(ALL_MODES)('ttcp receive from the remote peer under %s', (mode) => {
    const o = runNet(mode, 'ttcp', { mode: 'receive', bytes: String(BYTES) }, '1s');
    const w = o.g.workload.stats();
    expect(w).toMatchObject({ bytes: BYTES, verifyErrors: 0, errors: 0, finished: true });
  });

  it('guest to guest across xenbr0: PV to PV, and an HVM guest (emulated e1000, through its tap) to a PV one', () => {
    const o = run(`name: g2g
duration: 1s
host: {pcpus: 4}
dom0: {vcpus: 2}
domains:
  - {name: a, type: pv, memory: 256, vif: ['bridge=xenbr0'], workload: {kind: ttcp, peer: b, bytes: 1MiB}}
  - {name: b, type: pv, memory: 256, vif: ['bridge=xenbr0'], workload: {kind: ttcp, mode: sink}}
  - {name: c, type: hvm, memory: 256, vif: ['model=e1000'], workload: {kind: ttcp, peer: d, bytes: 1MiB}}
  - {name: d, type: pv, memory: 256, vif: ['bridge=xenbr0'], workload: {kind: ttcp, mode: sink}}
`);
    const stats = (name: string) => o.world.guests.find((g) => g.domain.name === name)!.workload.stats();
    expect(stats('a')).toMatchObject({ bytes: BYTES, errors: 0, finished: true });
    expect(stats('b')).toMatchObject({ bytes: BYTES, verifyErrors: 0, errors: 0, finished: true });
    expect(stats('c')).toMatchObject({ bytes: BYTES, errors: 0, finished: true });
    expect(stats('d')).toMatchObject({ bytes: BYTES, verifyErrors: 0, errors: 0, finished: true });
    const net = o.world.net!;
    expect(net.bridge.portNames.sort()).toEqual(['peth0', 'vif1.0', 'vif2.0', 'vif3.0-emu', 'vif4.0'].sort());
    // Nothing of it left the machine: the bridge learned every guest and stopped flooding.
    expect(net.nic.stats.txFrames).toBeLessThan(10);
    expect(net.peer.connections()).toHaveLength(0);
  });
});
