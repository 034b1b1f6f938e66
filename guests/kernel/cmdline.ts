// The guest kernel's command line: start_info's cmd_line, which xl fills from the domain's
// `cmdline` key (or, without it, `extra`). Linux reads a built-in module's parameters from it as
// `module.param=value`, with '-' and '_' alike in the names; words it does not know go to init
// and change nothing here. pvlab's guest kernel models the parameters of its Xen block
// frontend; a bad value or a misspelt name of those is an error, so that a scenario never runs
// with a setting silently ignored (Linux would print a warning and keep the default).

/** The parameters pvlab's guest kernel takes from its command line. */
export interface KernelParams {
  /** xen_blkfront.feature_persistent: offer persistent grants to the backend (Linux: yes). */
  readonly blkfrontPersistent: boolean;
  /** xen_blkfront.max_indirect_segments: the most segments of an INDIRECT request (Linux: 32). */
  readonly blkfrontMaxIndirectSegments: number;
}

export const DEFAULT_KERNEL_PARAMS: KernelParams = { blkfrontPersistent: true, blkfrontMaxIndirectSegments: 32 };

/** The command line's parameters, or the first problem in it, worded to follow "extra: ". */
export type CmdlineResult = { ok: true; params: KernelParams } | { ok: false; message: string };

type Setter = (p: Mutable<KernelParams>, value: string | undefined, name: string) => string | undefined;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const MODULES: Readonly<Record<string, Readonly<Record<string, Setter>>>> = {
  xen_blkfront: {
    feature_persistent: (p, v, name) => {
      const b = kstrtobool(v);
      if (b === undefined) return `${name}=${v}: not a boolean (y or n, 1 or 0, on or off)`;
      p.blkfrontPersistent = b;
      return undefined;
    },
    max_indirect_segments: (p, v, name) => {
      if (v === undefined || !/^\d{1,9}$/.test(v)) return `${name}=${v ?? ''}: not a number of segments`;
      p.blkfrontMaxIndirectSegments = Number(v);
      return undefined;
    },
  },
};

/** Parses a kernel command line; the empty line gives Linux's defaults. */
export function parseCmdline(line: string): CmdlineResult {
  const params: Mutable<KernelParams> = { ...DEFAULT_KERNEL_PARAMS };
  for (const word of words(line)) {
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? undefined : unquote(word.slice(eq + 1));
    const dot = name.indexOf('.');
    if (dot < 0) continue;
    const module = MODULES[name.slice(0, dot).replaceAll('-', '_')];
    if (module === undefined) continue;
    const param = name.slice(dot + 1).replaceAll('-', '_');
    const set = module[param];
    if (set === undefined) {
      const known = Object.keys(module).map((k) => `${name.slice(0, dot)}.${k}`);
      return { ok: false, message: `unknown parameter ${name} (pvlab's kernel knows ${known.join(' and ')})` };
    }
    const problem = set(params, value, name);
    if (problem !== undefined) return { ok: false, message: problem };
  }
  return { ok: true, params };
}

/** Splits at blanks outside double quotes, as Linux's next_arg does. */
function words(line: string): string[] {
  return line.match(/(?:"[^"]*"?|[^\s"])+/g) ?? [];
}

function unquote(v: string): string {
  return v.replaceAll('"', '');
}

/** Linux's kstrtobool, which looks at the first letters only: y, t, 1 or "on" is true; n, f, 0
 *  or "of(f)" false. A parameter given without '=' is true (param_set_bool). */
function kstrtobool(v: string | undefined): boolean | undefined {
  if (v === undefined) return true;
  const c = v[0]?.toLowerCase();
  if (c === 'y' || c === 't' || c === '1') return true;
  if (c === 'n' || c === 'f' || c === '0') return false;
  if (c === 'o' && v[1]?.toLowerCase() === 'n') return true;
  if (c === 'o' && v[1]?.toLowerCase() === 'f') return false;
  return undefined;
}
