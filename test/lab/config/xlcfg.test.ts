// The xl.cfg grammar: settings, values with their places, and one located message per syntax error.
import { describe, expect, it } from 'vitest';
import { parseXlCfg, parseXlNumber, errorOf, type XlValue } from './helpers';

/** The settings as `key op value`, values in a compact form. */
function read(text: string): string[] {
  return parseXlCfg(text, 'web.cfg').map((s) => `${s.key} ${s.op} ${show(s.value)}`);
}

function show(v: XlValue): string {
  if (v.kind === 'list') return `[${v.items.map(show).join(' ')}]`;
  return v.kind === 'number' ? `#${v.text}` : JSON.stringify(v.text);
}

/** The one error message a text produces. */
function syntaxError(text: string): string {
  return errorOf(() => parseXlCfg(text, 'web.cfg'));
}

describe('the xl.cfg grammar', () => {
  it('reads KEY = VALUE settings with strings in either quote and numbers', () => {
    expect(read('name = "web"\ntype=\'pv\'\nmemory = 512\n')).toEqual(['name = "web"', 'type = "pv"', 'memory = #512']);
  });

  it('keeps the line and column of every key and value', () => {
    const [s] = parseXlCfg('\n  disk = [ "a",\n\t"b" ]\n', 'web.cfg');
    expect(s).toMatchObject({ key: 'disk', line: 2, column: 3, value: { kind: 'list', line: 2, column: 10 } });
    expect(s!.value.kind === 'list' && s!.value.items.map((i) => [i.line, i.column])).toEqual([[2, 12], [3, 2]]);
  });

  it('skips comments, blank lines and ; separators', () => {
    expect(read('# a comment\n\nname = "web" # trailing\n;;\nvcpus = 2; memory = 256 ;\n# last line without newline')).toEqual([
      'name = "web"', 'vcpus = #2', 'memory = #256',
    ]);
  });

  it('does not take # inside a string for a comment', () => {
    expect(read('extra = "a # b"')).toEqual(['extra = "a # b"']);
  });

  it('reads lists across lines, with comments inside and a trailing comma', () => {
    expect(read("disk = [\n  # first\n  'a',   # the a disk\n\n  'b',\n]\nvif = [ ]\n")).toEqual(['disk = ["a" "b"]', 'vif = []']);
    expect(read("vif = ['a',]")).toEqual(['vif = ["a"]']);
  });

  it('reads nested lists', () => {
    expect(read("vnuma = [ [ 'pnode=0', 1 ],\n [ ] ]")).toEqual(['vnuma = [["pnode=0" #1] []]']);
  });

  it('keeps numbers as written; parseXlNumber reads decimal, hex and octal as xl does', () => {
    expect(read('memory = 0x200\nvcpus = 010\ncap = 0')).toEqual(['memory = #0x200', 'vcpus = #010', 'cap = #0']);
    expect([parseXlNumber('0x200'), parseXlNumber('010'), parseXlNumber('512'), parseXlNumber('0')]).toEqual([512, 8, 512, 0]);
    expect([parseXlNumber(' 2'), parseXlNumber('-1'), parseXlNumber('0xFF')]).toEqual([2, -1, 255]);
    expect([parseXlNumber('two'), parseXlNumber('08'), parseXlNumber('1.5'), parseXlNumber(''), parseXlNumber('2 ')]).toEqual([
      undefined, undefined, undefined, undefined, undefined,
    ]);
  });

  it('decodes the escapes xl knows', () => {
    expect(read(String.raw`a = "q\" s\' b\\ \t\n\x41\101"`)).toEqual([`a = ${JSON.stringify('q" s\' b\\ \t\nAA')}`]);
    expect(read(String.raw`a = 'it\'s'`)).toEqual([`a = "it's"`]);
  });

  it('reads += and the last setting without a newline', () => {
    expect(read("disk = ['a']\ndisk += ['b']")).toEqual(['disk = ["a"]', 'disk += ["b"]']);
  });

  it('accepts CRLF line ends', () => {
    expect(read('name = "web"\r\nmemory = 512\r\n')).toEqual(['name = "web"', 'memory = #512']);
  });
});

