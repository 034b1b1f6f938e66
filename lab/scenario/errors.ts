// ScenarioError: the one exception type lab/ throws for bad input (a scenario file, a config
// file, a command-line override). It carries where the problem is (file, line, column, the key
// path such as `domains[1].vcpus`) and what it is, and formats itself the way compilers do:
//   credit.yaml:12:5: domains[1].vcpus: must be at least 1 (got 0)
// Also the small helpers every message builder shares: key-path formatting, "did you mean"
// suggestions, a short rendering of the offending value and of a failed file read.

/** One step of a key path: a mapping key or a list index. */
export type PathSegment = string | number;

export interface ScenarioErrorInit {
  /** The file as the user named it (not resolved), or a label such as `command line`. */
  file: string;
  /** 1-based line, when the problem has a place in a file. */
  line?: number;
  /** 1-based column, when the problem has a place in a file. */
  column?: number;
  /** Where in the document, e.g. `domains[1].vcpus`; empty for the document as a whole. */
  keyPath?: string;
  /** What is wrong, without the location prefix. */
  problem: string;
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly keyPath: string;
  readonly problem: string;

  constructor(init: ScenarioErrorInit) {
    super(oneLine(formatLocated(init)));
    this.file = init.file;
    this.line = init.line;
    this.column = init.column;
    this.keyPath = init.keyPath ?? '';
    this.problem = init.problem;
  }
}

function formatLocated(init: ScenarioErrorInit): string {
  let where = init.file;
  if (init.line !== undefined) where += `:${init.line}`;
  if (init.line !== undefined && init.column !== undefined) where += `:${init.column}`;
  const parts = [where, init.keyPath, init.problem].filter((p) => p !== undefined && p !== '');
  return parts.join(': ');
}

/**
 * The message on one line and safe on a terminal: control characters (a new line inside a
 * quoted YAML value, an escape sequence, a NUL from a binary file) and invisible marks such
 * as a byte order mark are shown as escapes (\n, \u001b, \ufeff).
 */
function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** `['domains', 1, 'vcpus']` → `domains[1].vcpus`. */
export function formatKeyPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** Text longer than this is cut in "(got …)": a binary file read as YAML is one long string. */
const SHOWN = 60;

/** A short rendering of a value for "(got …)": numbers plain, text quoted (and cut), structures named. */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > SHOWN ? `${value.slice(0, SHOWN)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (ArrayBuffer.isView(value)) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** Why a file could not be read, for "cannot read …: <reason>". */
export function describeReadError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a folder';
  return e instanceof Error ? e.message : String(e);
}

/** The closest candidate to `word`, if it is close enough to be a likely typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const limit = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean 'x'?` or, with no close match, the list of accepted words. */
export function suggestion(word: string, candidates: readonly string[], what: string): string {
  const close = closestMatch(word, candidates);
  if (close !== undefined) return `did you mean '${close}'?`;
  return `${what}: ${candidates.join(', ')}`;
}

/** Optimal string alignment distance: edits, with a swap of two neighbours counting as one. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i]!;
    const prev = rows[i - 1]!;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
      }
    }
  }
  return rows[a.length]![b.length]!;
}
