// Colour on the terminal, by the usual conventions: only when the stream is a terminal, never
// when NO_COLOR is set to anything but the empty string (no-color.org), and FORCE_COLOR (set,
// not "0") turns it on for a stream that is not a terminal — but NO_COLOR still wins. Reports
// (JSON, CSV, HTML) never carry colour; only the terminal table, warnings and errors do.

export interface Stream {
  isTTY?: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Whether text written to `stream` may carry ANSI colour. */
export function colorEnabled(stream: Stream, env: Env = process.env): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  return stream.isTTY === true;
}

export interface Painter {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

const sgr = (open: number, close: number) => (s: string): string => `\u001b[${open}m${s}\u001b[${close}m`;
const plain = (s: string): string => s;

/** Colour functions for `stream`: ANSI when colour is enabled there, the identity otherwise. */
export function painter(stream: Stream, env: Env = process.env): Painter {
  if (!colorEnabled(stream, env)) return { bold: plain, dim: plain, red: plain, yellow: plain, green: plain, cyan: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), cyan: sgr(36, 39) };
}

/** The text without ANSI colour sequences. */
export function stripColor(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}
