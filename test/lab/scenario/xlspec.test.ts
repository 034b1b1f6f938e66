// The xl disk and vif spec grammar (xl-disk-configuration(5), xl-network-configuration(5)).
import { describe, expect, it } from 'vitest';
import { parseDiskSpec, parseVifSpec } from '../../../lab/scenario/xlspec';

function disk(spec: string) {
  const r = parseDiskSpec(spec);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}
const diskError = (spec: string) => {
  const r = parseDiskSpec(spec);
  return r.ok ? 'ok' : r.message;
};

describe('a disk spec', () => {
  it('is read in the keyword form', () => {
    expect(disk('format=raw, vdev=xvda, access=rw, target=/dev/vg0/web')).toEqual({
      vdev: 'xvda', target: '/dev/vg0/web', access: 'rw', format: 'raw',
    });
  });

  it('is read in the positional order target, format, vdev, access', () => {
    expect(disk('/dev/vg0/web,raw,xvdb,ro')).toEqual({ vdev: 'xvdb', target: '/dev/vg0/web', access: 'ro', format: 'raw' });
  });

  it('lets target= swallow the rest of the string, commas included', () => {
    expect(disk('vdev=xvda, target=/images/a,b.img').target).toBe('/images/a,b.img');
  });

  it('fills positional slots that keywords left open', () => {
    expect(disk('vdev=xvda, /srv/web.img, raw, r')).toEqual({ vdev: 'xvda', target: '/srv/web.img', access: 'ro', format: 'raw' });
  });

  it('reads the cdrom example of the manual, read-only by default', () => {
    expect(disk('/root/image.iso,,hdc,cdrom')).toEqual({
      vdev: 'hdc', target: '/root/image.iso', access: 'ro', format: 'raw', devtype: 'cdrom',
    });
    expect(disk('vdev=hdc, devtype=cdrom, target=').target).toBe('');
  });

  it('normalises access w to rw and r to ro', () => {
    expect(disk('/a.img,raw,xvda,w').access).toBe('rw');
    expect(disk('/a.img,raw,xvda,r').access).toBe('ro');
    expect(disk('/a.img,raw,xvda').access).toBe('rw');
  });

  it('keeps backend and backendtype', () => {
    expect(disk('vdev=xvda, backend=dd, backendtype=qdisk, target=/a.img')).toMatchObject({ backend: 'dd', backendtype: 'qdisk' });
  });

  it('understands the deprecated phy: prefix and the :cdrom suffix', () => {
    expect(disk('phy:/dev/vg0/web,xvda,w')).toEqual({
      vdev: 'xvda', target: '/dev/vg0/web', access: 'rw', format: 'raw', backendtype: 'phy',
    });
    expect(disk('file:/root/x.iso,hdc:cdrom,r')).toMatchObject({ vdev: 'hdc', devtype: 'cdrom', access: 'ro' });
  });

  it('requires a vdev, and one xl accepts', () => {
    expect(diskError('format=raw, target=/dev/vg0/web')).toMatch(/^vdev is missing/);
    expect(diskError('vdev=vda, target=/dev/vg0/web')).toMatch(/^vdev 'vda' is not a device name xl accepts/);
  });

  it('refuses image formats pvlab does not model', () => {
    expect(diskError('format=qcow2, vdev=xvda, target=/a.qcow2')).toBe('format qcow2 is not supported by pvlab (only raw disks are modelled)');
    expect(diskError('format=iso, vdev=xvda, target=/a')).toMatch(/^unknown format 'iso'/);
  });

  it('shows both right spellings of the old cdrom form written without its prefix (xl refuses it too)', () => {
    expect(diskError('/iso/debian.iso,hdc:cdrom,r')).toBe("'hdc:cdrom' stands where the format goes (the order is target, format, vdev, access): "
      + "write '/iso/debian.iso,raw,hdc:cdrom,r', or the old form with a prefix, 'file:/iso/debian.iso,hdc:cdrom,r'");
    const cdrom = { vdev: 'hdc', target: '/iso/debian.iso', access: 'ro', format: 'raw', devtype: 'cdrom' };
    expect(disk('/iso/debian.iso,raw,hdc:cdrom,r')).toEqual(cdrom);
    expect(disk('file:/iso/debian.iso,hdc:cdrom,r')).toEqual(cdrom);
  });

  it('names an unknown parameter and suggests the likely one', () => {
    expect(diskError('acess=rw, vdev=xvda, target=/a')).toBe("unknown disk parameter 'acess' (did you mean 'access'?)");
  });

  it('rejects bad access, a writable cdrom, a missing target and extra positional values', () => {
    expect(diskError('/a,raw,xvda,rwx')).toBe("access 'rwx' must be rw, w, ro or r");
    expect(diskError('/a.iso,raw,hdc,rw,cdrom')).toBe('a cdrom is read-only (got access=rw)');
    expect(diskError('vdev=xvda')).toMatch(/^target is missing/);
    expect(diskError('/a,raw,xvda,rw,extra')).toBe("too many positional parameters (at 'extra')");
    expect(diskError('vdev=xvda, vdev=xvdb, target=/a')).toBe('vdev is given twice');
    expect(diskError('vdev=xvda, backendtype=nbd, target=/a')).toMatch(/^unknown backendtype 'nbd'/);
    expect(diskError('  ')).toMatch(/^a disk spec cannot be empty/);
  });
});

function vif(spec: string) {
  const r = parseVifSpec(spec);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}
const vifError = (spec: string) => {
  const r = parseVifSpec(spec);
  return r.ok ? 'ok' : r.message;
};

describe('a vif spec', () => {
  it('is read from key=value pairs, with the bridge defaulting to xenbr0', () => {
    expect(vif('mac=00:16:3E:01:02:03, model=e1000, type=ioemu')).toEqual({
      mac: '00:16:3e:01:02:03', bridge: 'xenbr0', model: 'e1000', type: 'ioemu',
    });
    expect(vif('')).toEqual({ bridge: 'xenbr0' });
  });

  it('keeps every documented key', () => {
    expect(vif('bridge=br1, script=vif-route, vifname=web0, ip=10.0.0.2, rate=10Mb/s@20ms, mtu=9000, backend=net, devid=1')).toEqual({
      bridge: 'br1', script: 'vif-route', vifname: 'web0', ip: '10.0.0.2', rate: '10Mb/s@20ms', mtu: 9000, backend: 'net', devid: 1,
    });
  });

  it('rejects malformed values with what is wrong', () => {
    expect(vifError('mac=00:16:3e:01:02')).toMatch(/^mac '00:16:3e:01:02' is not six hex pairs/);
    expect(vifError('mac=01:16:3e:01:02:03')).toMatch(/is a multicast address/);
    expect(vifError('type=pv')).toBe("type 'pv' must be ioemu or vif");
    expect(vifError('mtu=10')).toBe('mtu must be a whole number from 68 to 65535 (got 10)');
    expect(vifError('rate=fast')).toMatch(/^rate 'fast' is not a rate/);
    expect(vifError('ip=10.0.0')).toMatch(/^ip '10.0.0' is not a list of IPv4 addresses/);
    expect(vifError('xenbr0')).toMatch(/is not a key=value pair/);
    expect(vifError('brige=xenbr0')).toBe("unknown vif parameter 'brige' (did you mean 'bridge'?)");
    expect(vifError('bridge=')).toBe('bridge= needs a value');
  });
});
