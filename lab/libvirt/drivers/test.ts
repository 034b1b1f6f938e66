// The test driver (test:///default): an in-memory fake host like libvirt's own test driver —
// 16 CPUs at 1400 MHz, 3 GiB, and one domain "test" defined and running with id 1 — for tests
// of code that uses the API, with no simulation behind it. Every instance is running or
// paused; a shutdown completes at once. Unlike libvirt's, each connect() gets a fresh host, so
// tests cannot see each other.
import type { DomainDef } from '../def';
import type { Driver, Instance, InstanceStatus, NodeInfo, SchedParam, VcpuInfo } from '../driver';
import { ok, virErr, VIR_ERR, VIR_FROM, type VirResult } from '../errors';
import { VIR_VCPU } from '../state';

/** libvirt's test driver: defaultNodeInfo. */
const NODE: NodeInfo = { model: 'i686', memoryKiB: 3 * 1024 * 1024, cpus: 16, mhz: 1400, nodes: 2, sockets: 2, cores: 2, threads: 2 };

/** libvirt's test driver's default domain. */
export const TEST_DOMAIN_XML = `<domain type='test'>
  <name>test</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory unit='KiB'>8388608</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='i686'>hvm</type>
  </os>
</domain>`;

/** The "fair" scheduler's weight the test driver reports. */
const TEST_WEIGHT = 50;

interface FakeInstance {
  id: number;
  def: DomainDef;
  status: InstanceStatus;
  vcpus: number;
  affinity: boolean[][];
  weight: number;
}

export class TestDriver implements Driver {
  readonly uri = 'test:///default';
  readonly type = 'TEST';
  readonly from = VIR_FROM.TEST;
  readonly virtTypes = ['test'] as const;
  private readonly running = new Map<number, FakeInstance>();
  private nextId = 1;

  nodeInfo(): NodeInfo {
    return { ...NODE };
  }

  instances(): Instance[] {
    return [...this.running.values()].map((i) => ({ id: i.id, name: i.def.name, status: i.status }));
  }

  adopt(id: number): DomainDef | undefined {
    return this.running.get(id)?.def;
  }

  start(def: DomainDef): VirResult<number> {
    const id = this.nextId++;
    const affinity = Array.from({ length: def.maxVcpus }, () => Array.from({ length: NODE.cpus }, () => true));
    this.running.set(id, { id, def, status: { kind: 'running' }, vcpus: def.vcpus, affinity, weight: TEST_WEIGHT });
    return ok(id);
  }

  pause(id: number): VirResult<void> {
    return this.set(id, { kind: 'paused' });
  }

  unpause(id: number): VirResult<void> {
    return this.set(id, { kind: 'running' });
  }

  shutdown(id: number, reason: 'poweroff' | 'reboot'): VirResult<void> {
    return this.set(id, { kind: 'shutdown', reason });
  }

  destroy(id: number): VirResult<void> {
    this.running.delete(id);
    return ok(undefined);
  }

  /** The fake guests use no CPU time (libvirt's reads the wall clock; pvlab stays deterministic). */
  cpuTimeNs(): number {
    return 0;
  }

  vcpus(id: number): VcpuInfo[] {
    const i = this.running.get(id);
    if (!i) return [];
    return i.affinity.map((row, n) => ({
      number: n, state: n < i.vcpus ? VIR_VCPU.RUNNING : VIR_VCPU.OFFLINE, cpuTimeNs: 0,
      cpu: n < i.vcpus ? Math.max(0, row.indexOf(true)) : -1, affinity: [...row],
    }));
  }

  setVcpus(id: number, n: number): VirResult<void> {
    const i = this.running.get(id);
    if (i) i.vcpus = n;
    return ok(undefined);
  }

  pinVcpu(id: number, vcpu: number, cpus: number[]): VirResult<void> {
    const row = this.running.get(id)?.affinity[vcpu];
    if (!row) return virErr(VIR_ERR.INVALID_ARG, VIR_FROM.TEST, `vcpu ${vcpu} is out of range`);
    row.fill(false);
    for (const c of cpus) row[c] = true;
    return ok(undefined);
  }

  schedType(): string {
    return 'fair';
  }

  getSched(id: number | undefined): VirResult<SchedParam[]> {
    const weight = id === undefined ? TEST_WEIGHT : (this.running.get(id)?.weight ?? TEST_WEIGHT);
    return ok([{ field: 'weight', type: 'uint', value: weight }]);
  }

  setSched(id: number | undefined, def: DomainDef, params: Record<string, number>): VirResult<DomainDef> {
    const unknown = Object.keys(params).find((k) => k !== 'weight');
    if (unknown !== undefined) return virErr(VIR_ERR.INVALID_ARG, VIR_FROM.TEST, `parameter '${unknown}' not supported`);
    const i = id === undefined ? undefined : this.running.get(id);
    if (i && params.weight !== undefined) i.weight = params.weight;
    return ok(def);
  }

  machine(): string {
    return 'pc';
  }

  /** No event thread: lifecycle actions happen at once. */
  later(fn: () => void): void {
    fn();
  }

  private set(id: number, status: InstanceStatus): VirResult<void> {
    const i = this.running.get(id);
    if (!i) return virErr(VIR_ERR.OPERATION_INVALID, VIR_FROM.TEST, 'domain is not running');
    i.status = status;
    return ok(undefined);
  }
}
