// The fixture configs in test/fixtures/xlcfg: real-world files in the style of Xen's documentation
// load (with warnings for what pvlab does not model); each bad one gives one located message.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf, formatWarning, loadConfigAsScenario } from './helpers';

const DIR = 'test/fixtures/xlcfg';
const cfgs = (sub: string) => readdirSync(join(DIR, sub)).filter((f) => f.endsWith('.cfg')).sort();
const load = (sub: string, file: string) => loadConfigAsScenario(join(DIR, sub, file));

describe('every good fixture', () => {
  it.each(cfgs('good'))('%s loads, warning once per key pvlab does not model', (file) => {
    const { scenario, warnings } = load('good', file);
    expect(scenario.domains).toHaveLength(1);
    expect(scenario.name).toBe(scenario.domains[0]!.name);
    const keys = warnings.filter((w) => w.message.startsWith('not modelled')).map((w) => w.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const w of warnings) expect(w.file).toBe(join(DIR, 'good', file));
  });
});

describe('the good fixtures', () => {
  it('pvlinux.cfg: a PV guest on a made-up volume, with an all-default vif', () => {
    const { scenario, warnings } = load('good', 'pvlinux.cfg');
    expect(scenario.domains[0]).toMatchObject({
      name: 'example.pvlinux', type: 'pv', vcpus: 2, memory: 128,
      disk: [{ vdev: 'xvda', target: '/dev/vg/guest-volume', access: 'rw', format: 'raw' }], vif: [{ bridge: 'xenbr0' }],
    });
    expect(scenario.dom0.volumes).toEqual([{ name: '/dev/vg/guest-volume', disk: 'sda', size: 8 * 2 ** 30 }]);
    expect(warnings.map((w) => w.key)).toEqual(['kernel']);
    expect(scenario.domains[0]!.cmdline).toBe('root=/dev/xvda1');
  });

  it('pygrub.cfg: the old phy: prefix, a bridge, and lifecycle actions that are ignored', () => {
    const { scenario, warnings } = load('good', 'pygrub.cfg');
    expect(scenario.domains[0]!.disk).toEqual([{ vdev: 'xvda', target: '/dev/vg0/guest', access: 'rw', format: 'raw', backendtype: 'phy' }]);
    expect(warnings.map(formatWarning)).toEqual([
      `${DIR}/good/pygrub.cfg:4:1: warning: bootloader: not modelled by pvlab (guests boot a simulated kernel, so boot settings have no effect); ignored`,
      `${DIR}/good/pygrub.cfg:10:1: warning: on_poweroff: not modelled by pvlab (nothing acts on a guest's shutdown, reboot or crash); ignored`,
      `${DIR}/good/pygrub.cfg:11:1: warning: on_reboot: not modelled by pvlab (nothing acts on a guest's shutdown, reboot or crash); ignored`,
      `${DIR}/good/pygrub.cfg:12:1: warning: on_crash: not modelled by pvlab (nothing acts on a guest's shutdown, reboot or crash); ignored`,
    ]);
  });

  it('hvm-install.cfg: builder="hvm", an image file disk and a CD-ROM', () => {
    const { scenario, warnings } = load('good', 'hvm-install.cfg');
    expect(scenario.domains[0]).toMatchObject({
      type: 'hvm',
      disk: [
        { vdev: 'hda', target: '/images/disk.img', access: 'rw', format: 'raw' },
        { vdev: 'hdc', target: '/iso/debian.iso', access: 'ro', format: 'raw', devtype: 'cdrom' },
      ],
      vif: [{ bridge: 'xenbr0', type: 'ioemu' }],
    });
    expect(scenario.dom0.volumes).toEqual([]);
    expect(warnings.map((w) => w.key)).toEqual([
      'builder', 'boot', 'acpi', 'apic', 'vnc', 'vnclisten', 'sdl', 'serial', 'usbdevice', 'device_model_version',
    ]);
  });

  it('windows.cfg: HAP, the platform PCI device, AHCI and an e1000', () => {
    const win = load('good', 'windows.cfg').scenario.domains[0]!;
    expect(win).toMatchObject({ type: 'hvm', vcpus: 2, maxvcpus: 4, memory: 4096, cpus: [2, 3], cpu_weight: 512, hap: true, xen_platform_pci: true, hdtype: 'ahci' });
    expect(win.vif).toEqual([{ mac: '00:16:3e:5a:01:02', bridge: 'xenbr0', model: 'e1000', type: 'ioemu' }]);
  });

  it('pvh.cfg: hex memory, two settings on a line, a device-mapper volume', () => {
    const { scenario } = load('good', 'pvh.cfg');
    expect(scenario.domains[0]).toMatchObject({ type: 'pvh', memory: 1024, maxmem: 2048, vcpus: 2, maxvcpus: 4, cpus: [1, 2, 3], cap: 150 });
    expect(scenario.dom0.volumes.map((v) => v.name)).toEqual(['/dev/mapper/vg0-pvh']);
  });

  it('syntax-tour.cfg: quoted, octal and hex numbers, a list with comments, +=, nested lists', () => {
    const { scenario, warnings } = load('good', 'syntax-tour.cfg');
    expect(scenario.domains[0]).toMatchObject({ name: 'tour', memory: 512, vcpus: 1, cpu_weight: 256, hap: true, vif: [] });
    expect(scenario.domains[0]!.disk.map((d) => `${d.vdev}:${d.access}`)).toEqual(['hda:rw', 'hdb:ro', 'hdd:rw']);
    expect(warnings.map((w) => w.key)).toEqual(['vnuma']);
    expect(scenario.domains[0]!.cmdline).toBe('quote " backslash \\ tab \t and more');
  });
});

/** Each bad fixture and the one message it must give. */
const BAD: Record<string, string> = {
  'missing-quote.cfg': '2:8: syntax error: this string has no closing " (a string ends on the line it starts)',
  'unknown-key.cfg': "2:1: memroy: unknown key; did you mean 'memory'?",
  'vcpus-two.cfg': '3:9: vcpus: must be a whole number (got "two")',
  'memory-too-small.cfg': '3:10: memory: must be at least 16MiB (got 8)',
  'unterminated-list.cfg': '3:8: syntax error: this list is never closed: ] is missing (found vif on line 5)',
  'bad-disk-spec.cfg': "5:40: disk[1]: 'hdc:cdrom' stands where the format goes (the order is target, format, vdev, access): "
    + "write '/iso/debian.iso,raw,hdc:cdrom,r', or the old form with a prefix, 'file:/iso/debian.iso,hdc:cdrom,r'",
  'python-expression.cfg': '2:14: syntax error: unexpected character \'*\' (xl.cfg is not Python: a value is a "string", a number or a [list])',
  'bare-word.cfg': '2:8: syntax error: hvm is not a value: a string needs quotes, write "hvm"',
  'true-flag.cfg': '4:7: syntax error: xl.cfg has no true: booleans are numbers, write 1',
};

describe('every bad fixture', () => {
  it('is listed here with its message', () => {
    expect(cfgs('bad')).toEqual(Object.keys(BAD).sort());
  });

  it.each(Object.entries(BAD))('%s gives one message with file:line:column', (file, message) => {
    expect(errorOf(() => load('bad', file))).toBe(`${DIR}/bad/${file}:${message}`);
  });
});
