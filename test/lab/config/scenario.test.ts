// Scenario domains read from xl.cfg files (`config:`): they resolve like written-out domains, the
// entry's keys override the file's, and an error in a .cfg points into the .cfg.
import { describe, expect, it } from 'vitest';
import { loadScenario, loadScenarioFile, parseScenario, type ParseResult } from '../../../lab/scenario';
import { errorOf, formatWarning } from './helpers';

const WEB_CFG = `# the web server
name = "web"
vcpus = 2
memory = 512
disk = [ 'phy:/dev/vg0/web,xvda,w' ]
kernel = "/boot/vmlinuz"
`;

const VOLUMES = 'dom0: {volumes: [{name: /dev/vg0/web, disk: sda, size: 8GiB}, {name: /dev/vg0/web2, disk: sda, size: 8GiB}]}\n';

/** Parses `lab/s.yaml` with in-memory .cfg files (keyed by the path the loader asks for). */
function parse(yaml: string, files: Record<string, string> = { 'lab/web.cfg': WEB_CFG }): ParseResult {
  return parseScenario(yaml, 'lab/s.yaml', {
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
  });
}

function problem(yaml: string, files?: Record<string, string>): string {
  return errorOf(() => {
    const r = parse(yaml, files);
    if (!r.ok) throw r.error;
  });
}

function load(yaml: string, files?: Record<string, string>) {
  const r = parse(yaml, files);
  if (!r.ok) throw r.error;
  return r;
}

describe('a scenario domain read from an xl.cfg file', () => {
  it('resolves like the same domain written out, the path relative to the scenario', () => {
    const r = load(`name: t\n${VOLUMES}domains:\n  - {config: web.cfg, workload: {kind: fio, rw: read}}\n`);
    const written = load(`name: t\n${VOLUMES}domains:
  - {name: web, vcpus: 2, memory: 512, disk: ['phy:/dev/vg0/web,xvda,w'], workload: {kind: fio, rw: read}}
`);
    expect(r.scenario.domains).toEqual(written.scenario.domains);
    expect(r.warnings.map(formatWarning)).toEqual([
      'lab/web.cfg:6:1: warning: kernel: not modelled by pvlab (guests boot a simulated kernel, so boot settings have no effect); ignored',
    ]);
  });

  it('lets the entry override the file, so one .cfg serves two domains', () => {
    const r = load(`name: t\n${VOLUMES}domains:
  - {config: web.cfg}
  - {config: web.cfg, name: web2, memory: 256, disk: ['phy:/dev/vg0/web2,xvda,w'], workload: {kind: cpu-burn}}
`);
    expect(r.scenario.domains.map((d) => [d.name, d.vcpus, d.memory, d.disk[0]!.target, d.workload.kind])).toEqual([
      ['web', 2, 512, '/dev/vg0/web', 'idle'],
      ['web2', 2, 256, '/dev/vg0/web2', 'cpu-burn'],
    ]);
    expect(r.warnings).toHaveLength(1);
  });

  it('is checked by the same rules, with errors pointing into the .cfg', () => {
    expect(problem(`name: t\n${VOLUMES}domains:\n  - config: web.cfg\n`, { 'lab/web.cfg': WEB_CFG.replace('vcpus = 2', 'vcpus = 0') }))
      .toBe('lab/web.cfg:3:9: vcpus: must be at least 1 (got 0)');
    expect(problem('name: t\ndomains:\n  - config: web.cfg\n'))
      .toBe('lab/web.cfg:5:10: disk[0]: target /dev/vg0/web is neither a dom0 volume nor a host disk (known: /dev/sda)');
    expect(problem(`name: t\nhost: {memory: 1GiB}\n${VOLUMES}domains:\n  - config: web.cfg\n`))
      .toBe("lab/web.cfg:4:10: memory: web needs 512MiB, but only 0MiB of the host's 1024MiB are left after dom0 and the domains before it");
  });

  it('reports syntax errors and unknown keys of the .cfg in the .cfg', () => {
    expect(problem('name: t\ndomains:\n  - config: web.cfg\n', { 'lab/web.cfg': 'name = "web\n' }))
      .toBe('lab/web.cfg:1:8: syntax error: this string has no closing " (a string ends on the line it starts)');
    expect(problem('name: t\ndomains:\n  - config: web.cfg\n', { 'lab/web.cfg': 'name = "web"\nmemroy = 5\n' }))
      .toBe("lab/web.cfg:2:1: memroy: unknown key; did you mean 'memory'?");
  });

  it('points into the scenario for an overriding key', () => {
    expect(problem(`name: t\n${VOLUMES}domains:\n  - {config: web.cfg, memory: 8}\n`))
      .toBe('lab/s.yaml:4:31: domains[0].memory: must be at least 16MiB (got 8)');
    expect(problem(`name: t\n${VOLUMES}domains:\n  - {config: web.cfg, workload: {kind: cpu-brun}}\n`))
      .toMatch(/^lab\/s\.yaml:4:40: domains\[0\]\.workload\.kind: unknown kind "cpu-brun"/);
  });

  it('reports the first problem in reading order across both files', () => {
    const bad = { 'lab/web.cfg': WEB_CFG.replace('vcpus = 2', 'vcpus = 0') };
    expect(problem(`name: t\n${VOLUMES}domains:\n  - {name: a, memory: 8}\n  - config: web.cfg\n`, bad)).toMatch(/^lab\/s\.yaml:4:23: domains\[0\]\.memory/);
    expect(problem(`name: t\n${VOLUMES}domains:\n  - config: web.cfg\n  - {name: a, memory: 8}\n`, bad)).toMatch(/^lab\/web\.cfg:3:9: vcpus/);
  });

  it('places a key missing from both at the scenario entry', () => {
    expect(problem('name: t\ndomains:\n  - config: web.cfg\n', { 'lab/web.cfg': 'name = "web"\n' }))
      .toBe('lab/s.yaml:3:5: domains[0].memory: is required');
  });

  it('says which config file cannot be read, at the config key', () => {
    expect(problem('name: t\ndomains:\n  - config: nope.cfg\n'))
      .toBe('lab/s.yaml:3:13: domains[0].config: cannot read the config file lab/nope.cfg: no such file');
    expect(problem('name: t\ndomains:\n  - {config: 5, memory: 64}\n'))
      .toBe('lab/s.yaml:3:14: domains[0].config: must be the path of an xl.cfg file (got 5)');
    expect(problem('name: t\ndomains:\n  - {confg: web.cfg, name: a, memory: 64}\n'))
      .toBe("lab/s.yaml:3:6: domains[0].confg: unknown key; did you mean 'config'?");
  });

  it('loads the example scenario next to web.cfg and win.cfg', () => {
    const { scenario, warnings } = loadScenario('scenarios/configs/web-and-win.yaml');
    expect(scenario.domains.map((d) => [d.name, d.type, d.memory, d.disk[0]!.target, d.workload.kind])).toEqual([
      ['web', 'pv', 1024, '/dev/vg0/web', 'fio'],
      ['win', 'hvm', 2048, '/dev/vg0/win', 'fio'],
    ]);
    expect(new Set(warnings.map((w) => w.file))).toEqual(new Set(['scenarios/configs/web.cfg', 'scenarios/configs/win.cfg']));
    expect(loadScenarioFile('scenarios/configs/web-and-win.yaml').domains).toEqual(scenario.domains);
  });
});
