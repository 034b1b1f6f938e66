// The xl.cfg grammar (xl.cfg(5) "SYNTAX"; libxlu's lexer and parser, tools/libs/util in Xen):
//
//   file    := { setting? (NEWLINE | ';') }         the last setting may lack its newline
//   setting := KEY ('=' | '+=') value
//   value   := STRING | NUMBER | '[' NL* [ value NL* { ',' NL* value NL* } [ ',' NL* ] ] ']'
//
// - KEY is [a-z][_0-9a-z]* (xl.cfg is case-sensitive; `Name` or `on-crash` are not keys).
// - STRING is "..." or '...' on one line, with C escapes: \" \' \\ \a \b \f \n \r \t \v, \xHH
//   and \ooo (octal). Any other character after a backslash is an error, as in xl. (xl's own
//   decoder checks \xHH and \ooo but drops the character; we decode it, as C does.)
// - NUMBER is decimal, 0x hex or 0-prefixed octal (read like strtol(…, 0)): `0x200` = `01000`
//   = 512. No sign, no fraction, no unit.
// - There is no true/false: xl booleans are NUMBERs (0 false, anything else true), and a bare
//   word such as `hvm` or `true` is a syntax error, as in xl. The message says what to write.
// - Lists may span lines, take a trailing comma and nest. `#` starts a comment up to the end
//   of the line; `;` separates settings on one line.
// Small deliberate leniencies (xl's lexer would refuse them): CRLF line ends, a comment on the
// last line without a newline, and upper-case hex digits after 0x.
//
// parseXlCfg answers every setting with the 1-based line and column of its key and of each
// value; the first syntax error in the file throws one ScenarioError `web.cfg:3:12: …`.

import { ScenarioError } from '../scenario/errors';

export interface XlPosition {
  line: number;
  column: number;
}

export interface XlAtom extends XlPosition {
  kind: 'string' | 'number';
  /** A string's text with escapes decoded; a number as written (xl keeps both as text). */
  text: string;
}

export interface XlList extends XlPosition {
  kind: 'list';
  items: XlValue[];
}

export type XlValue = XlAtom | XlList;

export interface XlSetting extends XlPosition {
  key: string;
  /** `+=` appends to a list or a string set earlier in the file. */
  op: '=' | '+=';
  value: XlValue;
}

type TokenKind = 'word' | 'number' | 'string' | 'newline' | 'eof' | '[' | ']' | ',' | '=' | '+=' | ';';

interface Token extends XlPosition {
  kind: TokenKind;
  /** As written in the file. */
  raw: string;
  /** A string's decoded text. */
  text: string;
}

