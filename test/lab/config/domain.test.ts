// An xl.cfg file read as a scenario domain entry: xl's way of reading each key, warnings for
// keys pvlab does not model, errors for unknown keys and values xl would refuse.
import { describe, expect, it } from 'vitest';
import { errorOf, formatWarning, KNOWN_KEYS, MODELLED_KEYS, readDomainConfig, unmodelledReason } from './helpers';

const read = (text: string) => readDomainConfig(text, 'web.cfg');
const problem = (text: string) => errorOf(() => read(text));
const warnings = (text: string) => read(text).warnings.map(formatWarning);

describe('reading an xl.cfg file as a domain entry', () => {
  it('gives the entry a scenario file would hold, numbers as numbers and flags as booleans', () => {
    const { entry } = read(`name = "win"; type = "hvm"
vcpus = 2; maxvcpus = 4; memory = 1024; maxmem = 2048
cpus = "0-1"; cpu_weight = 512; cap = 50
disk = [ 'format=raw, vdev=hda, target=/dev/vg0/win' ]; vif = [ 'model=e1000' ]
hdtype = "ahci"; hap = 1; xen_platform_pci = 0; accel = "vtx"
`);
    expect(entry).toEqual({
      name: 'win', type: 'hvm', vcpus: 2, maxvcpus: 4, memory: 1024, maxmem: 2048, cpus: '0-1', cpu_weight: 512, cap: 50,
      disk: ['format=raw, vdev=hda, target=/dev/vg0/win'], vif: ['model=e1000'], hdtype: 'ahci', hap: true, xen_platform_pci: false,
      accel: 'vtx',
    });
  });

  it('reads numbers the way xl does: quoted, hex or octal', () => {
    expect(read('vcpus = "2"\nmemory = 0x400\ncap = 010\ncpu_weight = "0x100"').entry).toEqual({ vcpus: 2, memory: 1024, cap: 8, cpu_weight: 256 });
  });

  it('reads a flag as xl does: 0 is false, any other number true', () => {
    expect(read('hap = 2\nxen_platform_pci = "0"').entry).toEqual({ hap: true, xen_platform_pci: false });
  });

  it('uses a number as text where xl wants text', () => {
    expect(read('name = 42\ncpus = 3').entry).toEqual({ name: '42', cpus: '3' });
  });

  it('reads the deprecated builder as the type, with a warning', () => {
    const hvm = read('name = "w"\nbuilder = "hvm"\n');
    expect(hvm.entry.type).toBe('hvm');
    expect(hvm.places.get('type')).toEqual({ line: 2, column: 11, key: 'builder' });
    expect(hvm.warnings.map(formatWarning)).toEqual(['web.cfg:2:1: warning: builder: builder is deprecated; write type = "hvm"']);
    expect(read('builder = "generic"').entry).toEqual({ type: 'pv' });
    expect(read('type = "hvm"\nbuilder = "hvm"').entry).toEqual({ type: 'hvm' });
  });

  it('remembers where each key and list item was written', () => {
    const { places } = read('name = "web"\n  memory = 512\ndisk = [ "/a.img,raw,xvda",\n  "/b.img,raw,xvdb" ]\n');
    expect(Object.fromEntries(places)).toEqual({
      name: { line: 1, column: 8, key: 'name' },
      memory: { line: 2, column: 12, key: 'memory' },
      disk: { line: 3, column: 8, key: 'disk' },
      'disk[0]': { line: 3, column: 10, key: 'disk[0]' },
      'disk[1]': { line: 4, column: 3, key: 'disk[1]' },
    });
  });

  it('keeps the last value of a key set twice, as xl, with a warning', () => {
    const r = read('memory = 256\nmemory = 512\n');
    expect(r.entry).toEqual({ memory: 512 });
    expect(r.warnings.map(formatWarning)).toEqual(['web.cfg:2:1: warning: memory: set again, so the value on line 1 is ignored (xl uses the last one)']);
  });

  it('appends with +=: list items keep their places, strings are joined', () => {
    const r = read("disk = [ '/a,raw,xvda' ]\ndisk += [ '/b,raw,xvdb' ]\nname = 'we'\nname += 'b'\nvif += [ '' ]\n");
    expect(r.entry).toEqual({ disk: ['/a,raw,xvda', '/b,raw,xvdb'], name: 'web', vif: [''] });
    expect(r.places.get('disk[1]')).toEqual({ line: 2, column: 11, key: 'disk[1]' });
    expect(r.warnings).toEqual([]);
  });
});

