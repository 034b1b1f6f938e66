import { describe, expect, it } from 'vitest';
import { NativeMachine } from '../../helpers/native-io';
import { Uart16550 } from '../../../hw/devices/uart16550';

const B = 0x3f8;

function uart(tx: 'line' | 'instant' = 'line') {
  const m = new NativeMachine();
  const u = new Uart16550(m.engine, m.irq(4), { tx });
  m.space.attach(u);
  const inb = (off: number) => m.space.read(B + off, 1, 'pio');
  const outb = (off: number, v: number) => m.space.write(B + off, 1, v, 'pio');
  return { m, u, inb, outb, irq: m.irq(4) };
}

/** 115200 baud, 8N1, FIFOs on, OUT2 (interrupts reach the line). */
function setup(c: ReturnType<typeof uart>, fifo = true): void {
  c.outb(3, 0x80);
  c.outb(0, 1);
  c.outb(1, 0);
  c.outb(3, 0x03);
  c.outb(2, fifo ? 0xc7 : 0);
  c.outb(4, 0x0b);
}

describe('the 16550A UART model', () => {
  it('keeps the divisor latch behind DLAB and the scratch register as written', () => {
    const c = uart();
    c.outb(3, 0x80);
    c.outb(0, 0x34);
    c.outb(1, 0x12);
    expect([c.inb(0), c.inb(1)]).toEqual([0x34, 0x12]);
    c.outb(3, 0x03);
    expect(c.inb(1)).toBe(0); // IER again
    c.outb(7, 0x5a);
    expect(c.inb(7)).toBe(0x5a);
    expect(c.inb(5)).toBe(0x60); // idle: THRE and TEMT
    expect(c.inb(2)).toBe(0x01); // no interrupt, FIFOs off
  });

  it('sends each byte one character time after the previous one: 86.8 µs at 115200 8N1, 1.04 ms at 9600', () => {
    const c = uart();
    setup(c);
    for (const ch of 'abc') c.outb(0, ch.charCodeAt(0));
    expect(c.inb(5) & 0x60).toBe(0); // FIFO holds the rest, shifter busy
    c.m.engine.run();
    expect(c.u.text()).toBe('abc');
    expect(c.u.output.map((b) => b.timeNs)).toEqual([86_806, 173_611, 260_417].map((t) => expect.closeTo(t, -1)));
    expect(c.inb(5)).toBe(0x60);
    c.outb(3, 0x80);
    c.outb(0, 12);
    c.outb(3, 0x03);
    expect(c.u.charTimeNs).toBe(1_041_667);
  });

  it('holds 16 bytes in the transmit FIFO besides the shifter and drops what does not fit', () => {
    const c = uart();
    setup(c);
    for (let i = 0; i < 20; i++) c.outb(0, 0x41 + i);
    expect(c.u.stats.txDropped).toBe(3);
    c.m.engine.run();
    expect(c.u.text()).toBe('ABCDEFGHIJKLMNOPQ');
  });

  it('raises THRE when the FIFO empties if enabled, and a read of IIR acknowledges it', () => {
    const c = uart();
    setup(c);
    c.outb(1, 0x02);
    expect(c.irq.level).toBe(true); // enabling it while empty interrupts at once
    expect(c.inb(2)).toBe(0xc2);
    expect(c.irq.level).toBe(false);
    expect(c.inb(2)).toBe(0xc1);
    c.outb(0, 0x41);
    c.outb(0, 0x42);
    expect(c.irq.level).toBe(false);
    c.m.engine.run(90_000); // first byte out, second moves into the shifter: FIFO empty
    expect(c.irq.level).toBe(true);
    c.outb(0, 0x43); // writing THR also clears it
    expect(c.irq.level).toBe(false);
  });

  it('keeps the IRQ line low without OUT2, as a PC wires it', () => {
    const c = uart();
    setup(c);
    c.outb(4, 0x03);
    c.outb(1, 0x02);
    expect(c.inb(2)).toBe(0xc2);
    expect(c.irq.edges).toBe(0);
  });

  it('in QEMU-like instant mode, sends at once and never drops THRE', () => {
    const c = uart('instant');
    setup(c);
    c.outb(0, 0x68);
    c.outb(0, 0x69);
    expect(c.u.text()).toBe('hi');
    expect(c.u.output.map((b) => b.timeNs)).toEqual([0, 0]);
    expect(c.inb(5)).toBe(0x60);
  });

  it('receives bytes into the FIFO, interrupts at the trigger level, and flags a timeout below it', () => {
    const c = uart();
    setup(c);
    c.outb(2, 0x41); // FIFO on, trigger at 4
    c.outb(1, 0x01);
    c.u.receive([1, 2, 3]);
    expect(c.irq.level).toBe(false);
    c.u.receive([4]);
    expect(c.inb(2)).toBe(0xc4);
    expect([c.inb(0), c.inb(0)]).toEqual([1, 2]);
    expect(c.irq.level).toBe(false);
    c.m.engine.run();
    expect(c.inb(2)).toBe(0xcc); // character timeout after 4 character times
    expect([c.inb(0), c.inb(0)]).toEqual([3, 4]);
    expect(c.inb(5) & 0x01).toBe(0);
    expect(c.inb(2)).toBe(0xc1);
  });

  it('flags overrun in LSR (and interrupts if enabled); reading LSR clears it', () => {
    const c = uart();
    setup(c, false);
    c.outb(1, 0x04);
    c.u.receive([7, 8]);
    expect(c.inb(2)).toBe(0x06);
    expect(c.inb(5) & 0x03).toBe(0x03);
    expect(c.inb(5) & 0x02).toBe(0);
    expect(c.inb(0)).toBe(7);
  });

  it('in loopback, hears itself instead of the console and mirrors the modem lines', () => {
    const c = uart();
    setup(c);
    c.outb(4, 0x10 | 0x01 | 0x02);
    expect(c.inb(6) & 0xf0).toBe(0x30); // CTS and DSR from RTS and DTR
    c.outb(0, 0x55);
    c.m.engine.run();
    expect(c.u.output).toEqual([]);
    expect(c.inb(0)).toBe(0x55);
    c.u.receive([0x66]); // the outside line is disconnected
    expect(c.inb(5) & 0x01).toBe(0);
  });

  it('splits a word access into byte cycles: a 16-bit write at THR also writes IER', () => {
    const c = uart('instant');
    setup(c);
    c.m.space.write(B, 2, 0x0f41, 'pio');
    expect(c.u.text()).toBe('A');
    expect(c.inb(1)).toBe(0x0f);
  });
});
