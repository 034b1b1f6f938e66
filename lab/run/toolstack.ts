// The toolstack's part of `xl create` for a PV guest (REFERENCE §5.2, §8.2): the xenstore
// ring and its event channel (start_info's store_mfn/store_evtchn), INTRODUCE to xenstored,
// the domain's home in xenstore, and for each disk the frontend and backend directories at
// state 1 with libxl's keys and permissions, plus the blkback that serves it. And the reverse,
// `destroyGuest`: what `xl destroy` cleans up around the dying domain.
import type { Hypervisor } from '../../hypervisor/hypervisor';
import type { Domain } from '../../hypervisor/domain';
import { xsRingInit } from '../../ringbuf/xsring';
import { Blkback, type GrantMode } from '../../dom0/blkback';
import { Netback } from '../../dom0/netback';
import type { Bridge } from '../../dom0/net/bridge';
import { macToString, type Mac } from '../../hw/net/frame';
import { vdevToDevid } from '../../dom0/xenstore/paths';
import type { StartInfo } from '../../guests/kernel/types';
import type { DiskSpec, VifSpec } from '../scenario/types';
import type { Dom0 } from './dom0';
import type { Storage } from './storage';

export interface PvDevices {
  start: StartInfo;
  backends: Blkback[];
}

/** Builds the store ring and connects the domain to xenstored. */
export function introduce(hv: Hypervisor, dom0: Dom0, d: Domain, cmdLine?: string): StartInfo {
  const storeGfn = d.memFrames - 1;
  const page = hv.memory.page(hv.gfnToMfn(d, storeGfn));
  xsRingInit(page);
  const storePort = hv.evtchn.allocUnbound(0, d.id, 0);
  const localPort = hv.evtchn.bindInterdomain(0, d.id, storePort);
  dom0.xs.introduce(d.id, page, localPort);
  const home = `/local/domain/${d.id}`;
  const xs = dom0.xs;
  xs.write(undefined, home, '');
  xs.setPerms(undefined, home, ['n0', `r${d.id}`]);
  xs.write(undefined, `${home}/name`, d.name);
  xs.write(undefined, `${home}/domid`, String(d.id));
  xs.write(undefined, `${home}/memory/target`, String(d.config.memoryMiB * 1024));
  xs.write(undefined, `${home}/data`, '');
  xs.setPerms(undefined, `${home}/data`, [`b${d.id}`]);
  return cmdLine === undefined ? { storeGfn, storePort } : { storeGfn, storePort, cmdLine };
}

/** How the backend reaches the guest's data pages: `backendtype=qdisk` is QEMU's block backend,
 *  which copies with GNTTABOP_copy (REFERENCE §6.1); blkback (`phy`, the default) maps them. */
export function grantModeOf(spec: DiskSpec): GrantMode {
  return spec.backendtype === 'qdisk' ? 'copy' : 'map';
}

/**
 * `xl destroy` of a PV guest: the hypervisor kills the domain (its ports close, its own
 * mappings go, frames others still map stay allocated until unmapped); xenstored releases its
 * connection (watches, transactions and the nodes it owned go, dom0's end of the store channel
 * closes); each backend lets go of its ring and channel; the toolstack removes the backend and
 * home directories. Dom0's share runs as deferred kernel work, so dom0 is kicked to run it.
 * Requests already at a disk finish first and unmap their pages then. Returns 0 or -errno.
 */
export function destroyGuest(hv: Hypervisor, dom0: Dom0, d: Domain, backends: readonly Blkback[]): number {
  const rc = hv.destroy(d.id);
  if (rc < 0) return rc;
  for (const bb of backends) bb.remove();
  dom0.xs.release(d.id);
  for (const type of dom0.xs.xsd.inspect('/local/domain/0/backend')?.children ?? []) dom0.xs.rm(undefined, `/local/domain/0/backend/${type}/${d.id}`);
  dom0.xs.rm(undefined, `/local/domain/${d.id}`);
  hv.evtchn.send(0, dom0.kernel.irqPort); // dom0's kernel IPI: its deferred work runs now
  return 0;
}

