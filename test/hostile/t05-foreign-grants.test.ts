// T5: a domU maps nothing that was not granted to it: others' grants (made for dom0), entries
// that do not permit access, and writable maps of read-only grants all get
// GNTST_general_error, while pvlab's precise reason travels in the op and in the trace.
import { describe, expect, it } from 'vitest';
import { GNTST } from '../../hypervisor/public/grant_table';
import type { TraceEvent } from '../../hypervisor/trace';
import { isolation, MS, runLab } from './harness';

describe('T5: mapping grants one has no right to', () => {
  it('gets GNTST_general_error, with the finer reason in the trace, and maps nothing', () => {
    const notes: string[] = [];
    const iso = isolation({ attack: 'T5', attackOpts: { durationNs: 3 * MS } }, (lab) => {
      lab.w.hv.trace.events.subscribe((e: TraceEvent) => {
        if (e.type === 'note' && e.dom === lab.hostile!.domain.id) notes.push(e.what);
      });
      runLab(lab);
    });
    const o = iso.lab.hostile!.log.outcomes;
    expect(o['foreign.okay']).toBe(0);
    expect(o['foreign.statuses']).toEqual([GNTST.bad_domain, GNTST.general_error]);
    // Scanning through the victim's handshake: its ring grant, once dom0 has it mapped, is
    // refused as pinned by another domain; entries it never filled do not permit access.
    expect(String(o['foreign.reasons']).split(',')).toEqual(expect.arrayContaining(['pinned-by-other-domid', 'not-permit-access']));
    expect(o['self.writableMapOfReadonly']).toBe(GNTST.general_error);
    expect(o['self.writableMapOfReadonly.reason']).toBe('readonly-violation');
    expect(o['self.readonlyMapOfReadonly']).toBe(GNTST.okay);
    expect(o['self.notPermitAccess']).toBe(GNTST.general_error);
    expect(o['self.notPermitAccess.reason']).toBe('not-permit-access');
    expect(o['self.grantedToAnother']).toBe(GNTST.general_error);
    expect(o['self.grantedToAnother.reason']).toBe('wrong-domid');
    expect(notes).toEqual(expect.arrayContaining([expect.stringMatching(/refused: readonly-violation \(GNTST_general_error\)/)]));
    expect(notes.some((n) => /refused: wrong-domid/.test(n))).toBe(true);
  });
});
