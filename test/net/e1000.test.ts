// The e1000 register model (hw/devices/e1000) on a bare test machine: rings in RAM, frames to
// and from a test backend, interrupt causes and moderation, and a hostile driver.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NativeMachine } from '../helpers/native-io';
import { DEFAULT_E1000_MMIO as BAR, E1000, ICR_RXO, ICR_RXT0, ICR_TXDW, REG_EERD, REG_ICR, REG_IMS, REG_IMC, REG_ITR, REG_RCTL, REG_RDBAL, REG_RDLEN, REG_RDT, REG_TCTL, REG_TDBAL, REG_TDH, REG_TDLEN, REG_TDT, RCTL_EN, TCTL_EN } from '../../hw/devices/e1000/index';

const MAC = 0x00163e000102;
const TX_RING = 0x10000;
const RX_RING = 0x11000;
const BUF = 0x20000;

function nic(opts: { busy?: () => boolean } = {}) {
  const m = new NativeMachine();
  const sent: Uint8Array[] = [];
  const dev = new E1000(m.engine, m.irq(10), m.deviceMemory, { send: (f) => (opts.busy?.() ? false : (sent.push(f), true)) }, { mac: MAC });
  m.space.attach(dev);
  const r = (off: number) => m.space.read(BAR + off, 4, 'mmio');
  const w = (off: number, v: number) => m.space.write(BAR + off, 4, v, 'mmio');
  return { m, dev, sent, r, w, irq: m.irq(10) };
}

type Nic = ReturnType<typeof nic>;

function txDesc(n: Nic, i: number, addr: number, len: number, cmd: number): void {
  const d = new DataView(new ArrayBuffer(16));
  d.setUint32(0, addr, true);
  d.setUint16(8, len, true);
  d.setUint8(11, cmd);
  n.m.ram.write(TX_RING + i * 16, new Uint8Array(d.buffer));
}

function setupTx(n: Nic): void {
  n.w(REG_TDBAL, TX_RING);
  n.w(REG_TDLEN, 8 * 16 * 2);
  n.w(REG_TDH, 0);
  n.w(REG_TDT, 0);
  n.w(REG_TCTL, TCTL_EN);
}