describe('a syntax error', () => {
  it('is one message with file, line and column', () => {
    expect(syntaxError('name = "web"\nmemory = 512\nvif = [ "bridge=xenbr0" "x" ]\n'))
      .toBe('web.cfg:3:25: syntax error: expected , or ] after the list item, got "x"');
  });

  it('points at the opening quote of a string that is not closed', () => {
    expect(syntaxError('name = "web\nmemory = 512\n'))
      .toBe('web.cfg:1:8: syntax error: this string has no closing " (a string ends on the line it starts)');
    expect(syntaxError("name = 'web")).toBe("web.cfg:1:8: syntax error: this string has no closing ' (a string ends on the line it starts)");
  });

  it('points at the [ of a list that is never closed', () => {
    expect(syntaxError("disk = [ 'a',\n  'b'\nvif = []\n"))
      .toBe('web.cfg:1:8: syntax error: this list is never closed: ] is missing (found vif on line 3)');
    expect(syntaxError("name = 'w'\ndisk = [ 'a',")).toBe('web.cfg:2:8: syntax error: this list is never closed: ] is missing (found the end of the file)');
  });

  it('says that strings need quotes, and that booleans are numbers', () => {
    expect(syntaxError('type = hvm')).toBe('web.cfg:1:8: syntax error: hvm is not a value: a string needs quotes, write "hvm"');
    expect(syntaxError('hap = true')).toBe('web.cfg:1:7: syntax error: xl.cfg has no true: booleans are numbers, write 1');
    expect(syntaxError('hap = false')).toBe('web.cfg:1:7: syntax error: xl.cfg has no false: booleans are numbers, write 0');
  });

  it('refuses numbers with units, fractions or bad octal digits', () => {
    expect(syntaxError('memory = 512M')).toBe(
      'web.cfg:1:10: syntax error: 512M is not a number: xl numbers are whole, without a unit, written in decimal (512), hex (0x200) or octal (01000)');
    expect(syntaxError('memory = 1.5')).toMatch(/^web\.cfg:1:10: syntax error: 1\.5 is not a number/);
    expect(syntaxError('memory = 08')).toMatch(/^web\.cfg:1:10: syntax error: 08 is not a number/);
  });

  it('names garbage characters, with a hint for Python and YAML habits', () => {
    expect(syntaxError('memory = 256 * 2')).toBe(
      'web.cfg:1:14: syntax error: unexpected character \'*\' (xl.cfg is not Python: a value is a "string", a number or a [list])');
    expect(syntaxError('cap = -1')).toMatch(/^web\.cfg:1:7: syntax error: unexpected character '-'/);
    expect(syntaxError('memory: 512')).toBe("web.cfg:1:7: syntax error: unexpected ':' (settings are written key = value)");
    expect(syntaxError('name = "a" @')).toBe("web.cfg:1:12: syntax error: unexpected character '@'");
  });

  it('refuses keys that are not lower case, and settings without = or value', () => {
    expect(syntaxError('Name = "web"')).toBe(
      'web.cfg:1:1: syntax error: Name is not a key xl accepts: keys are lower-case letters, digits and _ (xl.cfg is case-sensitive)');
    expect(syntaxError('on-crash = "destroy"')).toMatch(/^web\.cfg:1:1: syntax error: on-crash is not a key xl accepts/);
    expect(syntaxError('name "web"')).toBe('web.cfg:1:6: syntax error: expected = after name, got "web"');
    expect(syntaxError('name =\nmemory = 5')).toBe(
      'web.cfg:1:7: syntax error: expected a value after name = (a "string", a number or a [list]), got the end of the line');
    expect(syntaxError('"web"')).toBe('web.cfg:1:1: syntax error: expected a setting such as name = "web", got "web"');
    expect(syntaxError('] = 1')).toBe("web.cfg:1:1: syntax error: expected a setting such as name = \"web\", got ']'");
  });

  it('wants a new line or ; between settings', () => {
    expect(syntaxError('name = "web" memory = 512')).toBe('web.cfg:1:14: syntax error: expected a new line or ; after the value of name, got memory');
  });

  it('refuses empty list items', () => {
    expect(syntaxError("disk = [ 'a',, 'b' ]")).toBe('web.cfg:1:14: syntax error: expected a value before this comma');
    expect(syntaxError('disk = [ , ]')).toBe('web.cfg:1:10: syntax error: expected a value before this comma');
  });

  it('refuses escapes xl does not know', () => {
    expect(syntaxError(String.raw`extra = "C:\dir"`)).toBe(String.raw`web.cfg:1:12: syntax error: \d is not an escape xl knows (write \\ for a backslash)`);
    expect(syntaxError(String.raw`extra = "\xZ1"`)).toBe(String.raw`web.cfg:1:10: syntax error: a \x escape needs two hex digits, e.g. \x41`);
  });

  it('reports the first error in the file', () => {
    expect(syntaxError('a = 1\nb = hvm\nc = "x\n')).toMatch(/^web\.cfg:2:5: /);
  });
});
