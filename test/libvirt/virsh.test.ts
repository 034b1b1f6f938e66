import { describe, expect, it } from 'vitest';
import { connect, hostConnection } from '../../lab/libvirt/index';
import { virsh, type VirshSession } from '../../lab/libvirt/virsh';
import { guestXml, must, MS, xenHost } from './helpers';

function testSession(files: Record<string, string> = {}): VirshSession {
  const conn = must(connect('test:///default'));
  return { connect: (uri) => (uri === undefined ? { ok: true, value: conn } : connect(uri)), readFile: (p) => { if (!(p in files)) throw new Error('ENOENT'); return files[p]!; } };
}

const WEB = `<domain type='test'><name>web</name><uuid>11111111-2222-4333-8444-555555555555</uuid><memory unit='MiB'>512</memory><vcpu current='1'>2</vcpu><os><type>hvm</type></os></domain>`;

describe('virsh prints what virsh prints', () => {
  it('list: a table with "-" for the ids of shut-off domains, running ones first', () => {
    const s = testSession({ 'web.xml': WEB });
    expect(virsh(s, 'define web.xml').stdout).toBe("Domain 'web' defined from web.xml\n\n");
    expect(virsh(s, 'list').stdout).toBe(' Id   Name   State\n----------------------\n 1    test   running\n\n');
    expect(virsh(s, 'list --all').stdout).toBe(
      ' Id   Name   State\n' +
      '-----------------------\n' +
      ' 1    test   running\n' +
      ' -    web    shut off\n\n');
    expect(virsh(s, 'list --inactive --name').stdout).toBe('web\n\n');
  });

  it('dominfo: "key: value" lines, aligned at column 16', () => {
    const s = testSession({ 'web.xml': WEB });
    virsh(s, 'define web.xml');
    expect(virsh(s, 'dominfo web').stdout).toBe([
      'Id:             -',
      'Name:           web',
      'UUID:           11111111-2222-4333-8444-555555555555',
      'OS Type:        hvm',
      'State:          shut off',
      'CPU(s):         1',
      'Max memory:     524288 KiB',
      'Used memory:    524288 KiB',
      'Persistent:     yes',
      'Autostart:      disable',
      'Managed save:   no',
      'Security model: none',
      'Security DOI:   0',
      '', '',
    ].join('\n'));
  });

  it('start, suspend, resume, shutdown, destroy: one line each, and errors as virsh words them', () => {
    const s = testSession({ 'web.xml': WEB });
    virsh(s, 'define web.xml');
    const out = (cmd: string) => { const r = virsh(s, cmd); return r.ok ? r.stdout : r.stderr; };
    expect(out('start web')).toBe("Domain 'web' started\n\n");
    expect(out('start web')).toBe("error: Domain 'web' is already active\n");
    expect(out('suspend web')).toBe("Domain 'web' suspended\n\n");
    expect(out('domstate web --reason')).toBe('paused (user)\n\n');
    expect(out('resume web')).toBe("Domain 'web' resumed\n\n");
    expect(out('shutdown web')).toBe("Domain 'web' is being shutdown\n\n");
    expect(out('destroy web')).toBe("error: Failed to destroy domain 'web'\nerror: Requested operation is not valid: domain is not running\n");
    expect(out('dominfo db')).toBe("error: failed to get domain 'db'\n");
    expect(out('reboot')).toBe("error: command 'reboot' requires <domain> option\n");
    expect(out('frob web')).toBe("error: unknown command: 'frob'\n");
    expect(out('define nope.xml')).toBe("error: Failed to open file 'nope.xml': No such file or directory\n");
    expect(out('-c lxc:/// list')).toBe('error: failed to connect to the hypervisor\nerror: no connection driver available for lxc:///\n');
  });

  it('looks a domain up by id, uuid or name', () => {
    const s = testSession();
    expect(virsh(s, 'domstate 1').stdout).toBe('running\n\n');
    expect(virsh(s, 'domstate 6695eb01-f6a4-8304-79aa-97f2502e193f').stdout).toBe('running\n\n');
    expect(virsh(s, 'domstate --domain test').stdout).toBe('running\n\n');
  });

  it('vcpuinfo: one block per vCPU with its affinity map; vcpupin changes it', () => {
    const s = testSession();
    expect(virsh(s, 'vcpupin test 1 0-3,^2').ok).toBe(true);
    expect(virsh(s, 'vcpuinfo test').stdout).toBe([
      'VCPU:           0', 'CPU:            0', 'State:          running', 'CPU Affinity:   yyyyyyyyyyyyyyyy', '',
      'VCPU:           1', 'CPU:            0', 'State:          running', 'CPU Affinity:   yy-y------------', '', '',
    ].join('\n'));
  });

  it('schedinfo: the scheduler and its parameters, set with --set or --weight', () => {
    const s = testSession();
    expect(virsh(s, 'schedinfo test').stdout).toBe('Scheduler      : fair\nweight         : 50\n\n');
    expect(virsh(s, 'schedinfo test --weight 80').stdout).toBe('Scheduler      : fair\nweight         : 80\n\n');
    expect(virsh(s, 'schedinfo test --set weight=90').stdout).toBe('Scheduler      : fair\nweight         : 90\n\n');
    expect(virsh(s, 'schedinfo test --set weight=lots').stderr).toBe('error: invalid scheduler option: weight=lots\n');
  });

  it('dumpxml: the definition as domain XML, with the id while it runs', () => {
    const s = testSession();
    expect(virsh(s, 'dumpxml test').stdout).toBe(`<domain type='test' id='1'>
  <name>test</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory unit='KiB'>8388608</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
</domain>
`);
  });

  it('on a Xen host: Domain-0 is listed, and schedinfo shows credit\'s weight and cap', () => {
    const w = xenHost();
    const s: VirshSession = { connect: (uri) => hostConnection(w, uri), readFile: () => guestXml() };
    expect(virsh(s, 'create web.xml').stdout).toBe("Domain 'web' created from web.xml\n\n");
    w.engine.run(1000 * MS);
    expect(virsh(s, 'list').stdout).toBe(' Id   Name       State\n--------------------------\n 0    Domain-0   running\n 1    web        running\n\n');
    expect(virsh(s, 'schedinfo web --set weight=512,cap=50').stdout).toBe('Scheduler      : credit\nweight         : 512\ncap            : 50\n\n');
    expect(w.hv.domainByName('web')!.weight).toBe(512);
    const info = virsh(s, 'dominfo web').stdout;
    expect(info).toMatch(/^OS Type: {8}xen$/m);
    expect(info).toMatch(/^CPU time: {7}\d+\.\ds$/m);
    expect(info).toMatch(/^Persistent: {5}no$/m);
    expect(virsh(s, 'schedinfo web --set weight=0').stderr).toBe("error: internal error: Failed to set scheduler parameters for domain '1' with libxenlight (weight is 1..65535, cap 0..200)\n");
  });
});