function setupRx(n: Nic, buffers: number): void {
  for (let i = 0; i < 16; i++) n.m.ram.write(RX_RING + i * 16, Uint8Array.of(...new Uint8Array(new Uint32Array([BUF + i * 2048]).buffer), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  n.w(REG_RDBAL, RX_RING);
  n.w(REG_RDLEN, 16 * 16);
  n.w(REG_RDT, buffers);
  n.w(REG_RCTL, RCTL_EN);
}

const frameTo = (mac: number, len: number): Uint8Array => {
  const f = new Uint8Array(len).map((_, i) => i & 0xff);
  for (let i = 0; i < 6; i++) f[i] = Math.floor(mac / 2 ** (8 * (5 - i))) % 256;
  return f;
};

describe('e1000', () => {
  it('reads its MAC from the EEPROM through EERD, words summing to 0xBABA', () => {
    const n = nic();
    const words = Array.from({ length: 64 }, (_, a) => {
      n.w(REG_EERD, (a << 8) | 1);
      const v = n.r(REG_EERD);
      expect(v & 0x10).toBe(0x10);
      return v >>> 16;
    });
    expect(words.reduce((s, x) => s + x, 0) & 0xffff).toBe(0xbaba);
    expect(words.slice(0, 3)).toEqual([0x1600, 0x003e, 0x0201]);
  });

  it('a TDT write sends each frame built across descriptors and writes DD back where RS asks', () => {
    const n = nic();
    setupTx(n);
    n.m.ram.write(BUF, Uint8Array.from({ length: 100 }, (_, i) => i));
    txDesc(n, 0, BUF, 14, 0x02);
    txDesc(n, 1, BUF + 14, 86, 0x0b); // EOP | IFCS | RS
    txDesc(n, 2, BUF, 60, 0x03);
    n.w(REG_IMS, ICR_TXDW);
    n.w(REG_TDT, 3);
    expect(n.sent.map((f) => f.length)).toEqual([100, 60]);
    expect([...n.sent[0]!]).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(n.m.ram.read(TX_RING + 16 + 12, 1)[0]).toBe(1);
    expect(n.m.ram.read(TX_RING + 32 + 12, 1)[0]).toBe(0);
    expect(n.r(REG_TDH)).toBe(3);
    expect(n.irq.edges).toBe(1);
    expect(n.r(REG_ICR) & ICR_TXDW).toBe(ICR_TXDW);
    expect(n.r(REG_ICR)).toBe(0); // read to clear
  });

  it('a busy backend stops the ring with the frame kept, and it goes when the backend is ready', () => {
    let busy = true;
    const n = nic({ busy: () => busy });
    setupTx(n);
    txDesc(n, 0, BUF, 60, 0x0b);
    txDesc(n, 1, BUF, 64, 0x0b);
    n.w(REG_TDT, 2);
    expect([n.sent.length, n.r(REG_TDH)]).toEqual([0, 0]);
    busy = false;
    n.dev.backendReady();
    expect([n.sent.map((f) => f.length), n.r(REG_TDH)]).toEqual([[60, 64], 2]);
  });

  it('receives into the buffers from RDH, and misses a frame when software gave none', () => {
    const n = nic();
    setupRx(n, 1);
    n.w(REG_IMS, ICR_RXT0 | ICR_RXO);
    expect(n.dev.receive(frameTo(0x001122334455, 100))).toBe('filtered');
    expect(n.dev.receive(frameTo(MAC, 100))).toBe('ok');
    const d = n.m.ram.read(RX_RING, 16);
    expect([d[8]! | (d[9]! << 8), d[12]]).toEqual([100, 0x03]); // length, DD | EOP
    expect([...n.m.ram.read(BUF + 6, 4)]).toEqual([6, 7, 8, 9]);
    expect(n.dev.receive(frameTo(MAC, 100))).toBe('no-buffers');
    expect(n.r(REG_ICR) & (ICR_RXT0 | ICR_RXO)).toBe(ICR_RXT0 | ICR_RXO);
  });

  it('with IMC the line stays low; IMS with causes pending raises it', () => {
    const n = nic();
    setupRx(n, 8);
    n.w(REG_IMS, ICR_RXT0);
    n.w(REG_IMC, 0xffffffff);
    n.dev.receive(frameTo(MAC, 80));
    expect(n.irq.edges).toBe(0);
    n.w(REG_IMS, ICR_RXT0);
    expect(n.irq.edges).toBe(1);
  });

  it('interrupt moderation: at most one interrupt per ITR x 256 ns, the next cause waiting for it', () => {
    const n = nic();
    setupRx(n, 15);
    n.w(REG_ITR, 100); // 25.6 us
    n.w(REG_IMS, ICR_RXT0);
    n.dev.receive(frameTo(MAC, 80));
    expect(n.irq.edges).toBe(1);
    n.r(REG_ICR);
    n.irq.lower();
    n.dev.receive(frameTo(MAC, 80));
    n.dev.receive(frameTo(MAC, 80));
    expect(n.irq.edges).toBe(1);
    n.m.engine.run(25_599);
    expect(n.irq.edges).toBe(1);
    n.m.engine.run(25_600);
    expect(n.irq.edges).toBe(2);
    expect(n.dev.stats.interrupts).toBe(2);
  });

  it('a hostile driver (any registers, any descriptors) never makes it throw', () => {
    const offsets = [0, 8, 0x14, 0xc0, 0xc4, 0xc8, 0xd0, 0xd8, 0x100, 0x400, 0x2800, 0x2804, 0x2808, 0x2810, 0x2818, 0x3800, 0x3804, 0x3808, 0x3810, 0x3818, 0x5400, 0x5404, 0x1234];
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom(...offsets), fc.integer({ min: 0, max: 0xffffffff })), { maxLength: 40 }),
      fc.uint8Array({ minLength: 256, maxLength: 256 }),
      (writes, ring) => {
        const n = nic();
        n.m.ram.write(0, ring);
        for (const [off, v] of writes) {
          n.w(off, v);
          n.r(off);
          n.dev.receive(frameTo(MAC, 64));
        }
        n.m.engine.run(1_000_000);
        expect(n.dev.stats.txFrames + n.dev.stats.txBadFrames).toBeGreaterThanOrEqual(0);
      },
    ), { numRuns: 120 });
  });
});