const KEY = /^[a-z][_0-9a-z]*$/;
const WORD = /[A-Za-z_][A-Za-z0-9_.-]*/y;
const NUMBER_TOKEN = /[0-9][A-Za-z0-9_.]*/y;
const XL_NUMBER = /^(0x[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
const PUNCTUATION = new Set(['[', ']', ',', '=', ';']);
const ESCAPES: Record<string, string> = {
  '"': '"', "'": "'", '\\': '\\', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

/**
 * A number the way xl reads one (strtol with base 0 over the whole text, spaces and a sign
 * allowed in front): "512" → 512, "0x200" → 512, "010" → 8; anything else → undefined.
 */
export function parseXlNumber(text: string): number | undefined {
  const m = /^\s*([+-]?)(.*)$/s.exec(text)!;
  const body = m[2]!;
  if (!XL_NUMBER.test(body)) return undefined;
  const magnitude = body.startsWith('0x') ? parseInt(body.slice(2), 16) : body.length > 1 && body.startsWith('0') ? parseInt(body, 8) : Number(body);
  if (!Number.isSafeInteger(magnitude)) return undefined;
  return m[1] === '-' ? -magnitude : magnitude;
}

/** Whether `text` is written as an xl number but is too large to be read exactly. */
export function xlNumberTooLarge(text: string): boolean {
  return XL_NUMBER.test(/^\s*[+-]?(.*)$/s.exec(text)![1]!) && parseXlNumber(text) === undefined;
}

/** Splits xl.cfg text into tokens, one at a time, so the first error in the file wins. */
class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly src: string, private readonly file: string) {}

  fail(at: XlPosition, problem: string): never {
    throw new ScenarioError({ file: this.file, line: at.line, column: at.column, problem: `syntax error: ${problem}` });
  }

  next(): Token {
    this.skipBlanks();
    const at = { line: this.line, column: this.pos - this.lineStart + 1 };
    const c = this.src[this.pos];
    if (c === undefined) return { ...at, kind: 'eof', raw: '', text: '' };
    if (c === '\n') {
      this.pos++;
      this.line++;
      this.lineStart = this.pos;
      return { ...at, kind: 'newline', raw: '\n', text: '' };
    }
    if (c === '"' || c === "'") return this.string(at, c);
    if (this.src.startsWith('+=', this.pos)) return this.take(at, '+=', 2);
    if (PUNCTUATION.has(c)) return this.take(at, c as TokenKind, 1);
    const word = this.match(WORD) ?? this.match(NUMBER_TOKEN);
    if (word !== undefined) return this.word(at, word);
    return this.fail(at, unexpectedCharacter(c));
  }

  private skipBlanks(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || (c === '\r' && this.src[this.pos + 1] === '\n')) this.pos++;
      else if (c === '#') while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      else return;
    }
  }

  private take(at: XlPosition, kind: TokenKind, length: number): Token {
    const raw = this.src.slice(this.pos, this.pos + length);
    this.pos += length;
    return { ...at, kind, raw, text: raw };
  }

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    return re.exec(this.src)?.[0];
  }

  private word(at: XlPosition, raw: string): Token {
    this.pos += raw.length;
    if (!/^[0-9]/.test(raw)) return { ...at, kind: 'word', raw, text: raw };
    if (!XL_NUMBER.test(raw)) {
      this.fail(at, `${raw} is not a number: xl numbers are whole, without a unit, written in decimal (512), hex (0x200) or octal (01000)`);
    }
    return { ...at, kind: 'number', raw, text: raw };
  }

  private string(at: XlPosition, quote: string): Token {
    let text = '';
    let i = this.pos + 1;
    for (;;) {
      const c = this.src[i];
      if (c === undefined || c === '\n' || (c === '\r' && this.src[i + 1] === '\n')) {
        this.fail(at, `this string has no closing ${quote} (a string ends on the line it starts)`);
      }
      if (c === quote) break;
      if (c === '\\') {
        const escaped = this.escape(i);
        text += escaped.text;
        i = escaped.end;
      } else {
        text += c;
        i++;
      }
    }
    const raw = this.src.slice(this.pos, i + 1);
    this.pos = i + 1;
    return { ...at, kind: 'string', raw, text };
  }

  /** Decodes the escape whose backslash is at `i`. */
  private escape(i: number): { text: string; end: number } {
    const at = { line: this.line, column: i - this.lineStart + 1 };
    const c = this.src[i + 1] ?? '';
    if (c in ESCAPES) return { text: ESCAPES[c]!, end: i + 2 };
    const hex = /^x([0-9a-fA-F]{2})/.exec(this.src.slice(i + 1, i + 4));
    if (hex) return { text: String.fromCharCode(parseInt(hex[1]!, 16)), end: i + 4 };
    const octal = /^[0-7]{1,3}/.exec(this.src.slice(i + 1, i + 4));
    if (octal) return { text: String.fromCharCode(parseInt(octal[0], 8) & 0xff), end: i + 1 + octal[0].length };
    if (c === 'x') this.fail(at, 'a \\x escape needs two hex digits, e.g. \\x41');
    if (c === '' || c === '\n' || c === '\r') this.fail(at, 'a backslash cannot end a line inside a string');
    return this.fail(at, `\\${c} is not an escape xl knows (write \\\\ for a backslash)`);
  }
}

function unexpectedCharacter(c: string): string {
  if (c === ':') return "unexpected ':' (settings are written key = value)";
  if (c === '\ufeff') return 'unexpected byte order mark (U+FEFF), which xl does not read: save the file as UTF-8 without one';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(c)) {
    return `unexpected control character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} (an xl.cfg file is text)`;
  }
  const python = '+-.*/(){}'.includes(c) ? ' (xl.cfg is not Python: a value is a "string", a number or a [list])' : '';
  return `unexpected character '${c}'${python}`;
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'the end of the file';
  if (t.kind === 'newline') return 'the end of the line';
  return t.kind === 'word' || t.kind === 'number' || t.kind === 'string' ? t.raw : `'${t.raw}'`;
}

