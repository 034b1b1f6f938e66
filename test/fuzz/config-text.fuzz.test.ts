// Fuzzing the two other files a user hands pvlab (issue 9's bad input, as a property): xl.cfg
// files and libvirt domain XML, as text edited at random — a value replaced by an awkward one,
// a span deleted, punctuation inserted, a line doubled. Property: an xl.cfg file is refused
// with one ScenarioError or becomes a scenario whose world runs; a domain XML is refused with
// a libvirt error, or defines a domain that starts (or refuses to start with a libvirt error)
// and runs, on a Xen host and on a KVM host. No other exception escapes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigAsScenario } from '../../lab/config';
import { connect } from '../../lab/libvirt/index';
import { buildWorld } from '../../lab/run/world';
import { ScenarioError } from '../../lab/scenario';
import { guestXml, kvmHost, xenHost } from '../libvirt/helpers';
import { FUZZ_SEED, FUZZ_TIMEOUT_MS, fuzzRuns, report } from './fuzz-config';

const CONFIGS = join(import.meta.dirname, '..', '..', 'scenarios', 'configs');
const CFG = readdirSync(CONFIGS).filter((f) => f.endsWith('.cfg')).sort().map((f) => ({ file: join(CONFIGS, f), text: readFileSync(join(CONFIGS, f), 'utf8') }));
/** Domain XML that defines and starts as it is, and the host it is for. */
const XML = [
  { kvm: false, xml: readFileSync(join(CONFIGS, 'batch.xml'), 'utf8').replace('/dev/vg0/batch', '/dev/vg0/web') },
  { kvm: false, xml: guestXml({ workload: 'kind="fio" rw="randread" bs="4k"' }) },
  { kvm: true, xml: guestXml({ type: 'kvm', os: 'hvm', disk: "<disk type='block' device='disk'><source dev='/dev/vg0/web'/><target dev='vda' bus='virtio'/></disk>" }) },
];

/** Defines and starts `xml` on a fresh host of its kind, then runs 2 ms: 'refused' when libvirt
 *  answers an error. */
function startXml(xml: string, kvm: boolean): 'refused' | 'started' {
  const w = kvm ? kvmHost() : xenHost();
  const conn = connect(kvm ? 'qemu:///system' : 'xen:///system', w);
  if (!conn.ok) throw new Error(conn.error.message);
  const dom = conn.value.defineXML(xml);
  if (!dom.ok || !dom.value.create().ok) return 'refused';
  w.engine.run(2_000_000);
  return 'started';
}

const AWKWARD = ['0', '-1', '1.5', '99999999999999999999', '1e9', '""', "''", '[]', '[,]', '=', '#', '"', "'", '<', '>', '&', '&amp;', '&#0;', '<![CDATA[x]]>', '<!--', '-->', '</domain>', '<domain>', 'xen', 'hvm', 'kvm', 'qemu', 'none', 'NaN', '\u0000', '\uFEFF', 'é', '\n', ' ', ''];

type Edit = { at: number; kind: 'replace-token' | 'delete' | 'insert' | 'double-line'; len: number; text: string };
const edit = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  kind: fc.constantFrom<Edit['kind']>('replace-token', 'delete', 'insert', 'double-line'),
  len: fc.integer({ min: 1, max: 12 }),
  text: fc.oneof(fc.constantFrom(...AWKWARD), fc.string({ maxLength: 6 })),
});

/** Applies an edit at a relative position of the text. */
function apply(text: string, e: Edit): string {
  const at = Math.floor(e.at * text.length);
  switch (e.kind) {
    case 'replace-token': {
      const m = /[A-Za-z0-9_.:/-]+/g;
      m.lastIndex = at;
      const hit = m.exec(text);
      return hit ? text.slice(0, hit.index) + e.text + text.slice(hit.index + hit[0].length) : text + e.text;
    }
    case 'delete': return text.slice(0, at) + text.slice(at + e.len);
    case 'insert': return text.slice(0, at) + e.text + text.slice(at);
    case 'double-line': {
      const start = text.lastIndexOf('\n', at) + 1;
      const end = text.indexOf('\n', at);
      const line = text.slice(start, end < 0 ? text.length : end + 1);
      return text.slice(0, start) + line + text.slice(start);
    }
  }
}

describe('xl.cfg files and domain XML edited at random', () => {
  const stats = { sequences: 0, ops: 0 };
  const outcome = { cfgRefused: 0, cfgRan: 0, xmlRefused: 0, xmlStarted: 0 };
  afterAll(() => {
    report('config-text', stats);
    console.log(`config-text: xl.cfg ${outcome.cfgRefused} refused, ${outcome.cfgRan} ran; XML ${outcome.xmlRefused} refused, ${outcome.xmlStarted} started`);
  });

  it('xl.cfg: one ScenarioError, or a world that runs', () => {
    fc.assert(
      fc.property(fc.nat({ max: CFG.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 4 }), (i, edits) => {
        stats.sequences++;
        stats.ops += edits.length;
        const text = edits.reduce(apply, CFG[i]!.text);
        const where = `${CFG[i]!.file} edited to ${JSON.stringify(text)}`;
        let scenario;
        try {
          scenario = parseConfigAsScenario(text, CFG[i]!.file).scenario;
        } catch (e) {
          if (e instanceof ScenarioError) return void outcome.cfgRefused++;
          throw new Error(`${where}: ${(e as Error)?.stack ?? String(e)}`);
        }
        try {
          buildWorld(scenario).engine.run(2_000_000);
        } catch (e) {
          throw new Error(`${where}: the accepted config threw ${(e as Error)?.stack ?? String(e)}`);
        }
        outcome.cfgRan++;
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(300) },
    );
  }, FUZZ_TIMEOUT_MS);

  it('domain XML: a libvirt error, or a domain that is defined, starts and runs', () => {
    for (const { xml, kvm } of XML) expect(startXml(xml, kvm)).toBe('started'); // as they stand
    fc.assert(
      fc.property(fc.nat({ max: XML.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 3 }), (i, edits) => {
        stats.sequences++;
        stats.ops += edits.length;
        const { xml, kvm } = XML[i]!;
        const edited = edits.reduce(apply, xml);
        try {
          if (startXml(edited, kvm) === 'refused') outcome.xmlRefused++;
          else outcome.xmlStarted++;
        } catch (e) {
          throw new Error(`XML ${i} edited to ${JSON.stringify(edited)}: ${(e as Error)?.stack ?? String(e)}`);
        }
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(300) },
    );
  }, FUZZ_TIMEOUT_MS);
});
