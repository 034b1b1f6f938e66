// virsh's command line: words split the way a shell splits them (quotes group, a backslash
// escapes), then `--option value`, `--flag` and positional arguments, with virsh's errors for
// what is missing ("error: command 'start' requires <domain> option").

/** The commands pvlab's virsh runs (./virsh implements each). */
export const VIRSH_VERBS = [
  'list', 'start', 'shutdown', 'reboot', 'destroy', 'suspend', 'resume', 'undefine', 'define', 'create',
  'dominfo', 'domstate', 'vcpuinfo', 'vcpupin', 'setvcpus', 'schedinfo', 'dumpxml',
] as const;
export type VirshVerb = (typeof VIRSH_VERBS)[number];

export interface Parsed {
  positional: string[];
  options: Map<string, string>;
  flags: Set<string>;
}

/** Splits a command the way a shell would, or says where a quote was left open. */
export function splitWords(line: string): string[] | string {
  const words: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) return `unterminated ${quote === '"' ? 'double' : 'single'} quote`;
  if (has) words.push(cur);
  return words;
}

/** `--name value` for the options in `valued`, `--flag` for the rest, `--name=value` too. */
export function parseArgs(words: readonly string[], valued: readonly string[]): Parsed | string {
  const out: Parsed = { positional: [], options: new Map(), flags: new Set() };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith('--') || w === '--') {
      out.positional.push(w);
      continue;
    }
    const eq = w.indexOf('=');
    const name = eq > 0 ? w.slice(2, eq) : w.slice(2);
    if (!valued.includes(name)) {
      if (eq > 0) return `command does not take a value for --${name}`;
      out.flags.add(name);
      continue;
    }
    const value = eq > 0 ? w.slice(eq + 1) : words[++i];
    if (value === undefined) return `expected syntax: --${name} <string>`;
    if (name === 'set' && out.options.has('set')) out.options.set('set', `${out.options.get('set')},${value}`);
    else out.options.set(name, value);
  }
  return out;
}