/** Parses xl.cfg text; `file` names it in errors. Throws ScenarioError on the first syntax error. */
export function parseXlCfg(text: string, file: string): XlSetting[] {
  return new Parser(new Lexer(text, file)).file();
}

/** Lists are parsed recursively; deeper nesting is refused rather than overflowing the stack. */
const MAX_LIST_DEPTH = 16;

class Parser {
  private token: Token;
  private depth = 0;

  constructor(private readonly lexer: Lexer) {
    this.token = lexer.next();
  }

  file(): XlSetting[] {
    const settings: XlSetting[] = [];
    for (;;) {
      const t = this.token;
      if (t.kind === 'eof') return settings;
      if (t.kind === 'newline' || t.kind === ';') {
        this.advance();
        continue;
      }
      settings.push(this.setting());
      this.endOfSetting(settings[settings.length - 1]!);
    }
  }

  private advance(): Token {
    const t = this.token;
    this.token = this.lexer.next();
    return t;
  }

  private setting(): XlSetting {
    const key = this.advance();
    if (key.kind !== 'word') this.lexer.fail(key, `expected a setting such as name = "web", got ${describe(key)}`);
    if (!KEY.test(key.raw)) {
      this.lexer.fail(key, `${key.raw} is not a key xl accepts: keys are lower-case letters, digits and _ (xl.cfg is case-sensitive)`);
    }
    const op = this.advance();
    if (op.kind !== '=' && op.kind !== '+=') this.lexer.fail(op, `expected = after ${key.raw}, got ${describe(op)}`);
    const value = this.value(`${key.raw} ${op.raw}`);
    return { key: key.raw, op: op.kind, value, line: key.line, column: key.column };
  }

  private endOfSetting(s: XlSetting): void {
    const t = this.token;
    if (t.kind === 'newline' || t.kind === ';' || t.kind === 'eof') return;
    this.lexer.fail(t, `expected a new line or ; after the value of ${s.key}, got ${describe(t)}`);
  }

  /** One value; `after` says what precedes it, for messages. */
  private value(after: string): XlValue {
    const t = this.advance();
    if (t.kind === 'string' || t.kind === 'number') return { kind: t.kind, text: t.text, line: t.line, column: t.column };
    if (t.kind === '[') return this.list(t);
    return this.lexer.fail(t, notAValue(t, after));
  }

  private list(open: Token): XlList {
    if (++this.depth > MAX_LIST_DEPTH) this.lexer.fail(open, `lists nested more than ${MAX_LIST_DEPTH} deep (xl.cfg lists nest one or two deep)`);
    const list: XlList = { kind: 'list', items: [], line: open.line, column: open.column };
    let newLine = this.skipNewlines();
    while (this.token.kind !== ']') {
      const t = this.token;
      if (t.kind === 'eof' || (t.kind === 'word' && newLine)) this.unclosed(open, t);
      if (t.kind === ',') this.lexer.fail(t, 'expected a value before this comma');
      list.items.push(this.value(list.items.length === 0 ? '[' : ','));
      newLine = this.skipNewlines();
      const sep = this.token;
      if (sep.kind === ']') break;
      if (sep.kind === 'eof' || (sep.kind === 'word' && newLine)) this.unclosed(open, sep);
      if (sep.kind !== ',') this.lexer.fail(sep, `expected , or ] after the list item, got ${describe(sep)}`);
      this.advance();
      newLine = this.skipNewlines();
    }
    this.advance();
    this.depth--;
    return list;
  }

  private unclosed(open: Token, found: Token): never {
    const where = found.kind === 'eof' ? 'the end of the file' : `${found.raw} on line ${found.line}`;
    return this.lexer.fail(open, `this list is never closed: ] is missing (found ${where})`);
  }

  /** Skips new lines; answers whether there were any. */
  private skipNewlines(): boolean {
    let skipped = false;
    while (this.token.kind === 'newline') {
      this.advance();
      skipped = true;
    }
    return skipped;
  }
}

function notAValue(t: Token, after: string): string {
  if (t.kind === 'word' && (t.raw === 'true' || t.raw === 'false')) {
    return `xl.cfg has no ${t.raw}: booleans are numbers, write ${t.raw === 'true' ? 1 : 0}`;
  }
  if (t.kind === 'word') return `${t.raw} is not a value: a string needs quotes, write "${t.raw}"`;
  return `expected a value after ${after} (a "string", a number or a [list]), got ${describe(t)}`;
}
