// Network workloads as the lab starts them: after the kernel boots, the guest's network stack
// is brought up on its interface — netfront for a kernel with PV drivers, the native e1000 or
// rtl8139 driver (probed now, with the workload's InterruptThrottleRate) or, on a KVM host, the
// virtio-net driver for the unmodified kernel — and the job runs on it, then the stack keeps serving (ACKs, the peer's FIN).
import { NetStack, type NetHost } from '../../guests/net/stack';
import type { NetDevice } from '../../guests/net/netdev';
import { nativeNetHost, nicHost, pvNetHost } from '../../guests/net/hosts';
import { E1000Driver, E1000_DEFAULT } from '../../guests/drivers/e1000';
import { Rtl8139Driver, RTL8139_DEFAULT } from '../../guests/drivers/rtl8139';
import { VirtioNet } from '../../guests/virtio/net';
import { NetperfRrJob, PORT_NETPERF, TtcpJob, UdpFloodJob, type NetJob } from '../../guests/workloads/net';
import { idle } from '../../guests/workloads/cpu';
import type { Workload } from '../../guests/workloads/workload';
import type { KGen } from '../../guests/kernel/types';
import { block, type GuestProgram, type VcpuEnv } from '../../hypervisor/public/guest';
import type { Workload as WorkloadSpec } from '../scenario/types';
import { hostNetwork, NIC_IRQ, PEER_IP, type GuestNet } from './net';
import type { GuestEntry, World } from './world';

export const NET_KINDS = ['ttcp', 'netperf-rr', 'udp-flood'] as const;
export type NetSpec = Extract<WorkloadSpec, { kind: (typeof NET_KINDS)[number] }>;

/** A network workload's kind (ttcp, netperf-rr, udp-flood)? */
export function isNetKind(kind: string): boolean {
  return (NET_KINDS as readonly string[]).includes(kind);
}

export function isNetSpec(spec: WorkloadSpec): spec is NetSpec {
  return isNetKind(spec.kind);
}

function makeJob(w: World, g: GuestEntry, spec: NetSpec): NetJob {
  switch (spec.kind) {
    case 'ttcp':
      return new TtcpJob({ mode: spec.mode, bytes: spec.bytes, buflen: spec.buflen, sockbuf: spec.sockbuf, to: PEER_IP });
    case 'netperf-rr': {
      const port = PORT_NETPERF + g.domain.id;
      const service = { kind: 'rr', request: spec.request, response: spec.response } as const;
      const peer = hostNetwork(w).peer;
      if (spec.protocol === 'tcp') peer.listenTcp(port, service);
      else peer.listenUdp(port, service);
      return new NetperfRrJob({ protocol: spec.protocol, request: spec.request, response: spec.response, transactions: spec.transactions, to: PEER_IP, port });
    }
    case 'udp-flood':
      return new UdpFloodJob({ size: spec.size, packets: spec.packets, rate: spec.rate, to: PEER_IP });
  }
}

/** The workload entry for a network job; `boot` is the world's kernel boot. */
export function netWorkload(w: World, g: GuestEntry, spec: NetSpec, boot: (g: GuestEntry, env: VcpuEnv) => KGen): Workload {
  const job = makeJob(w, g, spec);
  if (g.net) g.net.job = job;
  return {
    kind: spec.kind,
    stats: () => job.stats(w.engine.now),
    kernel: function* (env: VcpuEnv): GuestProgram {
      if (env.vcpu !== 0) return yield* idle().kernel(env);
      yield* boot(g, env);
      const stack = yield* bringUp(w, g, spec);
      if (typeof stack === 'string') {
        job.errors++;
        job.error = stack;
        for (;;) yield block();
      }
      if (spec.kind === 'ttcp' && spec.peer !== undefined) {
        const to = w.net?.byName.get(spec.peer);
        if (to === undefined) job.error = `no domain ${spec.peer} on the network`;
        else (job as TtcpJob).opts.to = to;
      }
      if (job.error === undefined) yield* job.run(stack);
      for (;;) yield* stack.wait();
    },
  };
}

/** The interface's driver and the stack on it, or why there is none. */
function* bringUp(w: World, g: GuestEntry, spec: NetSpec): KGen<NetStack | string> {
  const gn: GuestNet | undefined = g.net;
  if (!gn) return 'the domain has no network interface';
  const net = hostNetwork(w);
  const cfg = { ip: gn.ip, mtu: spec.mtu ?? w.profile.net.mtuBytes, neighbours: net.neighbours };
  let host: NetHost;
  let dev: NetDevice;
  let stack: NetStack | undefined;
  if (g.kernel) {
    if (g.kernel.nics.length === 0) yield* g.kernel.probeNics();
    const nf = g.kernel.nics[0];
    if (!nf) return 'netfront did not connect';
    host = pvNetHost(g.kernel, w.profile.net);
    dev = nf;
  } else if (g.native && gn.model === 'virtio') {
    const k = g.native;
    const nic = yield* VirtioNet.probe({ env: k.env, costs: k.costs, pages: k.pages, takeIrq: (line) => k.takeIrq(line), charge: (ns) => stack?.charge(ns) });
    if (typeof nic === 'string') return `virtio-net probe failed: ${nic}`;
    host = nativeNetHost(k, w.profile.net);
    dev = nic;
  } else if (g.native && gn.model) {
    const k = g.native;
    const nh = nicHost(k, (ns) => stack?.charge(ns));
    const drv = gn.model === 'e1000' ? new E1000Driver(nh, { ...E1000_DEFAULT, irq: NIC_IRQ, itr: spec.itr }) : new Rtl8139Driver(nh, { ...RTL8139_DEFAULT, irq: NIC_IRQ });
    if (!(yield* drv.probe())) return `${gn.model} probe failed: ${drv.failed}`;
    host = nativeNetHost(k, w.profile.net);
    dev = drv;
  } else return 'no network driver for this kind of domain';
  stack = new NetStack(host, dev, cfg);
  gn.stack = stack;
  return stack;
}
