// The emulated platform of a fully virtualized (or native) guest: its disk controller (legacy
// IDE or AHCI, xl.cfg's hdtype) on the guest's first disk, and a 16550 console. Where the
// devices live depends on the mode: under vtx and bt they are in dom0's device model and every
// access is an ioreq; under tcg they are in the emulator's own process, called directly; on
// the native baseline they are the real hardware.
import { IoSpace, type BlockBackend, type DmaMemory, type IrqLine } from '../../hw/devices/bus';
import { IdeChannel } from '../../hw/devices/ide/index';
import { AhciHba } from '../../hw/devices/ahci/index';
import { Uart16550 } from '../../hw/devices/uart16550/index';
import type { Accel } from '../../hypervisor/hvm';
import type { Domain } from '../../hypervisor/domain';
import { DeviceModel } from '../../dom0/qemu/dm';
import type { BlockTarget } from '../../dom0/volumes';
import { AHCI_DEFAULT } from '../../guests/drivers/ahci';
import { IDE_PRIMARY } from '../../guests/drivers/ide';
import { guestRam } from './guest-ram';
import type { World } from './world';

const UART_IRQ = 4;

export interface EmulatedPlatform {
  io: IoSpace;
  dm?: DeviceModel;
  disk?: IdeChannel | AhciHba;
  uart: Uart16550;
}

/** Builds the devices and attaches them where `accel` says. */
export function emulatedPlatform(w: World, d: Domain, accel: Accel, hdtype: 'ide' | 'ahci', target: BlockTarget | undefined): EmulatedPlatform {
  const io = new IoSpace();
  let dm: DeviceModel | undefined;
  let mem: DmaMemory;
  let irq: (line: number) => IrqLine;
  let block: (t: BlockTarget) => BlockBackend;
  if (accel === 'vtx' || accel === 'bt') {
    const ports = w.hv.createIoreqServer(d, 0);
    const local = ports.map((p) => w.hv.evtchn.bindInterdomain(0, d.id, p));
    dm = new DeviceModel(w.dom0.kernel, d.id, d.hvm!.ioreqPage!, local, io, w.profile.devices);
    mem = dm.dma();
    irq = (line) => dm!.irq(line);
    block = (t) => dm!.block(t);
  } else {
    mem = guestRam(w, d);
    irq = (line) => ({ raise: () => w.hv.injectIrq(d, line), lower: () => {} });
    block = (t) => t;
    d.hvm!.devices = io;
  }
  let disk: IdeChannel | AhciHba | undefined;
  if (target) {
    disk = hdtype === 'ahci'
      ? new AhciHba(block(target), irq(AHCI_DEFAULT.irq), mem, { abar: AHCI_DEFAULT.abar })
      : new IdeChannel(block(target), irq(IDE_PRIMARY.irq), mem, { bmBase: IDE_PRIMARY.bmBase });
    io.attach(disk);
  }
  const uart = new Uart16550(w.engine, irq(UART_IRQ), { tx: 'instant' });
  io.attach(uart);
  return { io, dm, disk, uart };
}

