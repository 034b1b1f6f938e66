import { describe, expect, it } from 'vitest';
import { permFor, parsePerm, perms, PERM_OWNER, PERM_READ, PERM_WRITE } from '../../../dom0/xenstore/perms';
import { err, Harness, OK } from './harness';

/** Dom0 makes a home per guest as libxl does: dom0 owns it and the guest may read it, and a
 *  `data` directory the guest owns (and nobody else may read). */
function twoGuests() {
  const h = new Harness();
  const dom0 = h.client(0);
  for (const d of [1, 2]) {
    dom0.mkdir(`/local/domain/${d}/data`);
    dom0.setPerms(`/local/domain/${d}`, 'n0', `r${d}`);
    dom0.setPerms(`/local/domain/${d}/data`, `n${d}`);
  }
  return { h, dom0, d1: h.client(1), d2: h.client(2) };
}

describe('permissions', () => {
  it('a domU cannot read another domU’s node: EACCES', () => {
    const { d1, d2 } = twoGuests();
    d1.write('data/secret', 'k');
    expect(d2.read('/local/domain/1/data/secret')).toEqual(err('EACCES'));
  });

  it('the owner can read and write its node', () => {
    const { d1 } = twoGuests();
    expect(d1.write('data/mine', 'v1')).toEqual(OK);
    expect(d1.read('data/mine')).toEqual({ value: 'v1' });
  });

  it('dom0 can read and write any node', () => {
    const { dom0, d1 } = twoGuests();
    d1.write('data/mine', 'v1');
    expect(dom0.read('/local/domain/1/data/mine')).toEqual({ value: 'v1' });
    expect(dom0.write('/local/domain/1/data/mine', 'v2')).toEqual(OK);
  });

  it('a node a domU creates is owned by it, with its parent’s other entries', () => {
    const { dom0, d1 } = twoGuests();
    dom0.setPerms('/local/domain/1/data', 'n1', 'r2');
    d1.write('data/x/y', 'v');
    expect(dom0.getPerms('/local/domain/1/data/x')).toEqual(['n1', 'r2']);
    expect(dom0.getPerms('/local/domain/1/data/x/y')).toEqual(['n1', 'r2']);
  });

  it('a node dom0 creates inherits its parent’s permissions unchanged', () => {
    const { dom0 } = twoGuests();
    dom0.write('/local/domain/1/name', 'guest');
    expect(dom0.getPerms('/local/domain/1/name')).toEqual(['n0', 'r1']);
  });

  it('an entry after the owner grants that domain its letter', () => {
    const { dom0, d1, d2 } = twoGuests();
    d1.write('data/shared', 's');
    d1.setPerms('data/shared', 'n1', 'r2');
    expect(d2.read('/local/domain/1/data/shared')).toEqual({ value: 's' });
    expect(d2.write('/local/domain/1/data/shared', 'no')).toEqual(err('EACCES'));
    expect(dom0.read('/local/domain/1/data/shared')).toEqual({ value: 's' });
  });

  it('the owner’s letter is the default for domains not listed', () => {
    const { d1, d2 } = twoGuests();
    d1.write('data/public', 'p');
    d1.setPerms('data/public', 'b1');
    expect(d2.read('/local/domain/1/data/public')).toEqual({ value: 'p' });
    expect(d2.write('/local/domain/1/data/public', 'q')).toEqual(OK);
  });

  it('a missing node is ENOENT to a domain that may read its parent', () => {
    const { d1 } = twoGuests();
    expect(d1.read('data/none')).toEqual(err('ENOENT'));
    expect(d1.read('/local/domain/1/none')).toEqual(err('ENOENT'));
  });

  it('a missing node is EACCES to a domain that may not read its nearest ancestor', () => {
    const { d2 } = twoGuests();
    expect(d2.read('/local/domain/1/data/none')).toEqual(err('EACCES'));
    expect(d2.read('/nowhere/at/all')).toEqual(err('EACCES'));
  });

  it('creating a node needs write access to the nearest existing ancestor', () => {
    const { d1 } = twoGuests();
    expect(d1.write('/local/domain/1/name', 'x')).toEqual(err('EACCES'));
    expect(d1.write('/elsewhere', 'x')).toEqual(err('EACCES'));
  });

  it('only the owner or dom0 may set permissions', () => {
    const { d1, d2 } = twoGuests();
    d1.write('data/n', 'v');
    d1.setPerms('data/n', 'n1', 'b2');
    expect(d2.setPerms('/local/domain/1/data/n', 'b2')).toEqual(err('EACCES'));
  });

  it('a domU may not give its node away; dom0 may', () => {
    const { dom0, d1 } = twoGuests();
    d1.write('data/n', 'v');
    expect(d1.setPerms('data/n', 'n2')).toEqual(err('EPERM'));
    expect(dom0.setPerms('/local/domain/1/data/n', 'n2')).toEqual(OK);
    expect(dom0.getPerms('/local/domain/1/data/n')).toEqual(['n2']);
  });

  it('rejects malformed permission strings with EINVAL', () => {
    const { dom0 } = twoGuests();
    expect(dom0.setPerms('/local/domain/1', 'x1')).toEqual(err('EINVAL'));
    expect(dom0.setPerms('/local/domain/1', 'r')).toEqual(err('EINVAL'));
    expect(dom0.setPerms('/local/domain/1', 'r70000')).toEqual(err('EINVAL'));
  });

  it('counts a node against its new owner when dom0 hands it over', () => {
    const { h, dom0 } = twoGuests();
    const before = h.xs.nodesOwnedBy(2);
    dom0.mkdir('/local/domain/2/device');
    dom0.setPerms('/local/domain/2/device', 'n2');
    expect(h.xs.nodesOwnedBy(2)).toBe(before + 1);
  });
});

describe('the permission rule itself', () => {
  const list = perms('n3', 'r5', 'w6', 'b7');

  it('gives the owner everything, including the right to change permissions', () => {
    expect(permFor({ domid: 3, privileged: false }, list)).toBe(PERM_READ | PERM_WRITE | PERM_OWNER);
  });

  it('gives each listed domain its letter and others the owner’s letter', () => {
    expect(permFor({ domid: 5, privileged: false }, list)).toBe(PERM_READ);
    expect(permFor({ domid: 6, privileged: false }, list)).toBe(PERM_WRITE);
    expect(permFor({ domid: 7, privileged: false }, list)).toBe(PERM_READ | PERM_WRITE);
    expect(permFor({ domid: 9, privileged: false }, list)).toBe(0);
  });

  it('lets a domain with a target act as that target', () => {
    expect(permFor({ domid: 20, privileged: false, target: 3 }, list)).toBe(PERM_READ | PERM_WRITE | PERM_OWNER);
  });

  it('parses exactly the letters n, r, w, b followed by a decimal domid', () => {
    expect(parsePerm('b12')).toEqual({ domid: 12, perm: 'b' });
    expect(parsePerm('B12')).toBeUndefined();
    expect(parsePerm('r-1')).toBeUndefined();
  });
});
