// Lesson 10, memory virtualization: a fork storm under PV direct paging, shadow paging and
// nested paging (EPT), REFERENCE §9.
import type { RunOutcome } from '../../run/runner';
import { dom, fig, per, sum, type LessonSpec } from '../lesson';

/** Exits that are not the disk probe's I/O or an idle HLT: the page-table ones. */
const PAGING_EXITS = ['EXCEPTION_NMI', 'CR_ACCESS', 'INVLPG', 'EPT_VIOLATION', 'EPT_MISCONFIG'];

function forks(o: RunOutcome, name: string): { n: number; usPerFork: number; pteWrites: number } {
  const w = dom(o, name).workload as { ops?: number; score?: number; os?: { forks?: number; pteWrites?: number } };
  return { n: w.os?.forks ?? w.ops ?? 0, usPerFork: Number(w.score ?? 0), pteWrites: w.os?.pteWrites ?? 0 };
}

export const forkStorm: LessonSpec = {
  name: 'fork-storm',
  number: 10,
  figures: ({ base }) => {
    const pagingExits = (name: string): number => sum(PAGING_EXITS.map((r) => dom(base, name).vmexits[r] ?? 0));
    const hvUsPerFork = (name: string): number => per(dom(base, name).cpuNs.hypervisor, forks(base, name).n) / 1000;
    const pv = forks(base, 'pv');
    const calls = dom(base, 'pv').hypercalls;
    return [
      fig('pv.us', 'pv: time per fork + exit + wait', pv.usPerFork, 'us'),
      fig('shadow.us', 'shadow: time per fork + exit + wait', forks(base, 'shadow').usPerFork, 'us'),
      fig('ept.us', 'ept: time per fork + exit + wait', forks(base, 'ept').usPerFork, 'us'),
      fig('pteWritesPerFork', 'page-table entries written per fork (the same in all three)', per(pv.pteWrites, pv.n), 'PTEs'),
      fig('pv.mmuCallsPerFork', 'pv: mmu_update + mmuext_op hypercalls per fork', per((calls['mmu_update'] ?? 0) + (calls['mmuext_op'] ?? 0), pv.n), 'calls'),
      fig('shadow.exitsPerFork', 'shadow: page-table exits per fork', per(pagingExits('shadow'), forks(base, 'shadow').n), 'exits'),
      fig('ept.exitsPerFork', 'ept: page-table exits per fork', per(pagingExits('ept'), forks(base, 'ept').n), 'exits'),
      fig('pv.hvUs', 'pv: hypervisor time per fork', hvUsPerFork('pv'), 'us'),
      fig('shadow.hvUs', 'shadow: hypervisor time per fork', hvUsPerFork('shadow'), 'us'),
      fig('ept.hvUs', 'ept: hypervisor time per fork', hvUsPerFork('ept'), 'us'),
    ];
  },
};
