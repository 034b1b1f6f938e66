// A small Markdown renderer for the terminal, enough for the lesson texts: headings, paragraphs
// wrapped to the terminal's width, bullet and numbered lists with hanging indents (nested by
// indentation), block quotes, fenced code kept verbatim, and inline `code`, **bold** and
// *emphasis*. Styling is injected (ANSI on a colour terminal, nothing otherwise), so the same
// text renders plain into a pipe or a test.

export interface MdStyle {
  heading(s: string): string;
  bold(s: string): string;
  code(s: string): string;
  dim(s: string): string;
  /** Underline headings with a rule of = or - (for output without colour). */
  readonly rules: boolean;
}

const id = (s: string): string => s;
export const PLAIN: MdStyle = { heading: id, bold: id, code: id, dim: id, rules: true };
const sgr = (open: string, close: string) => (s: string): string => `\u001b[${open}m${s}\u001b[${close}m`;
export const ANSI: MdStyle = { heading: sgr('1;4', '22;24'), bold: sgr('1', '22'), code: sgr('36', '39'), dim: sgr('2', '22'), rules: false };

type Piece = { text: string; style: (s: string) => string };

export function renderMarkdown(md: string, width = 80, style: MdStyle = PLAIN): string {
  const out: string[] = [];
  const lines = md.replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < lines.length; ) {
    const line = lines[i]!;
    if (/^```/.test(line.trim())) {
      i = code(lines, i + 1, out, style);
      continue;
    }
    const block = blockAt(lines, i);
    if (block.kind === 'blank') {
      if (out.length > 0 && out[out.length - 1] !== '') out.push('');
      i++;
      continue;
    }
    out.push(...renderBlock(block, width, style));
    i = block.next;
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}

type Block =
  | { kind: 'blank' }
  | { kind: 'heading'; level: number; text: string; next: number }
  | { kind: 'item'; indent: number; marker: string; text: string; next: number }
  | { kind: 'quote'; text: string; next: number }
  | { kind: 'para'; text: string; next: number };

const ITEM = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/;

/** The block starting at line i, with its continuation lines joined. */
function blockAt(lines: string[], i: number): Block {
  const line = lines[i]!;
  if (line.trim() === '') return { kind: 'blank' };
  const h = /^(#{1,6})\s+(.*)$/.exec(line);
  if (h) return { kind: 'heading', level: h[1]!.length, text: h[2]!.trim(), next: i + 1 };
  const q = /^>\s?(.*)$/.exec(line);
  if (q) return joinWhile({ kind: 'quote' as const, text: q[1]!, next: i + 1 }, lines, (l) => /^>/.test(l), (l) => l.replace(/^>\s?/, ''));
  const it = ITEM.exec(line);
  if (it) {
    const bullet = /^[-*+]$/.test(it[2]!) ? '•' : it[2]!;
    return joinWhile({ kind: 'item' as const, indent: it[1]!.length, marker: bullet, text: it[3]!, next: i + 1 }, lines, (l) => /^\s+\S/.test(l) && !ITEM.test(l), (l) => l.trim());
  }
  return joinWhile({ kind: 'para' as const, text: line.trim(), next: i + 1 }, lines, (l) => l.trim() !== '' && !/^(#|>|```)/.test(l.trim()) && !ITEM.test(l), (l) => l.trim());
}

function joinWhile<B extends { text: string; next: number }>(b: B, lines: string[], more: (l: string) => boolean, clean: (l: string) => string): B {
  let n = b.next;
  let text = b.text;
  while (n < lines.length && more(lines[n]!)) text += ' ' + clean(lines[n++]!);
  return { ...b, text, next: n };
}

function renderBlock(b: Exclude<Block, { kind: 'blank' }>, width: number, style: MdStyle): string[] {
  switch (b.kind) {
    case 'heading': {
      const text = inline(b.text, style).map((p) => p.text).join('');
      const rule = style.rules && b.level <= 2 ? [(b.level === 1 ? '=' : '-').repeat(text.length)] : [];
      return [b.level === 1 ? style.heading(text) : style.bold(text), ...rule, ''];
    }
    case 'item': {
      const indent = 2 + Math.floor(b.indent / 2) * 3;
      const first = ' '.repeat(indent) + b.marker + ' ';
      return wrap(inline(b.text, style), width, first, ' '.repeat(first.length));
    }
    case 'quote':
      return wrap(inline(b.text, style), width, '  │ ', '  │ ');
    case 'para':
      return wrap(inline(b.text, style), width, '', '');
  }
}

/** Fenced code: kept verbatim, indented and dimmed. Returns the line after the closing fence. */
function code(lines: string[], i: number, out: string[], style: MdStyle): number {
  while (i < lines.length && !/^```/.test(lines[i]!.trim())) out.push('    ' + style.dim(lines[i++]!));
  out.push('');
  return i + 1;
}

/** Inline markup into styled pieces: `code`, **bold**, *em* / _em_ (shown plain). */
function inline(text: string, style: MdStyle): Piece[] {
  const pieces: Piece[] = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|(?<![\w])_([^_]+)_(?![\w])/g;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > at) pieces.push({ text: text.slice(at, m.index), style: id });
    if (m[1] !== undefined) pieces.push({ text: m[1], style: style.code });
    else if (m[2] !== undefined) pieces.push({ text: m[2], style: style.bold });
    else pieces.push({ text: m[3] ?? m[4]!, style: id });
    at = m.index + m[0].length;
  }
  if (at < text.length) pieces.push({ text: text.slice(at), style: id });
  return pieces;
}

/** Words made of styled pieces, wrapped by visible width with the given prefixes. */
function wrap(pieces: Piece[], width: number, first: string, rest: string): string[] {
  const words: Piece[][] = [[]];
  for (const p of pieces) {
    p.text.split(/( +)/).forEach((chunk) => {
      if (/^ +$/.test(chunk)) words.push([]);
      else if (chunk) words[words.length - 1]!.push({ text: chunk, style: p.style });
    });
  }
  const lines: string[] = [];
  let cur = '';
  let len = 0;
  let prefix = first;
  for (const w of words.filter((x) => x.length > 0)) {
    const wl = w.reduce((n, p) => n + p.text.length, 0);
    if (len > 0 && prefix.length + len + 1 + wl > width) {
      lines.push(prefix + cur);
      prefix = rest;
      cur = '';
      len = 0;
    }
    cur += (len > 0 ? ' ' : '') + w.map((p) => p.style(p.text)).join('');
    len += (len > 0 ? 1 : 0) + wl;
  }
  lines.push(prefix + cur);
  return lines;
}
