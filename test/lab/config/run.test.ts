// One xl.cfg run on its own (`pvlab run web.cfg`): its domain on a default host, checked by the
// scenario rules, errors pointing into the .cfg.
import { describe, expect, it } from 'vitest';
import { DEFAULT_VOLUME_SIZE, errorOf, loadConfigAsScenario, parseConfigAsScenario, type ConfigRunOptions } from './helpers';

const GiB = 2 ** 30;
const run = (text: string, options?: ConfigRunOptions) => parseConfigAsScenario(text, 'web.cfg', options);
const problem = (text: string, options?: ConfigRunOptions) => errorOf(() => run(text, options));

describe('an xl.cfg file run on its own', () => {
  it('is one domain on the scenario defaults, named after the domain, running idle', () => {
    const { scenario, warnings } = run('name = "web"\nmemory = 512\n');
    expect(scenario).toEqual({
      file: 'web.cfg',
      name: 'web',
      seed: 1,
      duration: 1_000_000_000,
      platform: 'modern',
      host: { pcpus: 4, memory: 16384, disks: [{ name: 'sda', kind: 'ssd', size: 256 * GiB }] },
      scheduler: { name: 'credit', tslice: 30_000_000, ratelimit: 1_000_000 },
      dom0: { vcpus: 1, memory: 1024, cpu_weight: 256, cap: 0, cpus: undefined, volumes: [] },
      domains: [{
        name: 'web', type: 'pv', vcpus: 1, maxvcpus: 1, memory: 512, maxmem: 512, cpus: undefined,
        cpu_weight: 256, cap: 0, disk: [], vif: [], workload: { kind: 'idle' },
      }],
    });
    expect(warnings).toEqual([]);
  });

  it('makes up an 8 GiB volume on sda for each /dev/<group>/<name> target, once each', () => {
    const { scenario } = run(`name = "db"; memory = 256
disk = [ 'phy:/dev/vg0/db,xvda,r', '/dev/mapper/vg0-logs,raw,xvdb', '/dev/vg0/db,raw,xvdc,ro', '/srv/img.raw,raw,xvdd', '/dev/sda,raw,xvde,ro' ]
`);
    expect(DEFAULT_VOLUME_SIZE).toBe(8 * GiB);
    expect(scenario.dom0.volumes).toEqual([
      { name: '/dev/vg0/db', disk: 'sda', size: 8 * GiB },
      { name: '/dev/mapper/vg0-logs', disk: 'sda', size: 8 * GiB },
    ]);
  });

  it('takes the workload from the options: a kind or a whole mapping', () => {
    expect(run('name = "web"\nmemory = 512', { workload: 'cpu-burn' }).scenario.domains[0]!.workload).toEqual({ kind: 'cpu-burn' });
    const fio = run("name = 'db'\nmemory = 256\ndisk = [ '/dev/vg0/db,raw,xvda' ]", { workload: { kind: 'fio', rw: 'randread', iodepth: 4 } });
    expect(fio.scenario.domains[0]!.workload).toMatchObject({ kind: 'fio', rw: 'randread', iodepth: 4, vdev: 'xvda' });
  });

  it('blames the command line for a bad workload option', () => {
    expect(problem('name = "web"\nmemory = 512', { workload: 'cpu-brun' }))
      .toBe("command line: --workload.kind: unknown kind \"cpu-brun\" (expected one of cpu-burn, idle, cpu-periodic, fio, evtchn-demo, lmbench, forkwait, specint, kernel-build, dbench, oltp, web, hostile, ttcp, netperf-rr, udp-flood); did you mean 'cpu-burn'?");
    expect(problem('name = "web"\nmemory = 512', { workload: 'fio' })).toBe('command line: --workload.rw: is required');
    expect(problem('name = "web"\nmemory = 512', { workload: { kind: 'fio', rw: 'read' } }))
      .toBe('command line: --workload: fio needs a disk, but this domain has none (add one under disk:)');
  });

  it('loads the example configs in scenarios/configs', () => {
    const web = loadConfigAsScenario('scenarios/configs/web.cfg');
    expect(web.scenario.domains[0]).toMatchObject({ name: 'web', type: 'pv', vcpus: 2, memory: 1024, maxmem: 2048 });
    expect(web.scenario.dom0.volumes).toEqual([{ name: '/dev/vg0/web', disk: 'sda', size: 8 * GiB }]);
    expect(web.warnings.map((w) => w.key)).toEqual(['bootloader', 'on_poweroff', 'on_reboot', 'on_crash']);
    const win = loadConfigAsScenario('scenarios/configs/win.cfg');
    expect(win.scenario.domains[0]).toMatchObject({ name: 'win', type: 'hvm', hap: true, xen_platform_pci: true, hdtype: 'ahci' });
    expect(win.scenario.domains[0]!.vif).toEqual([{ bridge: 'xenbr0', model: 'e1000', type: 'ioemu' }]);
  });

  it('says so when the file cannot be read', () => {
    expect(errorOf(() => loadConfigAsScenario('scenarios/configs/nope.cfg')))
      .toBe('scenarios/configs/nope.cfg: cannot read the config file: no such file');
  });
});