/** Adds one disk: xenstore directories at state 1 and the backend (hotplug) in dom0. */
export function addDisk(hv: Hypervisor, dom0: Dom0, storage: Storage, d: Domain, spec: DiskSpec, mode: GrantMode = grantModeOf(spec)): Blkback | string {
  const devid = vdevToDevid(spec.vdev);
  if (devid === undefined) return `bad vdev ${spec.vdev}`;
  const target = storage.resolve(spec.target);
  if (!target) return `no such disk target ${spec.target}`;
  const { fe, be, w } = deviceDirs(dom0, 'vbd', d, devid);
  const xs = dom0.xs;
  for (const [k, v] of Object.entries({
    frontend: fe, 'frontend-id': String(d.id), online: '1', removable: '0', bootable: '1', state: '1', dev: spec.vdev,
    type: spec.backendtype ?? 'phy', mode: spec.access === 'ro' ? 'r' : 'w', 'device-type': spec.devtype ?? 'disk', params: spec.target,
  })) w(`${be}/${k}`, v);
  for (const [k, v] of Object.entries({ backend: be, 'backend-id': '0', state: '1', 'virtual-device': String(devid), 'device-type': spec.devtype ?? 'disk' })) w(`${fe}/${k}`, v);
  const bb = new Blkback(dom0.kernel, xs, d.id, devid, spec.vdev, target, { mode, readonly: spec.access === 'ro', scratchPage: dom0.scratchPage });
  w(`${be}/hotplug-status`, 'connected');
  bb.start(undefined);
  void hv;
  return bb;
}

/** A split device's frontend and backend directories, made first with their permissions (the
 *  backend dom0's and readable by the guest, the frontend the reverse) so every key written in
 *  them inherits those; and the toolstack's writer. */
function deviceDirs(dom0: Dom0, kind: 'vbd' | 'vif', d: Domain, devid: number): { fe: string; be: string; w: (path: string, v: string) => void } {
  const fe = `/local/domain/${d.id}/device/${kind}/${devid}`;
  const be = `/local/domain/0/backend/${kind}/${d.id}/${devid}`;
  const xs = dom0.xs;
  const w = (path: string, v: string): void => void xs.write(undefined, path, v);
  w(be, '');
  xs.setPerms(undefined, be, ['n0', `r${d.id}`]);
  w(fe, '');
  xs.setPerms(undefined, fe, [`n${d.id}`, 'r0']);
  return { fe, be, w };
}

/**
 * Adds one network interface of a PV-driver guest (REFERENCE §5.2, §8.4): the frontend and
 * backend directories at state 1 with libxl's vif keys and permissions, then the hotplug
 * script's work — the backend (netback) created and its vif<domid>.<devid> port ready to join
 * the bridge when the frontend connects.
 */
export function addVif(dom0: Dom0, bridge: Bridge, d: Domain, spec: VifSpec, devid: number, mac: Mac, perPacketNs: number): Netback {
  const { fe, be, w } = deviceDirs(dom0, 'vif', d, devid);
  const xs = dom0.xs;
  const macText = macToString(mac);
  for (const [k, v] of Object.entries({
    frontend: fe, 'frontend-id': String(d.id), online: '1', state: '1', script: spec.script ?? '/etc/xen/scripts/vif-bridge', mac: macText,
    bridge: spec.bridge, handle: String(devid), type: 'vif',
  })) w(`${be}/${k}`, v);
  for (const [k, v] of Object.entries({ backend: be, 'backend-id': '0', state: '1', handle: String(devid), mac: macText })) w(`${fe}/${k}`, v);
  const nb = new Netback(dom0.kernel, xs, bridge, d.id, devid, { mac, perPacketNs, scratchPage: dom0.scratchPage });
  w(`${be}/hotplug-status`, 'connected');
  nb.start(undefined);
  return nb;
}
