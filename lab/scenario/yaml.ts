// A scenario file's text → its YAML document and plain data, or one located ScenarioError.
// Besides the YAML library's own syntax errors, what the library would choke on, or turn
// into something no scenario means, is refused here with a message of its own:
// - nesting deeper than MAX_DEPTH levels: the library composes documents recursively, so a
//   few thousand `[` overflow the stack; the depth is measured first on the library's CST,
//   which is built without recursion;
// - keys that are lists, mappings or null (`? [a, b]`, `~: 1`): plain data has no such keys
//   (the library would make them text and print a process warning);
// - aliases that name no anchor before them, and aliases that expand into too many values
//   (the "billion laughs" file);
// - a document that is not a mapping (a list, a scalar, nothing), placed where it starts.

import {
  CST, isAlias, isPair, isScalar, isSeq, LineCounter, parseDocument, Parser, visit, type Document, type Node, type YAMLError,
} from 'yaml';
import { describeValue, formatKeyPath, ScenarioError, type PathSegment } from './errors';

/** How deep a scenario may nest; real ones need four levels (domains[0].workload.kind). */
export const MAX_DEPTH = 64;

/** At most this many values may come out of aliases (yaml's maxAliasCount). */
const MAX_ALIAS_COUNT = 1000;

export type YamlRead =
  | { ok: true; doc: Document; lines: LineCounter; raw: Record<string, unknown> }
  | { ok: false; error: ScenarioError };
export type YamlValue =
  | { ok: true; doc: Document; lines: LineCounter; raw: unknown }
  | { ok: false; error: ScenarioError };

/** Parses one YAML document that must be a mapping; `file` names it in errors. */
export function readYamlMapping(text: string, file: string): YamlRead {
  const r = readYaml(text, file);
  if (!r.ok) return r;
  const { doc, lines, raw } = r;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const pos = lines.linePos(doc.contents?.range?.[0] ?? 0);
    const problem = `a scenario must be a mapping of keys such as name: and domains: (got ${describeValue(raw)})`;
    return failed(new ScenarioError({ file, line: pos.line, column: pos.col, problem }));
  }
  return { ok: true, doc, lines, raw: raw as Record<string, unknown> };
}

/** Parses one YAML document into plain data, with every check above but the mapping's (a
 *  value given on the command line, say); `file` names it in errors. */
export function readYaml(text: string, file: string): YamlValue {
  const cstLines = new LineCounter();
  const cst = [...new Parser(cstLines.addNewLine).parse(text)];
  const deep = firstTooDeep(cst);
  if (deep) {
    const pos = cstLines.linePos(deep.token.offset);
    const problem = `nested more than ${MAX_DEPTH} levels deep (a scenario's values are a few levels deep at most)`;
    return failed(new ScenarioError({ file, line: pos.line, column: pos.col, keyPath: deep.key, problem }));
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, logLevel: 'error' });
  const at = (node: Node | null | undefined, keyPath: string, problem: string): YamlValue => {
    const pos = lines.linePos(node?.range?.[0] ?? 0);
    return failed(new ScenarioError({ file, line: pos.line, column: pos.col, keyPath, problem }));
  };
  const syntax = doc.errors[0];
  if (syntax) return failed(yamlError(syntax, lines, cst, file));
  const badKey = firstBadKey(doc);
  if (badKey) return at(badKey.node, badKey.keyPath, badKey.problem);
  const unresolved = firstUnresolvedAlias(doc);
  if (unresolved) return at(unresolved.node, unresolved.keyPath, unresolved.problem);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const alias = firstAlias(doc);
    if (!alias) throw e;
    return at(alias.node, alias.keyPath, `the aliases expand into more than ${MAX_ALIAS_COUNT} values (each *name copies what its &name holds)`);
  }
  return { ok: true, doc, lines, raw };
}

function failed(error: ScenarioError): { ok: false; error: ScenarioError } {
  return { ok: false, error };
}

/**
 * The library's first syntax error. An unclosed quote or flow collection is reported where it
 * opens: the library finds it missing only where the file (or the block) ends.
 */
function yamlError(error: YAMLError, lines: LineCounter, cst: readonly CST.Token[], file: string): ScenarioError {
  const first = error.code === 'MULTIPLE_DOCS'
    ? 'a scenario file holds one YAML document, but a second one starts here'
    : error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const opened = openingOf(first, error.pos[0], cst);
  const pos = opened === undefined ? (error.linePos?.[0] ?? lines.linePos(error.pos[0])) : lines.linePos(opened);
  return new ScenarioError({ file, line: pos.line, column: pos.col, problem: `YAML syntax error: ${first}` });
}

