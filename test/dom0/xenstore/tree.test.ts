import { describe, expect, it } from 'vitest';
import {
  fromUtf8, splitStrings, XENSTORE_ABS_PATH_MAX, XENSTORE_PAYLOAD_MAX, XS, xsRequest,
} from '../../../hypervisor/public/io/xs_wire';
import { err, Harness, OK } from './harness';

/** The home libxl gives a guest: dom0 owns it, the guest may read it; `data` is the guest's. */
function setUpGuestHome(h: Harness, domid: number) {
  const dom0 = h.client(0);
  dom0.mkdir(`/local/domain/${domid}/data`);
  dom0.setPerms(`/local/domain/${domid}`, 'n0', `r${domid}`);
  dom0.setPerms(`/local/domain/${domid}/data`, `n${domid}`);
  return { dom0, guest: h.client(domid) };
}

describe('the xenstore tree', () => {
  it('starts with the nodes xenstored creates', () => {
    const dom0 = new Harness().client(0);
    expect(dom0.dir('/')).toEqual(['tool']);
    expect(dom0.dir('/tool')).toEqual(['xenstored']);
  });

  it('reads back what was written, byte for byte', () => {
    const dom0 = new Harness().client(0);
    expect(dom0.write('/vm/name', 'guest-1')).toEqual(OK);
    expect(dom0.read('/vm/name')).toEqual({ value: 'guest-1' });
    const bytes = new Uint8Array([0, 1, 255, 0]);
    dom0.write('/vm/blob', bytes);
    const reply = dom0.send(xsRequest.read('/vm/blob'));
    expect([...reply.payload]).toEqual([0, 1, 255, 0]);
  });

  it('creates missing parents on write, with empty values, like mkdir -p', () => {
    const dom0 = new Harness().client(0);
    dom0.write('/a/b/c', 'leaf');
    expect(dom0.read('/a')).toEqual({ value: '' });
    expect(dom0.read('/a/b')).toEqual({ value: '' });
    expect(dom0.dir('/a')).toEqual(['b']);
    expect(dom0.dir('/')).toEqual(['tool', 'a']);
  });

  it('lists children in the order they were created', () => {
    const dom0 = new Harness().client(0);
    for (const n of ['zeta', 'alpha', 'mid']) dom0.mkdir(`/d/${n}`);
    expect(dom0.dir('/d')).toEqual(['zeta', 'alpha', 'mid']);
  });

  it('mkdir leaves an existing node and its value alone', () => {
    const dom0 = new Harness().client(0);
    dom0.write('/x', 'keep');
    expect(dom0.mkdir('/x')).toEqual(OK);
    expect(dom0.read('/x')).toEqual({ value: 'keep' });
  });

  it('rm removes the whole subtree and the entry in the parent', () => {
    const dom0 = new Harness().client(0);
    dom0.write('/a/b/c', '1');
    dom0.write('/a/b/d', '2');
    dom0.write('/a/e', '3');
    expect(dom0.rm('/a/b')).toEqual(OK);
    expect(dom0.read('/a/b/c')).toEqual(err('ENOENT'));
    expect(dom0.read('/a/b')).toEqual(err('ENOENT'));
    expect(dom0.dir('/a')).toEqual(['e']);
  });

  it('rm of a missing node is fine if its parent exists, ENOENT otherwise', () => {
    const dom0 = new Harness().client(0);
    dom0.mkdir('/a');
    expect(dom0.rm('/a/nothing')).toEqual(OK);
    expect(dom0.rm('/nothing/below')).toEqual(err('ENOENT'));
  });

  it('refuses to remove the root', () => {
    expect(new Harness().client(0).rm('/')).toEqual(err('EINVAL'));
  });

  it('reading or listing a missing node is ENOENT', () => {
    const dom0 = new Harness().client(0);
    expect(dom0.read('/missing')).toEqual(err('ENOENT'));
    expect(dom0.dir('/missing')).toEqual(err('ENOENT'));
  });

  it('answers DIRECTORY_PART with the generation and an end marker', () => {
    const dom0 = new Harness().client(0);
    dom0.mkdir('/p/one');
    dom0.mkdir('/p/two');
    const reply = dom0.send(xsRequest.directoryPart('/p', 0));
    const [gen, ...names] = splitStrings(reply.payload);
    expect(Number(gen)).toBeGreaterThan(0);
    expect(names).toEqual(['one', 'two', '']);
    const tail = splitStrings(dom0.send(xsRequest.directoryPart('/p', 4)).payload).slice(1);
    expect(tail).toEqual(['two', '']);
  });
});

