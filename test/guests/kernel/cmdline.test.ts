// The guest kernel's command line (xl's cmdline or extra, start_info's cmd_line): the block
// frontend's module parameters read as Linux reads them, and a bad one refused with one message
// naming the file, line and key when a scenario or an xl.cfg gives it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_KERNEL_PARAMS, parseCmdline } from '../../../guests/kernel/cmdline';
import { parseScenario } from '../../../lab/scenario';
import { errorOf } from '../../lab/config/helpers';

const params = (line: string) => {
  const r = parseCmdline(line);
  if (!r.ok) throw new Error(r.message);
  return r.params;
};

describe('the kernel command line', () => {
  it("gives Linux's defaults when empty or when it names no parameter pvlab's kernel has", () => {
    expect(DEFAULT_KERNEL_PARAMS).toEqual({ blkfrontPersistent: true, blkfrontMaxIndirectSegments: 32 });
    expect(params('')).toEqual(DEFAULT_KERNEL_PARAMS);
    expect(params('root=/dev/xvda1 ro console=hvc0 quiet xen_netfront.max_queues=2 init=/bin/sh')).toEqual(DEFAULT_KERNEL_PARAMS);
  });

  it("reads booleans as kstrtobool does (first letters), a bare parameter as true, and '-' as '_' in names", () => {
    for (const [v, b] of [['0', false], ['n', false], ['N', false], ['no', false], ['off', false], ['false', false], ['1', true], ['y', true], ['Yes', true], ['on', true], ['true', true]] as const) {
      expect(params(`xen_blkfront.feature_persistent=${v}`).blkfrontPersistent, v).toBe(b);
    }
    expect(params('xen-blkfront.feature-persistent=0 xen_blkfront.feature_persistent').blkfrontPersistent).toBe(true);
    expect(params('quiet xen-blkfront.feature_persistent=0').blkfrontPersistent).toBe(false);
    expect(params('xen_blkfront.max_indirect_segments=64').blkfrontMaxIndirectSegments).toBe(64);
    expect(params('xen_blkfront.max_indirect_segments="16"').blkfrontMaxIndirectSegments).toBe(16);
  });

  it('refuses a bad value or an unknown parameter of the block frontend, saying which', () => {
    const problem = (line: string) => {
      const r = parseCmdline(line);
      return r.ok ? 'ok' : r.message;
    };
    expect(problem('xen_blkfront.feature_persistent=maybe')).toBe('xen_blkfront.feature_persistent=maybe: not a boolean (y or n, 1 or 0, on or off)');
    expect(problem('xen_blkfront.feature_persistent=')).toMatch(/not a boolean/);
    expect(problem('xen_blkfront.max_indirect_segments=-1')).toBe('xen_blkfront.max_indirect_segments=-1: not a number of segments');
    expect(problem('xen_blkfront.max_indirect_segments')).toMatch(/not a number of segments/);
    expect(problem('xen-blkfront.persistent=0')).toBe(
      'unknown parameter xen-blkfront.persistent (pvlab\'s kernel knows xen-blkfront.feature_persistent and xen-blkfront.max_indirect_segments)');
  });
});

describe('cmdline and extra in a scenario', () => {
  const VOL = 'dom0: {volumes: [{name: /dev/vg0/g, disk: sda, size: 1GiB}]}\n';
  const yaml = (keys: string) => `name: t\n${VOL}domains:\n  - name: g\n    memory: 256\n    disk: ['vdev=xvda, target=/dev/vg0/g']\n${keys}`;
  const parse = (text: string, files: Record<string, string> = {}) => parseScenario(text, 'lab/s.yaml', {
    readFile: (path) => {
      const t = files[path];
      if (t === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return t;
    },
  });
  const problem = (text: string, files?: Record<string, string>) => errorOf(() => {
    const r = parse(text, files);
    if (!r.ok) throw r.error;
  });

  it('reaches the domain as one command line: cmdline, or else extra', () => {
    const r = parse(yaml('    extra: "root=/dev/xvda1 xen_blkfront.feature_persistent=0"\n'));
    expect(r.ok && r.scenario.domains[0]!.cmdline).toBe('root=/dev/xvda1 xen_blkfront.feature_persistent=0');
    const none = parse(yaml(''));
    expect(none.ok && 'cmdline' in none.scenario.domains[0]!).toBe(false);
  });

  it('names the file, line and key of a bad parameter, in YAML and in an xl.cfg', () => {
    expect(problem(yaml('    cmdline: "quiet xen_blkfront.feature_persitent=0"\n'))).toBe(
      "lab/s.yaml:7:14: domains[0].cmdline: unknown parameter xen_blkfront.feature_persitent (pvlab's kernel knows xen_blkfront.feature_persistent and xen_blkfront.max_indirect_segments)");
    const cfg = 'name = "g"\nmemory = 256\ndisk = [ "vdev=xvda, target=/dev/vg0/g" ]\nextra = "xen_blkfront.max_indirect_segments=lots"\n';
    expect(problem(`name: t\n${VOL}domains:\n  - {config: g.cfg}\n`, { 'lab/g.cfg': cfg })).toBe(
      'lab/g.cfg:4:9: extra: xen_blkfront.max_indirect_segments=lots: not a number of segments');
  });

  it('refuses both at once, as xl would silently ignore extra', () => {
    expect(problem(yaml('    cmdline: "quiet"\n    extra: "xen_blkfront.feature_persistent=0"\n'))).toBe(
      'lab/s.yaml:8:12: domains[0].extra: is ignored when cmdline is set (xl uses cmdline alone): give one of the two');
  });
});