describe('an error from the scenario rules', () => {
  it('points at the value in the .cfg', () => {
    expect(problem('name = "web"\nmemory = 8\n')).toBe('web.cfg:2:10: memory: must be at least 16MiB (got 8)');
    expect(problem('name = "web"\nmemory = 512\nvcpus = 0\n')).toBe('web.cfg:3:9: vcpus: must be at least 1 (got 0)');
    expect(problem('name = "Domain-0"\nmemory = 512\n')).toMatch(/^web\.cfg:1:8: name: Domain-0 is the name of dom0/);
  });

  it('points at the list item of a bad disk or vif spec', () => {
    expect(problem("name = 'web'\nmemory = 512\ndisk = [ '/a.img,raw,xvda',\n         'format=raw, target=/b.img' ]\n"))
      .toBe('web.cfg:4:10: disk[1]: vdev is missing: every disk needs a guest device name (e.g. vdev=xvda)');
    expect(problem("name = 'web'\nmemory = 512\nvif = [ 'mac=01:16:3e:00:00:01' ]\n")).toMatch(/^web\.cfg:3:9: vif\[0\]: mac '01:16:3e:00:00:01' is a multicast address/);
  });

  it('checks the rules between keys against the default host', () => {
    expect(problem('name = "big"\nmemory = 32768\n'))
      .toBe("web.cfg:2:10: memory: big needs 32768MiB, but only 15360MiB of the host's 16384MiB are left after dom0 and the domains before it");
    expect(problem('name = "web"\nmemory = 512\ncpus = "0-7"\n')).toBe('web.cfg:3:8: cpus: pCPU 4 does not exist: the host has 4 pCPUs (0-3)');
    expect(problem('name = "web"\nmemory = 512\ncap = 500\n')).toMatch(/^web\.cfg:3:7: cap: must be at most 400/);
    expect(problem('name = "web"\nmemory = 512\nvcpus = 4\nmaxvcpus = 2\n')).toMatch(/^web\.cfg:4:12: maxvcpus: must be at least vcpus \(4\)/);
    expect(problem('name = "web"\nmemory = 512\nhdtype = "ide"\n')).toBe('web.cfg:3:10: hdtype: applies only to hvm and native domains (this one is pv)');
  });

  it('names builder when the type it gave breaks a rule', () => {
    expect(problem('name = "w"\nmemory = 512\nbuilder = "generic"\nhap = 1\n')).toBe('web.cfg:4:7: hap: applies only to hvm and pvh domains (this one is pv)');
  });

  it('refuses a /dev target that is not a volume path', () => {
    expect(problem("name = 'web'\nmemory = 512\ndisk = [ '/dev/sdb,raw,xvda' ]\n"))
      .toBe('web.cfg:3:10: disk[0]: target /dev/sdb is neither a dom0 volume nor a host disk (known: /dev/sda)');
  });

  it('places a missing key at the start of the file', () => {
    expect(problem('memory = 512\n')).toBe('web.cfg:1:1: name: is required');
    expect(problem('name = "web"\n')).toBe('web.cfg:1:1: memory: is required');
  });
});
