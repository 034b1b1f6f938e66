// The standard xenstore layout (REFERENCE §5.2, docs/misc/xenstore-paths.pandoc): where a
// domain's home, its frontend device directories and a backend's directories are, and the
// Linux virtual-disk numbering of docs/man/xen-vbd-interface.7 that names a vbd's devid:
//   xvd disks 0-15:  202<<8 | disk<<4 | partition(0-15)       xvda = 51712, xvdb = 51728
//   xvd, any disk:   1<<28 | disk<<8 | partition(0-255)        (the "extended" form, d<N>p<M>)
//   hd disks 0-1:    3<<8  | disk<<6 | partition(0-63)         hda = 768
//   hd disks 2-3:    22<<8 | (disk-2)<<6 | partition(0-63)
//   sd disks 0-15:   8<<8  | disk<<4 | partition(0-15)         sda = 2048
// Disk letters count like spreadsheet columns: a=0 … z=25, aa=26, ab=27 ….
//
// Who calls it: the toolstack (creating device directories), backends and frontends. Pure.

export type DeviceType = 'vbd' | 'vif' | 'console' | 'vkbd' | 'vfb' | 'vscsi' | 'vusb';

export const domainPath = (domid: number): string => `/local/domain/${domid}`;
/** Where the toolstack asks a guest to shut down ("poweroff", "reboot", "suspend"…). */
export const controlShutdownPath = (domid: number): string => `${domainPath(domid)}/control/shutdown`;

/** The frontend's directory, in the guest's home: /local/domain/<domU>/device/<type>/<devid>. */
export const frontendPath = (domU: number, type: DeviceType, devid: number): string =>
  `${domainPath(domU)}/device/${type}/${devid}`;

/** The backend's directory: /local/domain/<backend>/backend/<type>/<domU>/<devid>. */
export const backendPath = (backend: number, type: DeviceType, domU: number, devid: number): string =>
  `${domainPath(backend)}/backend/${type}/${domU}/${devid}`;

export const vbdFrontendPath = (domU: number, devid: number): string => frontendPath(domU, 'vbd', devid);
export const vbdBackendPath = (backend: number, domU: number, devid: number): string =>
  backendPath(backend, 'vbd', domU, devid);
export const vifFrontendPath = (domU: number, devid: number): string => frontendPath(domU, 'vif', devid);
export const vifBackendPath = (backend: number, domU: number, devid: number): string =>
  backendPath(backend, 'vif', domU, devid);

/** The XenBus `state` key each end publishes in its own directory. */
export const statePath = (deviceDir: string): string => `${deviceDir}/state`;

// ---- vbd numbering ----------------------------------------------------------------------------

const XVD_MAJOR = 202;
const HD_MAJOR_0_1 = 3;
const HD_MAJOR_2_3 = 22;
const SD_MAJOR = 8;
const EXTENDED = 1 << 28;
/** Disk numbers the extended form can carry (20 bits). */
const EXTENDED_MAX_DISK = (1 << 20) - 1;
/** Longest disk-letter string we decode; 4 letters already exceed the 20-bit disk field. */
const MAX_LETTERS = 4;

/** "a" → 0, "z" → 25, "aa" → 26. */
function lettersToDisk(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 96);
  return n - 1;
}

/** 0 → "a", 26 → "aa". */
function diskToLetters(disk: number): string {
  let s = '';
  for (let n = disk + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(97 + ((n - 1) % 26)) + s;
  return s;
}

/** The devid a vdev name stands for ("xvda" → 51712, "hda" → 768, "sda" → 2048, "xvda1",
 *  "d0p1", or a plain decimal devid); undefined if the name is not one of the schemes. */
export function vdevToDevid(vdev: string): number | undefined {
  if (/^[0-9]{1,10}$/.test(vdev)) return Number(vdev);
  const ext = /^d([0-9]{1,7})(?:p([0-9]{1,3}))?$/.exec(vdev);
  if (ext) return extended(Number(ext[1]), Number(ext[2] ?? 0));
  const m = new RegExp(`^(xvd|hd|sd)([a-z]{1,${MAX_LETTERS}})([0-9]{1,3})?$`).exec(vdev);
  if (!m || m[3]?.startsWith('0')) return undefined;
  const disk = lettersToDisk(m[2]!);
  const part = Number(m[3] ?? 0);
  switch (m[1]) {
    case 'xvd':
      return disk < 16 && part < 16 ? (XVD_MAJOR << 8) | (disk << 4) | part : extended(disk, part);
    case 'hd':
      if (disk > 3 || part > 63) return undefined;
      return ((disk < 2 ? HD_MAJOR_0_1 : HD_MAJOR_2_3) << 8) | ((disk % 2) << 6) | part;
    default:
      return disk < 16 && part < 16 ? (SD_MAJOR << 8) | (disk << 4) | part : undefined;
  }
}

function extended(disk: number, part: number): number | undefined {
  if (disk > EXTENDED_MAX_DISK || part > 255) return undefined;
  return EXTENDED | (disk << 8) | part;
}

/** The Linux name of a devid (51712 → "xvda", 51729 → "xvdb1"); undefined for a number
 *  that is none of the schemes. */
export function devidToVdev(devid: number): string | undefined {
  if (!Number.isInteger(devid) || devid < 0 || devid >= 2 ** 29) return undefined;
  const name = (prefix: string, disk: number, part: number): string =>
    `${prefix}${diskToLetters(disk)}${part === 0 ? '' : part}`;
  if (devid & EXTENDED) return name('xvd', (devid >> 8) & EXTENDED_MAX_DISK, devid & 0xff);
  const major = devid >> 8;
  const minor = devid & 0xff;
  switch (major) {
    case XVD_MAJOR:
      return name('xvd', minor >> 4, minor & 15);
    case SD_MAJOR:
      return name('sd', minor >> 4, minor & 15);
    case HD_MAJOR_0_1:
    case HD_MAJOR_2_3:
      if (minor >> 6 > 1) return undefined;
      return name('hd', (major === HD_MAJOR_2_3 ? 2 : 0) + (minor >> 6), minor & 63);
    default:
      return undefined;
  }
}
