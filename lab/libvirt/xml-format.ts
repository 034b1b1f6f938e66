// Writing a DomainDef back as domain XML, laid out the way `virsh dumpxml` prints it: two-space
// indentation, attributes in single quotes, the live id on the root of a running domain, the
// machine type the driver chose on <os><type>, and pvlab's metadata under its namespace.
import { PVLAB_XMLNS, type DiskDef, type DomainDef, type InterfaceDef } from './def';

export interface LiveFacts {
  /** The running instance's id; absent for a domain that is shut off. */
  id?: number;
  /** `<type machine=...>`: xenpv, xenfv, pc-i440fx, ... */
  machine: string;
  /** Current values that differ from the definition while it runs. */
  vcpus?: number;
  cpuShares?: number;
}

export function formatDomainXML(def: DomainDef, live: LiveFacts): string {
  const out: string[] = [];
  out.push(`<domain type='${def.virtType}'${live.id === undefined ? '' : ` id='${live.id}'`}>`);
  out.push(`  <name>${esc(def.name)}</name>`, `  <uuid>${def.uuid}</uuid>`);
  if (def.workload) out.push('  <metadata>', `    ${workloadElement(def)}`, '  </metadata>');
  out.push(`  <memory unit='KiB'>${def.memoryKiB}</memory>`, `  <currentMemory unit='KiB'>${def.currentMemoryKiB}</currentMemory>`);
  const vcpus = live.vcpus ?? def.vcpus;
  out.push(`  <vcpu placement='static'${vcpus === def.maxVcpus ? '' : ` current='${vcpus}'`}>${def.maxVcpus}</vcpu>`);
  const shares = live.cpuShares ?? def.cpuShares;
  if (shares !== undefined) out.push('  <cputune>', `    <shares>${shares}</shares>`, '  </cputune>');
  out.push('  <os>', `    <type arch='x86_64' machine='${live.machine}'>${def.osType}</type>`, '  </os>');
  out.push(`  <on_poweroff>${def.onPoweroff}</on_poweroff>`, `  <on_reboot>${def.onReboot}</on_reboot>`, `  <on_crash>${def.onCrash}</on_crash>`);
  const devices = [...def.disks.flatMap(diskLines), ...def.interfaces.flatMap(interfaceLines)];
  if (devices.length > 0) out.push('  <devices>', ...devices, '  </devices>');
  out.push('</domain>');
  return out.join('\n') + '\n';
}

function diskLines(d: DiskDef): string[] {
  const lines = [`    <disk type='${d.type}' device='${d.device}'>`];
  if (d.source !== undefined) lines.push(`      <source ${d.type === 'block' ? 'dev' : 'file'}='${esc(d.source)}'/>`);
  lines.push(`      <target dev='${esc(d.target)}'${d.bus === undefined ? '' : ` bus='${esc(d.bus)}'`}/>`);
  if (d.readonly) lines.push('      <readonly/>');
  lines.push('    </disk>');
  return lines;
}

function interfaceLines(i: InterfaceDef): string[] {
  const lines = [`    <interface type='${i.type}'>`];
  if (i.mac !== undefined) lines.push(`      <mac address='${i.mac}'/>`);
  lines.push(`      <source ${i.type}='${esc(i.source)}'/>`);
  if (i.model !== undefined) lines.push(`      <model type='${esc(i.model)}'/>`);
  if (i.driver !== undefined) lines.push(`      <driver name='${i.driver}'/>`);
  lines.push('    </interface>');
  return lines;
}

function workloadElement(def: DomainDef): string {
  const attrs = Object.entries(def.workload?.written ?? {})
    .map(([k, v]) => ` ${k}="${esc(v)}"`)
    .join('');
  return `<pvlab:workload xmlns:pvlab="${PVLAB_XMLNS}"${attrs}/>`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}
