// The rtl8139 register model (hw/devices/rtl8139) on a bare test machine.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NativeMachine } from '../helpers/native-io';
import { CR_RE, CR_TE, DEFAULT_RTL8139_IO as IO, INT_ROK, INT_RXOVW, INT_TOK, R_CAPR, R_CBR, R_CR, R_IMR, R_ISR, R_RBSTART, R_RCR, R_TSAD0, R_TSD0, RCR_APM, RCR_WRAP, Rtl8139, TSD_OWN, TSD_TOK } from '../../hw/devices/rtl8139/index';

const MAC = 0x00163e000203;
const RING = 0x30000;

function nic() {
  const m = new NativeMachine();
  const sent: Uint8Array[] = [];
  const dev = new Rtl8139(m.irq(10), m.deviceMemory, { send: (f) => (sent.push(f), true) }, { mac: MAC });
  m.space.attach(dev);
  const r = (off: number, size: 1 | 2 | 4) => m.space.read(IO + off, size, 'pio');
  const w = (off: number, size: 1 | 2 | 4, v: number) => m.space.write(IO + off, size, v, 'pio');
  return { m, dev, sent, r, w, irq: m.irq(10) };
}

const frameTo = (mac: number, len: number): Uint8Array => {
  const f = new Uint8Array(len).map((_, i) => (i * 7) & 0xff);
  for (let i = 0; i < 6; i++) f[i] = Math.floor(mac / 2 ** (8 * (5 - i))) % 256;
  return f;
};

describe('rtl8139', () => {
  it('has its MAC in IDR0-5 and starts with every descriptor owned by the driver', () => {
    const n = nic();
    expect([0, 1, 2, 3, 4, 5].map((i) => n.r(i, 1))).toEqual([0x00, 0x16, 0x3e, 0x00, 0x02, 0x03]);
    for (let d = 0; d < 4; d++) expect(n.r(R_TSD0 + 4 * d, 4) & TSD_OWN).toBe(TSD_OWN);
  });

  it('a TSD write sends the frame at TSAD and sets OWN, TOK and ISR.TOK', () => {
    const n = nic();
    n.w(R_CR, 1, CR_TE);
    n.w(R_IMR, 2, INT_TOK);
    n.m.ram.write(0x1000, frameTo(0x1234, 70));
    n.w(R_TSAD0 + 4, 4, 0x1000);
    n.w(R_TSD0 + 4, 4, 70);
    expect(n.sent.map((f) => f.length)).toEqual([70]);
    expect(n.r(R_TSD0 + 4, 4) & (TSD_OWN | TSD_TOK)).toBe(TSD_OWN | TSD_TOK);
    expect(n.r(R_ISR, 2)).toBe(INT_TOK | 0x20);
    expect(n.irq.edges).toBe(1);
    n.w(R_ISR, 2, 0xffff);
    expect(n.r(R_ISR, 2)).toBe(0);
  });

  it('receives behind a 4-byte header at CBR, 4-byte aligned, until CAPR says the ring is full', () => {
    const n = nic();
    n.w(R_RBSTART, 4, RING);
    n.w(R_RCR, 4, RCR_APM | RCR_WRAP); // 8 KiB ring
    n.w(R_CR, 1, CR_RE);
    expect(n.r(R_CR, 1) & 1).toBe(1); // BUFE
    expect(n.dev.receive(frameTo(MAC, 61))).toBe('ok');
    const h = n.m.ram.read(RING, 4);
    expect([h[0]! | (h[1]! << 8), h[2]! | (h[3]! << 8)]).toEqual([1, 65]);
    expect(n.r(R_CBR, 2)).toBe(72);
    expect(n.r(R_CR, 1) & 1).toBe(0);
    let ok = 1;
    while (n.dev.receive(frameTo(MAC, 1500)) === 'ok') ok++;
    expect(ok).toBe(6);
    expect(n.r(R_ISR, 2) & (INT_ROK | INT_RXOVW)).toBe(INT_ROK | INT_RXOVW);
    n.w(R_CAPR, 2, (n.r(R_CBR, 2) - 16) & 0xffff); // the driver read everything
    expect(n.dev.receive(frameTo(MAC, 1500))).toBe('ok');
  });

  it('an interrupt still asserted after an acknowledgement is delivered again (level-triggered)', () => {
    const n = nic();
    n.w(R_CR, 1, CR_TE | CR_RE);
    n.w(R_RBSTART, 4, RING);
    n.w(R_RCR, 4, RCR_APM);
    n.w(R_IMR, 2, INT_TOK | INT_ROK);
    n.w(R_TSAD0, 4, 0x1000);
    n.w(R_TSD0, 4, 60);
    n.dev.receive(frameTo(MAC, 60));
    expect(n.irq.edges).toBe(1);
    n.irq.lower();
    n.w(R_ISR, 2, INT_TOK); // ROK is still there
    expect(n.irq.edges).toBe(2);
  });

  it('a hostile driver never makes it throw', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 0xff }), fc.constantFrom<1 | 2 | 4>(1, 2, 4), fc.integer({ min: 0, max: 0xffffffff })), { maxLength: 60 }), (ops) => {
      const n = nic();
      for (const [off, size, v] of ops) {
        n.w(off, size, v);
        n.r(off, size);
        n.dev.receive(frameTo(MAC, 100));
      }
      expect(n.dev.stats.rxFrames).toBeGreaterThanOrEqual(0);
    }), { numRuns: 150 });
  });
});
