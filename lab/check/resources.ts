// Resources after a domain is destroyed: nothing may still belong to it or point at it, and the
// shared pools (dom0's ports and mappings, xenstored's nodes, watches and connections) must be
// back where they were before it existed. A hostile guest must not be able to leak another
// domain's resources by dying at a bad moment (T15).
//
// `census` is a snapshot of the pools; `leftovers` lists what still refers to a gone domain;
// `compareCensus` names every pool that did not return to its baseline. Frames are not compared
// by count (survivors populate memory lazily and legitimately grow); the frames of the dead
// domain are checked one by one instead.
//
// Who calls it: tests and lab/check/invariants.ts. Reads only.
import type { Hypervisor } from '../../hypervisor/hypervisor';
import type { Xenstored } from '../../dom0/xenstore/xenstored';
import { EVTCHNSTAT } from '../../hypervisor/public/event_channel';

export interface Census {
  /** Ports in use (anything but closed) per live domain. */
  ports: Map<number, number>;
  /** Live grant mappings per mapping domain. */
  mappings: Map<number, number>;
  xenstore?: { nodes: number; watches: number; connections: number };
}

export interface CensusSource {
  hv: Hypervisor;
  /** Dom0's xenstored, when the host has one. */
  xsd?: Xenstored;
}

/** Snapshot of the shared pools. */
export function census(src: CensusSource): Census {
  const ports = new Map<number, number>();
  for (const d of src.hv.list()) {
    if (d.life !== 'alive') continue;
    let n = 0;
    forEachPort(src.hv, d.id, (_p, status) => {
      if (status !== EVTCHNSTAT.closed) n++;
    });
    ports.set(d.id, n);
  }
  const mappings = new Map<number, number>();
  for (const m of src.hv.grants.liveMappings()) mappings.set(m.mapper, (mappings.get(m.mapper) ?? 0) + 1);
  const s = src.xsd?.stats();
  return { ports, mappings, xenstore: s && { nodes: s.nodes, watches: s.watches, connections: s.connections } };
}

/** What still belongs to or points at `gone`; empty when it has been cleaned up completely. */
export function leftovers(src: CensusSource, gone: number): string[] {
  const hv = src.hv;
  const out: string[] = [];
  if (hv.domain(gone) !== undefined) out.push(`dom${gone} is still in the domain table (${hv.domain(gone)!.life})`);
  let frames = 0;
  for (let mfn = 0; mfn < hv.memory.totalFrames; mfn++) if (hv.memory.owner(mfn) === gone) frames++;
  if (frames > 0) out.push(`${frames} frame(s) still owned by dom${gone}`);
  for (const m of hv.grants.liveMappings()) {
    if (m.mapper === gone || m.granter === gone) out.push(`mapping dom${m.mapper} handle ${m.handle} of dom${m.granter} ref ${m.ref} is still live`);
  }
  for (const d of hv.list()) {
    if (d.life !== 'alive') continue;
    forEachPort(hv, d.id, (p, status, peer) => {
      if (peer === gone && status !== EVTCHNSTAT.closed) out.push(`dom${d.id} port ${p} still refers to dom${gone} (status ${status})`);
    });
  }
  if (src.xsd) out.push(...xenstoreLeftovers(src.xsd, gone));
  return out;
}

function xenstoreLeftovers(xsd: Xenstored, gone: number): string[] {
  const out: string[] = [];
  if (xsd.isConnected(gone)) out.push(`xenstored still has a connection for dom${gone}`);
  const owned = xsd.nodesOwnedBy(gone);
  if (owned > 0) out.push(`xenstored still has ${owned} node(s) owned by dom${gone}`);
  if (xsd.inspect(`/local/domain/${gone}`)) out.push(`/local/domain/${gone} still exists`);
  const backends = xsd.inspect('/local/domain/0/backend');
  for (const type of backends?.children ?? []) {
    if (xsd.inspect(`/local/domain/0/backend/${type}/${gone}`)) out.push(`/local/domain/0/backend/${type}/${gone} still exists`);
  }
  return out;
}

/** Pools of `after` that differ from `before`, for the domains that exist in both. */
export function compareCensus(before: Census, after: Census): string[] {
  const out: string[] = [];
  for (const [dom, n] of before.ports) {
    const m = after.ports.get(dom);
    if (m !== undefined && m !== n) out.push(`dom${dom} has ${m} ports in use, ${n} before`);
  }
  for (const dom of new Set([...before.mappings.keys(), ...after.mappings.keys()])) {
    if (!after.ports.has(dom)) continue; // the mapper itself is gone: leftovers() covers it
    const a = before.mappings.get(dom) ?? 0;
    const b = after.mappings.get(dom) ?? 0;
    if (a !== b) out.push(`dom${dom} holds ${b} grant mappings, ${a} before`);
  }
  const x = before.xenstore;
  const y = after.xenstore;
  if (x && y) {
    for (const k of ['nodes', 'watches', 'connections'] as const) {
      if (x[k] !== y[k]) out.push(`xenstored has ${y[k]} ${k}, ${x[k]} before`);
    }
  }
  return out;
}

/** Calls `fn` for every port of `dom` in use: its EVTCHNOP_status and its peer. */
function forEachPort(hv: Hypervisor, dom: number, fn: (port: number, status: number, peer: number | undefined) => void): void {
  for (const { port, info } of hv.evtchn.openPorts(dom)) fn(port, info.status, info.dom);
}
