// `pvlab compare --explain`: the note under the table is about the job that ran. It used to be
// npm start's note (4 KiB random reads, IDE exits per read) whatever the workload, so a ttcp
// comparison was explained in terms of disk reads.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareExplanation } from '../../lab/cli/compare-format';

const ROOT = join(import.meta.dirname, '..', '..');

describe('pvlab compare --explain', () => {
  it('describes a fio job by its own options', () => {
    const start = compareExplanation('fio', 'fio rw=randread bs=4096 iodepth=1 size=67108864 verify=false on modern (seed 1)');
    expect(start.split('\n')[0]).toBe('What this shows: the same 4 KiB random-read job, one request at a time, on one disk.');
    const deep = compareExplanation('fio', 'fio rw=write bs=65536 iodepth=32 size=67108864 verify=false on modern (seed 1)');
    expect(deep.split('\n')[0]).toBe('What this shows: the same 64 KiB sequential-write job, 32 requests in flight, on one disk.');
    expect(deep).toContain('- hvm / hvm-ahci:');
  });

  it('explains a network job by the network path of each mode, and a computing job by its privileged work', () => {
    for (const kind of ['ttcp', 'netperf-rr', 'udp-flood']) {
      const text = compareExplanation(kind, `${kind} on modern (seed 1)`);
      expect(text).toMatch(/^What this shows: the same network job/);
      for (const mode of ['native', 'pv', 'hvm / hvm-rtl8139', 'kvm-virtio / kvm-vhost']) expect(text).toContain(`- ${mode}:`);
      expect(text).toContain('netfront');
      expect(text).not.toMatch(/IDE|per read/);
    }
    const cpu = compareExplanation('cpu-burn', 'cpu-burn on modern (seed 1)');
    expect(cpu).toMatch(/^What this shows: the same job under each mode/);
    expect(cpu).not.toMatch(/IDE|netfront|per read/);
  });

  it('prints the note for the workload the command line names', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'pvlab.js'), 'compare', 'ttcp', 'bytes=1MiB', '--modes', 'native,pv', '--explain'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(compareExplanation('ttcp', ''));
    expect(r.stdout).not.toContain('random-read');
  });
});
