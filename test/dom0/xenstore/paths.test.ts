import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backendPath, controlShutdownPath, devidToVdev, domainPath, statePath, vbdBackendPath, vbdFrontendPath, vdevToDevid,
  vifBackendPath, vifFrontendPath,
} from '../../../dom0/xenstore/paths';

describe('standard xenstore paths', () => {
  it('puts a guest’s frontend directories in its own home', () => {
    expect(domainPath(5)).toBe('/local/domain/5');
    expect(vbdFrontendPath(5, 51712)).toBe('/local/domain/5/device/vbd/51712');
    expect(vifFrontendPath(5, 0)).toBe('/local/domain/5/device/vif/0');
  });

  it('puts the backend directory in the backend domain’s home, by frontend domain and devid', () => {
    expect(vbdBackendPath(0, 5, 51712)).toBe('/local/domain/0/backend/vbd/5/51712');
    expect(vifBackendPath(0, 5, 0)).toBe('/local/domain/0/backend/vif/5/0');
    expect(backendPath(3, 'console', 7, 0)).toBe('/local/domain/3/backend/console/7/0');
  });

  it('names the state and shutdown keys', () => {
    expect(statePath(vbdFrontendPath(5, 51712))).toBe('/local/domain/5/device/vbd/51712/state');
    expect(controlShutdownPath(5)).toBe('/local/domain/5/control/shutdown');
  });
});

describe('virtual disk numbering (xen-vbd-interface)', () => {
  it.each([
    ['xvda', 51712],
    ['xvdb', 51728],
    ['xvda1', 51713],
    ['xvdp15', (202 << 8) | (15 << 4) | 15],
    ['xvdq', (1 << 28) | (16 << 8)],
    ['xvdaa', (1 << 28) | (26 << 8)],
    ['xvda16', (1 << 28) | 16],
    ['hda', 768],
    ['hdb', 832],
    ['hdc', 22 << 8],
    ['hdd3', (22 << 8) | (1 << 6) | 3],
    ['sda', 2048],
    ['sdb2', 2048 + 16 + 2],
    ['d0p1', (1 << 28) | 1],
    ['51712', 51712],
  ])('encodes %s as %i', (vdev, devid) => {
    expect(vdevToDevid(vdev)).toBe(devid);
  });

  it.each(['xvd', 'hde', 'hda64', 'sdq', 'xvda0', 'vda', 'xvdA', 'd2000000'])('does not encode %s', (vdev) => {
    expect(vdevToDevid(vdev)).toBeUndefined();
  });

  it('names devids back in their canonical form', () => {
    expect(devidToVdev(51712)).toBe('xvda');
    expect(devidToVdev(51729)).toBe('xvdb1');
    expect(devidToVdev(768)).toBe('hda');
    expect(devidToVdev((22 << 8) | 64)).toBe('hdd');
    expect(devidToVdev(2049)).toBe('sda1');
    expect(devidToVdev((1 << 28) | (27 << 8) | 3)).toBe('xvdab3');
    expect(devidToVdev(12345)).toBeUndefined();
  });

  it('round-trips every xvd disk and partition through the name', () => {
    fc.assert(
      fc.property(fc.nat(5000), fc.nat(255), (disk, part) => {
        const devid = disk < 16 && part < 16 ? (202 << 8) | (disk << 4) | part : (1 << 28) | (disk << 8) | part;
        const name = devidToVdev(devid);
        expect(name).toBeDefined();
        expect(vdevToDevid(name!)).toBe(devid);
      }),
    );
  });
});
