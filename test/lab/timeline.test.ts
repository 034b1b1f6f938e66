import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../lab/scenario/index';
import { runScenario } from '../../lab/run/runner';
import { buildWorld } from '../../lab/run/world';
import { scheduleTimeline } from '../../lab/run/timeline';
import type { TraceEvent } from '../../hypervisor/trace';
import { scenarioFrom } from '../helpers/world';

const SECOND = 1_000_000_000;

const host = (events: string, extra = '') => `
name: timeline
duration: 6s
host: {pcpus: 1, memory: 4096}
dom0: {memory: 512}
domains:
  - {name: web, memory: 256, workload: {kind: cpu-burn}}
  - {name: db, memory: 256, workload: {kind: cpu-burn}}
${extra}
events:
${events}
`;

const running = (w: ReturnType<typeof buildWorld>, name: string) =>
  w.hv.domainByName(name)!.vcpus.reduce((s, v) => s + v.runstateAt(w.engine.now).running, 0);

function loadError(yaml: string): string {
  const r = parseScenario(yaml, 'lesson.yaml');
  if (r.ok) throw new Error('expected an error');
  return r.error.message;
}

describe('a scenario timeline runs xl and virsh commands at simulated times', () => {
  it('xl pause stops a domain\'s running time from that instant', () => {
    const w = buildWorld(scenarioFrom(host('  - {at: 2s, xl: "pause web"}')));
    scheduleTimeline(w);
    w.engine.run(2 * SECOND);
    const atPause = running(w, 'web');
    w.engine.run(6 * SECOND);
    // Only the instant of the pause itself: the vCPU leaves its pCPU at the next schedule.
    expect(running(w, 'web') - atPause).toBeLessThan(100_000);
    expect(w.hv.domainByName('web')!.stateLetters()).toMatch(/^--p/);
    // db has the pCPU to itself afterwards.
    expect(running(w, 'db')).toBeGreaterThan(4 * SECOND);
  });

  it('sched-credit -w changes a domain\'s share from then on', () => {
    const w = buildWorld(scenarioFrom(host('  - {at: 2s, xl: "sched-credit -d web -w 768"}')));
    scheduleTimeline(w);
    w.engine.run(2 * SECOND);
    const before = { web: running(w, 'web'), db: running(w, 'db') };
    expect(before.web / before.db).toBeCloseTo(1, 1);
    w.engine.run(6 * SECOND);
    const ratio = (running(w, 'web') - before.web) / (running(w, 'db') - before.db);
    expect(ratio).toBeGreaterThan(3 * 0.95);
    expect(ratio).toBeLessThan(3 * 1.05);
  });

  it('the report lists each command with what xl and virsh printed', () => {
    const o = runScenario(scenarioFrom(host(`
  - {at: 1s, xl: "shutdown db"}
  - {at: 2s, virsh: "suspend web"}
  - {at: 3s, virsh: "list --all"}
  - {at: 4s, xl: "pause 7"}
  - {at: 4s, xl: "unpause web"}`, 'scheduler: {name: credit}')));
    expect(o.report.timeline).toEqual([
      { at: 1 * SECOND, command: 'xl shutdown db', output: 'Shutting down domain 2' },
      { at: 2 * SECOND, command: 'virsh suspend web', output: "Domain 'web' suspended" },
      { at: 3 * SECOND, command: 'virsh list --all', output: ' Id   Name       State\n--------------------------\n 0    Domain-0   running\n 1    web        paused' },
      { at: 4 * SECOND, command: 'xl pause 7', output: '', error: '7 is an invalid domain identifier (rc=-6)' },
      { at: 4 * SECOND, command: 'xl unpause web', output: '' },
    ]);
  });

  it('tells each command and its output as notes in the trace', () => {
    const notes: string[] = [];
    runScenario(scenarioFrom(host('  - {at: 1s, virsh: "suspend web"}')), {
      onWorld: (w) => void w.hv.trace.events.subscribe((e: TraceEvent) => { if (e.type === 'note') notes.push(`${e.t} ${e.what}`); }),
    });
    expect(notes).toEqual([`${SECOND} $ virsh suspend web`, `${SECOND} Domain 'web' suspended`]);
  });

  it('xl create and virsh define read their files when the scenario loads, and run at their times', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvlab-timeline-'));
    writeFileSync(join(dir, 'app.cfg'), 'name = "app"\nmemory = 128\nvcpus = 1\n');
    writeFileSync(join(dir, 'batch.xml'), `<domain type='xen'><name>batch</name><memory unit='MiB'>128</memory><os><type>xen</type></os></domain>`);
    const file = join(dir, 'lesson.yaml');
    writeFileSync(file, host(`
  - {at: 1s, xl: "create app.cfg"}
  - {at: 2s, xl: "pause app"}
  - {at: 3s, virsh: "define batch.xml"}
  - {at: 4s, virsh: "start batch"}`));
    const r = parseScenario(host(`
  - {at: 1s, xl: "create app.cfg"}
  - {at: 2s, xl: "pause app"}
  - {at: 3s, virsh: "define batch.xml"}
  - {at: 4s, virsh: "start batch"}`), file);
    if (!r.ok) throw new Error(r.error.message);
    const o = runScenario(r.scenario);
    expect(o.report.timeline!.map((e) => e.error ?? e.output)).toEqual(['Parsing config from app.cfg', '', "Domain 'batch' defined from batch.xml", "Domain 'batch' started"]);
    expect(o.report.domains.find((d) => d.name === 'app')!.state).toMatch(/^..p/);
    expect(o.report.domains.map((d) => d.name)).toContain('batch');
  });

  it('an unknown command or domain is an error that names the line', () => {
    expect(loadError(host('  - {at: 1s, xl: "paus web"}'))).toMatch(/^lesson\.yaml:11:\d+: events\[0\]\.xl: unknown xl command 'paus'; did you mean 'pause'\?/);
    expect(loadError(host('  - {at: 1s, xl: "pause wbe"}'))).toMatch(/^lesson\.yaml:11:\d+: events\[0\]\.xl: no domain named 'wbe' at 1s; did you mean 'web'\?/);
    expect(loadError(host('  - {at: 1s, virsh: "suspend nope"}'))).toMatch(/events\[0\]\.virsh: no domain named 'nope'/);
    expect(loadError(host('  - {at: 1s, virsh: "frobnicate web"}'))).toMatch(/events\[0\]\.virsh: unknown virsh command 'frobnicate'/);
    expect(loadError(host('  - {at: 9s, xl: "pause web"}'))).toMatch(/events\[0\]\.at: 9s is not before the end of the run \(duration: 6s\)/);
    expect(loadError(host('  - {at: 1s}'))).toMatch(/events\[0\]: give one command: xl: "\.\.\." or virsh: "\.\.\."/);
    expect(loadError(host('  - {at: 1s, xl: "create missing.cfg"}'))).toMatch(/events\[0\]\.xl: cannot read .*missing\.cfg/);
  });

});