describe('relative paths', () => {
  it('a relative path from domain N means /local/domain/N/...', () => {
    const h = new Harness();
    const { dom0, guest } = setUpGuestHome(h, 3);
    expect(guest.write('data/x', 'hi')).toEqual(OK);
    expect(dom0.read('/local/domain/3/data/x')).toEqual({ value: 'hi' });
    expect(guest.read('data/x')).toEqual({ value: 'hi' });
  });

  it("dom0's relative paths resolve under /local/domain/0", () => {
    const dom0 = new Harness().client(0);
    dom0.write('name', 'Domain-0');
    expect(dom0.read('/local/domain/0/name')).toEqual({ value: 'Domain-0' });
  });

  it('GET_DOMAIN_PATH names the home of any domain', () => {
    const dom0 = new Harness().client(0);
    const reply = dom0.send(xsRequest.getDomainPath(7));
    expect(splitStrings(reply.payload)).toEqual(['/local/domain/7']);
  });
});

describe('path and payload limits', () => {
  it.each([
    ['a trailing slash', '/a/'],
    ['a double slash', '/a//b'],
    ['a forbidden character', '/a/b c'],
    ['a dot', '/a/b.c'],
    ['an empty relative path', ''],
    ['a special name where none is allowed', '@releaseDomain'],
  ])('rejects %s with EINVAL', (_what, path) => {
    const dom0 = new Harness().client(0);
    expect(dom0.write(path, 'v')).toEqual(err('EINVAL'));
  });

  it('accepts every allowed character: alphanumerics and -/_@', () => {
    const dom0 = new Harness().client(0);
    expect(dom0.write('/Az09-_@/x', 'ok')).toEqual(OK);
  });

  it('rejects an absolute path longer than 3072 bytes', () => {
    const dom0 = new Harness().client(0);
    const seg = 'x'.repeat(99);
    const long = ('/' + seg).repeat(Math.ceil(XENSTORE_ABS_PATH_MAX / 100) + 1);
    expect(long.length).toBeGreaterThan(XENSTORE_ABS_PATH_MAX);
    expect(dom0.write(long, 'v')).toEqual(err('EINVAL'));
    const fits = ('/' + seg).repeat(30);
    expect(dom0.write(fits, 'v')).toEqual(OK);
  });

  it('limits a domU to 2048 bytes below its home', () => {
    const h = new Harness();
    const { guest } = setUpGuestHome(h, 4);
    const seg = 'y'.repeat(99);
    const rel = 'data/' + Array.from({ length: 20 }, () => seg).join('/');
    expect(rel.length).toBeLessThanOrEqual(2048);
    expect(guest.mkdir(rel)).toEqual(OK);
    const tooLong = rel + '/' + 'z'.repeat(100);
    expect(guest.mkdir(tooLong)).toEqual(err('EINVAL'));
  });

  it('replies E2BIG when a directory listing would not fit in one payload', () => {
    const dom0 = new Harness().client(0);
    const name = (i: number) => `child-${String(i).padStart(4, '0')}-${'n'.repeat(40)}`;
    for (let i = 0; i < 100; i++) dom0.mkdir(`/big/${name(i)}`);
    expect(dom0.dir('/big')).toEqual(err('E2BIG'));
    // DIRECTORY_PART is the way to read it: pieces no larger than a payload.
    const first = dom0.send(xsRequest.directoryPart('/big', 0));
    expect(first.type).toBe(XS.DIRECTORY_PART);
    expect(first.payload.length).toBeLessThanOrEqual(XENSTORE_PAYLOAD_MAX);
  });

  it('lets dom0 store a value of nearly a whole payload', () => {
    const dom0 = new Harness().client(0);
    const value = 'v'.repeat(XENSTORE_PAYLOAD_MAX - 10);
    expect(dom0.write('/big', value)).toEqual(OK);
    expect(fromUtf8(dom0.send(xsRequest.read('/big')).payload)).toBe(value);
  });
});