describe('keys pvlab does not model', () => {
  it('are accepted with exactly one warning each, saying why, in file order', () => {
    expect(warnings(`name = "web"
kernel = "/boot/vmlinuz"
kernel = "/boot/vmlinuz-6.1"
root = "/dev/xvda1"
root += " ro"
on_crash = "restart"
memory = 512
vnc = 1
`)).toEqual([
      'web.cfg:2:1: warning: kernel: not modelled by pvlab (guests boot a simulated kernel, so boot settings have no effect); ignored',
      'web.cfg:4:1: warning: root: not modelled by pvlab (guests boot a simulated kernel, so boot settings have no effect); ignored',
      "web.cfg:6:1: warning: on_crash: not modelled by pvlab (nothing acts on a guest's shutdown, reboot or crash); ignored",
      'web.cfg:8:1: warning: vnc: not modelled by pvlab (no console, display, sound or USB device is simulated); ignored',
    ]);
  });

  it('give one warning each for the whole list of xl.cfg keys pvlab knows', () => {
    const unmodelled = KNOWN_KEYS.filter((k) => MODELLED_KEYS[k] === undefined);
    expect(unmodelled.length).toBeGreaterThan(100);
    for (const key of ['kernel', 'ramdisk', 'root', 'bootloader', 'firmware', 'boot', 'on_poweroff', 'on_reboot',
      'on_crash', 'on_watchdog', 'serial', 'vnc', 'sdl', 'device_model_version', 'uuid', 'pool', 'cpus_soft', 'max_grant_frames',
      'max_maptrack_frames', 'max_event_channels', 'pci', 'vtpm', 'p9', 'channel', 'usbctrl', 'stdvga', 'videoram', 'acpi', 'apic',
      'pae', 'hpet', 'viridian', 'localtime']) {
      expect(unmodelledReason(key), key).toBeDefined();
    }
    const text = unmodelled.map((k) => `${k} = 1`).join('\n');
    const r = read(text);
    expect(r.warnings.map((w) => w.key)).toEqual(unmodelled);
    expect(r.entry).toEqual({});
  });

  it('are not read, so xl values of any shape are fine', () => {
    expect(read("pci = [ '0000:01:00.0,permissive=1' ]\nvnuma = [ [ 'pnode=0' ] ]\nboot = 'dc'").entry).toEqual({});
  });
});

describe('a bad xl.cfg file', () => {
  it('names an unknown key and suggests the one meant', () => {
    expect(problem('name = "web"\nmemroy = 512\n')).toBe("web.cfg:2:1: memroy: unknown key; did you mean 'memory'?");
    expect(problem('bootloadr = "pygrub"')).toBe("web.cfg:1:1: bootloadr: unknown key; did you mean 'bootloader'?");
    expect(problem('workload = "fio"')).toBe('web.cfg:1:1: workload: unknown key; not an xl.cfg key pvlab knows (see xl.cfg(5))');
  });

  it('names the key whose value xl could not read as a number', () => {
    expect(problem('name = "web"\nmemory = 512\nvcpus = "two"\n')).toBe('web.cfg:3:9: vcpus: must be a whole number (got "two")');
    expect(problem('memory = "512M"')).toBe('web.cfg:1:10: memory: must be a whole number of MiB, e.g. memory = 512 (got "512M")');
    expect(problem('hap = "yes"')).toBe('web.cfg:1:7: hap: must be a number: 1 (on) or 0 (off) (got "yes")');
  });

  it('refuses a type xl does not have, with a suggestion', () => {
    expect(problem('type = "native"')).toBe('web.cfg:1:8: type: must be one of pv, pvh, hvm (got "native")');
    expect(problem('type = "hmv"')).toBe('web.cfg:1:8: type: must be one of pv, pvh, hvm (got "hmv"); did you mean \'hvm\'?');
    expect(problem('builder = "linux"')).toBe('web.cfg:1:11: builder: must be one of generic, hvm (got "linux")');
    expect(problem('type = "pv"\nbuilder = "hvm"')).toBe('web.cfg:2:11: builder: builder="hvm" means type="hvm", but type="pv" is set too');
  });

  it('refuses lists where xl wants one value, and one value where it wants a list', () => {
    expect(problem('memory = [ 512 ]')).toBe('web.cfg:1:10: memory: must be a single value, not a list');
    expect(problem('cpus = [ "0", "1" ]')).toMatch(/^web\.cfg:1:8: cpus: must be a single value, not a list; per-vCPU affinity lists are not modelled/);
    expect(problem("disk = 'phy:/dev/vg0/web,xvda,w'"))
      .toBe("web.cfg:1:8: disk: must be a list, e.g. disk = [ 'phy:/dev/vg0/web,xvda,w' ] (xl ignores a single value here)");
    expect(problem("vif = [ [ 'bridge=xenbr0' ] ]")).toBe('web.cfg:1:9: vif[0]: must be a spec string, not a list');
  });

  it('refuses += where xl does', () => {
    expect(problem('memory = 256\nmemory += 256')).toBe('web.cfg:2:11: memory: += applies to strings and lists, not to numbers');
    expect(problem("disk = [ 'a' ]\ndisk += 'b'")).toBe('web.cfg:2:9: disk: += cannot add a single value to a list (set on line 1)');
  });

  it('reports the first problem in the file, whatever its kind', () => {
    expect(problem('vcpus = "two"\nmemroy = 5\n')).toMatch(/^web\.cfg:1:9: vcpus:/);
    expect(problem('memroy = 5\nvcpus = "two"\n')).toMatch(/^web\.cfg:1:1: memroy:/);
    expect(problem('vcpus = 1\nmemroy = 5\nvcpus = "two"\n')).toMatch(/^web\.cfg:2:1: memroy:/);
  });
});
