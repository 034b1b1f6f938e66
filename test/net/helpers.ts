// Worlds for the network tests: one guest under a compare mode talking to the remote peer, or
// scenarios of several guests on the bridge.
import { baseScenario, withMode, type CompareMode } from '../../lab/compare';
import { runScenario, type RunOutcome } from '../../lab/run/runner';
import type { GuestEntry } from '../../lab/run/world';

export const ALL_MODES: CompareMode[] = ['native', 'pv', 'hvm', 'hvm-rtl8139', 'bt', 'tcg', 'pvhvm', 'pvh'];

/** One guest running `kind` with `options` under `mode` on `platform` for `duration`. */
export function runNet(mode: CompareMode, kind: string, options: Record<string, string>, duration: string, platform = 'modern'): RunOutcome & { g: GuestEntry } {
  const s = withMode(baseScenario({ workload: { kind, options }, duration, platform }), mode, undefined);
  const out = runScenario(s);
  const g = out.world.guests.find((x) => x.domain.name === 'guest')!;
  return { ...out, g };
}

/** The peer's sink connection from the guest (there is one per transmitting guest). */
export function sinkOf(o: RunOutcome, port = 5001) {
  return o.world.net!.peer.connections().filter((c) => c.localPort === port);
}

/** Register exits of the NIC driver per packet after its probe (the driver's own count). */
export function driverAccessesPerPacket(g: GuestEntry): { accesses: number; packets: number } {
  const dev = g.net!.stack!.dev as unknown as { dio?: { perOp: Map<string, { ops: number; accesses: number }> } };
  const ops = dev.dio?.perOp ?? new Map();
  let accesses = 0;
  for (const [op, t] of ops) if (op !== 'probe') accesses += t.accesses;
  const st = g.net!.stack!.stats;
  return { accesses, packets: st.framesIn + st.framesOut };
}
