// The benchmark suites of `pvlab compare --suite` (issue 5): the JSON a suite gives, the
// lmbench names, specint near native in every mode but emulation, and each result explained
// by counts per operation.
import { describe, expect, it } from 'vitest';
import { runSuite, SUITES, type SuiteMode } from '../../lab/suite';
import { renderSuite } from '../../lab/cli/suite-format';
import { main } from '../../lab/cli/main';

describe('a suite', () => {
  it('names lmbench\'s benchmarks as the issue lists them, and the macro ones', () => {
    expect(SUITES.lmbench).toEqual([
      'null-call', 'null-io', 'stat', 'open-close', 'select-tcp', 'sig-install', 'sig-handler', 'fork', 'exec', 'sh',
      'ctxsw-2p-0k', 'ctxsw-2p-16k', 'ctxsw-2p-64k', 'ctxsw-8p-16k', 'ctxsw-8p-64k', 'ctxsw-16p-16k', 'ctxsw-16p-64k',
      'file-create-0k', 'file-delete-0k', 'file-create-10k', 'file-delete-10k', 'mmap', 'prot-fault', 'page-fault',
    ]);
    expect(SUITES.macro).toEqual(['specint', 'kernel-build', 'dbench', 'oltp', 'web', 'forkwait']);
  });

  it('gives one row per benchmark with a score per mode, relative to native as higher-is-better, and its counts', () => {
    const r = runSuite({ suite: 'lmbench', platform: 'xeon-2003', modes: ['native', 'pv', 'bt'], only: ['null-call', 'fork', 'page-fault'] });
    console.log(renderSuite(r));
    expect(Object.keys(r).sort()).toEqual(['modes', 'notices', 'platform', 'rows', 'seed', 'suite']);
    expect(r).toMatchObject({ suite: 'lmbench', platform: 'xeon-2003', seed: 1 });
    for (const row of r.rows) {
      expect(row).toMatchObject({ unit: 'us', higherIsBetter: false });
      expect(row.errors).toBeUndefined();
      expect(row.relativeToNative['native']).toBe(1);
      for (const m of r.modes) {
        const x = row.results[m]!;
        expect(x).toBeGreaterThan(0);
        expect(row.relativeToNative[m]).toBeCloseTo(row.results['native']! / x, 2);
        expect(row.perOp[m]).toBeDefined();
      }
    }
    const fork = r.rows.find((x) => x.benchmark === 'fork')!;
    // A fork is slower virtualized, and the counts say why: hypercalls under PV, none natively.
    expect(fork.relativeToNative['pv']!).toBeLessThan(1);
    expect(fork.perOp['pv']!.hypercalls).toBeGreaterThan(0);
    expect(fork.perOp['native']!.hypercalls).toBe(0);
    expect(fork.perOp['native']!.pteWrites).toBe(fork.perOp['pv']!.pteWrites);
    expect(fork.perOp['native']!.contextSwitches).toBe(2);
  });

  it('runs specint within a few percent of native in every mode but tcg, because user code runs directly', () => {
    const ratios: Record<string, number> = {};
    const eras: [string, SuiteMode[]][] = [
      ['modern', ['native', 'pv', 'hvm', 'hvm-shadow', 'bt', 'tcg', 'pvh', 'pvhvm']],
      ['core2-2006', ['native', 'pv', 'hvm', 'bt', 'tcg']],
      ['xeon-2003', ['native', 'pv', 'bt', 'tcg']],
    ];
    for (const [platform, modes] of eras) {
      const r = runSuite({ suite: 'macro', platform, modes, only: ['specint'], options: { slice: '0.002' } });
      for (const m of modes) ratios[`${platform}/${m}`] = r.rows[0]!.relativeToNative[m]!;
    }
    console.log('specint relative to native:', ratios);
    for (const [key, ratio] of Object.entries(ratios)) {
      if (key.endsWith('/tcg')) expect(ratio, key).toBeLessThan(0.2);
      else expect(ratio, key).toBeGreaterThan(0.97);
    }
  });

  it('explains every macro benchmark by its counts, with block I/O where files reach the disk', () => {
    const r = runSuite({ suite: 'macro', platform: 'core2-2006', modes: ['native', 'pv', 'hvm'], only: ['dbench', 'oltp', 'forkwait'], options: {} });
    for (const row of r.rows) {
      expect(row.errors, row.benchmark).toBeUndefined();
      for (const m of r.modes) expect(row.perOp[m], `${row.benchmark} ${m}`).toBeDefined();
    }
    const oltp = r.rows.find((x) => x.benchmark === 'oltp')!;
    expect(oltp).toMatchObject({ unit: 'tx/s', higherIsBetter: true });
    // Each transaction is 20 round trips between client and server, and one log fsync.
    expect(oltp.perOp['native']!.contextSwitches).toBeCloseTo(40, 0);
    expect(oltp.perOp['native']!.blockIos).toBeGreaterThanOrEqual(1);
    // Under VT-x the emulated disk's register accesses exit; PV has hypercalls instead.
    expect(oltp.perOp['hvm']!.exits).toBeGreaterThan(10);
    expect(oltp.perOp['pv']!.exits).toBe(0);
    expect(r.rows.find((x) => x.benchmark === 'dbench')!.perOp['native']!.blockIos).toBeGreaterThan(0);
  });
});

describe('pvlab compare --suite', () => {
  it('refuses an unknown suite or mode with exit status 2', async () => {
    expect(await main(['compare', '--suite', 'spec2017'])).toBe(2);
    expect(await main(['compare', '--suite', 'lmbench', '--modes', 'native,vmware'])).toBe(2);
  });
});
