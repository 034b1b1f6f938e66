// virConnectOpen: the URI picks the driver (REFERENCE §10.3). `test:///default` needs no host;
// `xen:///system` and `qemu:///system` drive a simulated host (a lab World) whose hypervisor is
// Xen or KVM. A URI no driver serves — another scheme, a remote one, or a driver whose
// hypervisor is not the host's — fails as libvirt fails: "no connection driver available".
import type { World } from '../run/world';
import { Connection } from './connection';
import type { Driver } from './driver';
import { TestDriver, TEST_DOMAIN_XML } from './drivers/test';
import { XenDriver } from './drivers/xen';
import { ok, virErr, VIR_ERR, VIR_FROM, type VirResult } from './errors';
import { kvmHostOf, QemuDriver } from './drivers/qemu';

/** Which hypervisor a simulated host runs. */
export function hostHypervisor(w: World): 'xen' | 'kvm' {
  return kvmHostOf(w) ? 'kvm' : 'xen';
}

/** The URI virsh would use by default on this host (LIBVIRT_DEFAULT_URI). */
export function defaultUri(w: World): string {
  return hostHypervisor(w) === 'kvm' ? 'qemu:///system' : 'xen:///system';
}

/** Opens a connection; `host` is the simulated machine behind xen:// and qemu:// URIs. */
export function connect(uri: string, host?: World): VirResult<Connection> {
  const driver = driverFor(uri.trim(), host);
  if (!driver) return virErr(VIR_ERR.NO_CONNECT, VIR_FROM.NONE, uri);
  const conn = new Connection(driver);
  if (driver instanceof TestDriver) {
    const test = conn.defineXML(TEST_DOMAIN_XML);
    if (test.ok) test.value.create();
  }
  return ok(conn);
}

const open = new WeakMap<World, Map<string, Connection>>();

/** The one connection per URI a running host keeps (the timeline's virsh uses it), so domains
 *  defined by one command are there for the next. */
export function hostConnection(w: World, uri: string = defaultUri(w)): VirResult<Connection> {
  uri = uri.trim() === 'xen:///' ? 'xen:///system' : uri.trim();
  let byUri = open.get(w);
  if (!byUri) open.set(w, (byUri = new Map()));
  const known = byUri.get(uri);
  if (known) return ok(known);
  const c = connect(uri, w);
  if (c.ok) byUri.set(uri, c.value);
  return c;
}

function driverFor(uri: string, host: World | undefined): Driver | undefined {
  switch (uri) {
    case 'test:///default':
      return new TestDriver();
    case 'xen:///system':
    case 'xen:///':
      return host && hostHypervisor(host) === 'xen' ? new XenDriver(host) : undefined;
    case 'qemu:///system':
      return host && hostHypervisor(host) === 'kvm' ? new QemuDriver(host) : undefined;
    default:
      return undefined;
  }
}
