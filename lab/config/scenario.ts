// Running one xl.cfg file on its own (`pvlab run web.cfg`): the file's domain on a default host,
// as `xl create web.cfg` would start it on a fresh machine. The scenario is what a scenario file
// holding only `name:` and this one domain would give, with:
// - name: the domain's name; seed 1, duration 1s, platform modern;
// - host: 4 pCPUs, 16 GiB, one 256 GiB SSD `sda`; credit scheduler, tslice 30ms, ratelimit 1ms;
// - dom0: 1 vCPU, 1024 MiB, weight 256, uncapped;
// - workload: idle, the scenario default. A .cfg says what the guest is, not what it runs, and
//   an idle guest claims nothing the file does not say; `options.workload` (the CLI's
//   `--workload cpu-burn`) picks another, checked like a scenario's `workload:`.
// - storage: a scenario declares the volumes its guests use, a .cfg cannot. So every disk target
//   shaped like a logical volume, `/dev/<group>/<name>` (/dev/vg0/web, /dev/mapper/vg0-web),
//   becomes an 8 GiB volume on `sda`, as if the administrator had run `lvcreate -L 8G` first.
//   Image files need nothing; `/dev/sda` is the host disk itself; other `/dev/...` paths are
//   errors, as in a scenario.
// Errors point into the .cfg (file:line:column); a missing key at 1:1, since it has no place.

import { basename, extname } from 'node:path';
import { readTextFile, type ReadFile } from '../scenario/configs';
import { describeReadError, formatKeyPath, ScenarioError, type PathSegment } from '../scenario/errors';
import type { Placement } from '../scenario/issues';
import { validateScenario } from '../scenario/load';
import { DEFAULT_HOST_DISK } from '../scenario/schema';
import type { Scenario } from '../scenario/types';
import { formatSize, GiB } from '../scenario/units';
import { parseDiskSpec } from '../scenario/xlspec';
import { placeInConfig, readDomainConfig, type ConfigWarning, type DomainConfig } from './domain';

/** The size of a volume made up for a `/dev/<group>/<name>` disk target. */
export const DEFAULT_VOLUME_SIZE = 8 * GiB;

const VOLUME_PATH = /^\/dev\/[^/\s]+\/[^/\s]+$/;

export interface ConfigRunOptions {
  /** The guest's workload: a kind (`cpu-burn`) or a whole `workload:` mapping. Default idle. */
  workload?: string | Record<string, unknown>;
  /** How the file is read (default: from disk). */
  readFile?: ReadFile;
}

export interface LoadedConfig {
  scenario: Scenario;
  warnings: ConfigWarning[];
}

/** Reads an xl.cfg file into a one-domain Scenario; throws ScenarioError if it is unreadable or invalid. */
export function loadConfigAsScenario(path: string, options: ConfigRunOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = (options.readFile ?? readTextFile)(path);
  } catch (e) {
    throw new ScenarioError({ file: path, problem: `cannot read the config file: ${describeReadError(e)}` });
  }
  return parseConfigAsScenario(text, path, options);
}

/** As loadConfigAsScenario, from the file's text; `file` names it in messages and Scenario.file. */
export function parseConfigAsScenario(text: string, file: string, options: ConfigRunOptions = {}): LoadedConfig {
  const cfg = readDomainConfig(text, file);
  const entry: Record<string, unknown> = { ...cfg.entry, workload: workloadOf(options.workload) };
  const volumes = madeUpVolumes(entry.disk);
  const raw = {
    name: basename(file, extname(file)) || 'config',
    domains: [entry],
    dom0: { volumes: volumes.map((v) => ({ name: v.target, disk: DEFAULT_HOST_DISK.name, size: formatSize(DEFAULT_VOLUME_SIZE) })) },
  };
  const r = validateScenario(raw, file, (issue) => placeIssue(issue.path, cfg, volumes, options.workload !== undefined));
  if (!r.ok) throw r.error;
  return { scenario: { ...r.scenario, name: r.scenario.domains[0]!.name }, warnings: cfg.warnings };
}

function workloadOf(option: ConfigRunOptions['workload']): unknown {
  if (option === undefined) return { kind: 'idle' };
  return typeof option === 'string' ? { kind: option } : option;
}

/** One volume per distinct `/dev/<group>/<name>` target, with the disk that named it first. */
function madeUpVolumes(disks: unknown): { target: string; disk: number }[] {
  const out: { target: string; disk: number }[] = [];
  if (!Array.isArray(disks)) return out;
  disks.forEach((spec: unknown, j) => {
    if (typeof spec !== 'string') return;
    const r = parseDiskSpec(spec);
    if (r.ok && VOLUME_PATH.test(r.value.target) && !out.some((v) => v.target === r.value.target)) {
      out.push({ target: r.value.target, disk: j });
    }
  });
  return out;
}

function placeIssue(path: readonly PathSegment[], cfg: DomainConfig, volumes: { disk: number }[], workloadGiven: boolean): Placement {
  const inDomain = path[0] === 'domains' && path[1] === 0 ? path.slice(2) : undefined;
  if (inDomain?.[0] === 'workload' && workloadGiven) {
    return { file: 'command line', keyPath: formatKeyPath(['--workload', ...inDomain.slice(1)]), rank: [0] };
  }
  const volume = path[0] === 'dom0' && path[1] === 'volumes' && typeof path[2] === 'number' ? volumes[path[2]] : undefined;
  const local = volume ? ['disk', volume.disk] : inDomain;
  const found = local && placeInConfig(local, cfg.places);
  if (found) {
    const { place, rest } = found;
    return { file: cfg.file, line: place.line, column: place.column, keyPath: formatKeyPath([place.key, ...rest]), rank: [place.line, place.column] };
  }
  return { file: cfg.file, line: 1, column: 1, keyPath: formatKeyPath(local ?? path), rank: [0] };
}