/** For "Missing closing "quote" and "Flow map … must end with a }": where that quote or `{` opens. */
function openingOf(message: string, errorAt: number, cst: readonly CST.Token[]): number | undefined {
  const quote = /^Missing closing (['"])quote$/.exec(message)?.[1];
  const close = /^Flow (?:map|sequence)\b.* end with a ([}\]])$/.exec(message)?.[1];
  if (quote === undefined && close === undefined) return undefined;
  let found: number | undefined;
  for (const { token } of walk(cst)) {
    if (token.offset >= errorAt) break;
    if (quote !== undefined && token.type === (quote === '"' ? 'double-quoted-scalar' : 'single-quoted-scalar') &&
        token.offset + token.source.length >= errorAt) found = token.offset;
    if (close !== undefined && token.type === 'flow-collection' && token.start.source === (close === '}' ? '{' : '[') &&
        !token.end.some((t) => t.source === close)) found = token.offset;
  }
  return found;
}

interface Walked {
  token: CST.Token;
  /** How many collections enclose it (the top-level mapping is at 0). */
  depth: number;
  /** The top-level key it is under ('' for the top level itself). */
  key: string;
}

/** Every node token of the CST in reading order, without recursion. */
function* walk(cst: readonly CST.Token[]): Generator<Walked> {
  for (const doc of cst) {
    if (doc.type !== 'document' || !doc.value) continue;
    const stack: Walked[] = [{ token: doc.value, depth: 0, key: '' }];
    while (stack.length > 0) {
      const w = stack.pop()!;
      yield w;
      if (!CST.isCollection(w.token)) continue;
      for (const item of [...w.token.items].reverse()) {
        const key = w.depth === 0 && item.key ? (CST.resolveAsScalar(item.key, true, () => undefined)?.value ?? '') : w.key;
        if (item.value) stack.push({ token: item.value, depth: w.depth + 1, key });
        if (item.key) stack.push({ token: item.key, depth: w.depth + 1, key });
      }
    }
  }
}

/** The first collection (in reading order) nested deeper than MAX_DEPTH. */
function firstTooDeep(cst: readonly CST.Token[]): Walked | undefined {
  for (const w of walk(cst)) if (w.depth === MAX_DEPTH && CST.isCollection(w.token)) return w;
  return undefined;
}

interface Found {
  node: Node | null;
  keyPath: string;
  problem: string;
}

/** A key that is a list, a mapping or null. */
function firstBadKey(doc: Document): Found | undefined {
  let found: Found | undefined;
  visit(doc, {
    Pair(_, pair, ancestors) {
      const key = pair.key as Node | null;
      if (isAlias(key) || (isScalar(key) && key.value !== null && typeof key.value !== 'object')) return undefined;
      const got = key === null || (isScalar(key) && key.value === null) ? 'nothing' : isSeq(key) ? 'a list' : 'a mapping';
      found = { node: key ?? (pair.value as Node | null), keyPath: keyPathOf(ancestors), problem: `a key must be a name such as vcpus (got ${got})` };
      return visit.BREAK;
    },
  });
  return found;
}

/** The first alias (*name) in the document. */
function firstAlias(doc: Document): Found | undefined {
  let found: Found | undefined;
  visit(doc, {
    Alias(_, alias, ancestors) {
      found = { node: alias, keyPath: keyPathOf([...ancestors, alias]), problem: '' };
      return visit.BREAK;
    },
  });
  return found;
}

/** The first alias (in reading order) with no anchor of its name before it, which the library
 *  cannot resolve. */
function firstUnresolvedAlias(doc: Document): Found | undefined {
  const anchors = new Set<string>();
  let found: Found | undefined;
  visit(doc, {
    Node(_, node, ancestors) {
      if (isAlias(node)) {
        if (anchors.has(node.source)) return undefined;
        const problem = `*${node.source} has no &${node.source} before it to copy (an alias copies what an anchor set before it holds)`;
        found = { node, keyPath: keyPathOf([...ancestors, node]), problem };
        return visit.BREAK;
      }
      if (node.anchor) anchors.add(node.anchor);
      return undefined;
    },
  });
  return found;
}

/** The key path of the last node of `chain` (a visit's ancestors, and the node). */
function keyPathOf(chain: readonly unknown[]): string {
  const path: PathSegment[] = [];
  for (let i = 0; i + 1 < chain.length; i++) {
    const a = chain[i];
    const next = chain[i + 1];
    if (isPair(a) && next === a.value && isScalar(a.key)) path.push(String(a.key.value));
    else if (isSeq(a)) path.push(a.items.indexOf(next as never));
  }
  return formatKeyPath(path);
}
