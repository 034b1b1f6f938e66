// From "something is wrong at this key path" to one located ScenarioError.
// An Issue is a key path and a message. Zod's issues are turned into Issues with our wording;
// a Placer says where each one is (file, line, column, the key path to show) and ranks it in
// reading order, so the first problem can be reported. The Locator places issues in a YAML
// document (the key itself for an unknown key, the value otherwise, the nearest enclosing node
// for a missing key); a Redirect lets another file answer for some paths (a domain read from an
// xl.cfg file: its keys are placed in that file, ranked where the YAML names the file).

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import { closestMatch, describeValue, formatKeyPath, ScenarioError, type PathSegment } from './errors';
import { REQUIRED } from './fields';

export interface Issue {
  path: PathSegment[];
  message: string;
  /** Point at the key itself (an unknown key) rather than at its value. */
  atKey?: boolean;
}

/** Our wording for one zod issue; `raw` is the document as plain data, for "(got …)". */
export function issueFromZod(issue: z.core.$ZodIssue, raw: unknown): Issue {
  const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  const value = valueAt(raw, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return { path: [...path, issue.keys[0]!], message: issue.message, atKey: true };
    case 'invalid_union':
      if (issue.discriminator !== undefined && 'options' in issue) {
        return { path, message: discriminatorMessage(issue.discriminator, issue.options ?? [], value) };
      }
      return { path, message: value === undefined ? REQUIRED : `is not valid (got ${describeValue(value)})` };
    case 'invalid_type':
      if (value === undefined) return { path, message: REQUIRED };
      return { path, message: `must be ${nounFor(issue.expected)} (got ${describeValue(value)})` };
    default:
      return { path, message: issue.message };
  }
}

function discriminatorMessage(key: string, options: readonly unknown[], value: unknown): string {
  const names = options.map(String);
  if (value === undefined) return `${REQUIRED} (one of ${names.join(', ')})`;
  const close = typeof value === 'string' ? closestMatch(value, names) : undefined;
  const hint = close === undefined ? '' : `; did you mean '${close}'?`;
  return `unknown ${key} ${describeValue(value)} (expected one of ${names.join(', ')})${hint}`;
}

function nounFor(expected: string): string {
  if (expected === 'object') return 'a mapping of keys';
  if (expected === 'array') return 'a list';
  if (expected === 'string') return 'text';
  return `a ${expected}`;
}

function valueAt(raw: unknown, path: readonly PathSegment[]): unknown {
  let v = raw;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PathSegment, unknown>)[seg];
  }
  return v;
}

/** Where an issue is reported, and its rank in reading order (compared element by element). */
export interface Placement {
  file: string;
  line?: number;
  column?: number;
  keyPath: string;
  rank: readonly number[];
}

export type Placer = (issue: Issue) => Placement;

/** Places an issue elsewhere than the YAML document, or answers undefined. */
export type Redirect = (issue: Issue, yaml: Locator) => Placement | undefined;

/** The issue that comes first in reading order, as a ScenarioError. */
export function firstError(issues: readonly Issue[], place: Placer): ScenarioError {
  let best = issues[0]!;
  let bestPlace = place(best);
  for (const issue of issues.slice(1)) {
    const p = place(issue);
    if (compareRanks(p.rank, bestPlace.rank) < 0) {
      best = issue;
      bestPlace = p;
    }
  }
  const { file, line, column, keyPath } = bestPlace;
  return new ScenarioError({ file, line, column, keyPath, problem: best.message });
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Places issues in a parsed YAML document. */
export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly file: string,
    private readonly redirect?: Redirect,
  ) {}

  /** The issue that comes first in the document, as a ScenarioError. */
  first(issues: readonly Issue[]): ScenarioError {
    return firstError(issues, (i) => this.place(i));
  }

  error(issue: Issue): ScenarioError {
    return firstError([issue], (i) => this.place(i));
  }

  /** Where the issue is: in another file if the redirect says so, else in the YAML document. */
  place(issue: Issue): Placement {
    const elsewhere = this.redirect?.(issue, this);
    if (elsewhere) return elsewhere;
    const offset = this.offset(issue);
    const pos = this.lines.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col, keyPath: formatKeyPath(issue.path), rank: [offset] };
  }

  private offset(issue: Issue): number {
    const found = this.find(issue.path);
    const node = issue.atKey && found.key ? found.key : found.node;
    return node?.range?.[0] ?? 0;
  }

  /** The deepest node along `path`, and the key node that led to it. */
  private find(path: readonly PathSegment[]): { node: Node | null; key?: Node } {
    let node: unknown = this.doc.contents;
    let key: Node | undefined;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.doc) ?? node;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        key = pair.key as Node;
        node = pair.value ?? key;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        node = node.items[seg];
        key = undefined;
      } else {
        break;
      }
    }
    return { node: (node as Node | null) ?? null, key };
  }
}
