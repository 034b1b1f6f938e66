// Which xl.cfg keys pvlab reads, and which it knows but does not model.
//
// Modelled keys become the fields of a scenario domain (lab/scenario/types.ts `Domain`), each
// read the way xl reads it (`XlKind`). `builder` is xl's deprecated spelling of `type`.
// `accel` is pvlab's own key (how an HVM guest's CPU is virtualized: vtx, bt or tcg); xl ignores
// keys it does not know, so a .cfg holding it still works with the real xl.
//
// Unmodelled keys are the rest of xl.cfg(5) (Xen 4.x, x86 and Arm): a file using them loads, with
// one warning per key saying why the key has no effect in pvlab. Any other key is an error with
// a "did you mean" (xl itself silently ignores unknown keys, which hides typos such as `memroy`).

/** How xl reads a key's value. */
export type XlKind =
  | 'string' // one atom, used as text
  | 'number' // one atom read as a number (a quoted number is fine, as in xl)
  | 'flag' // a number: 0 is false, anything else true (libxl_defbool)
  | 'cpus' // one atom: a pCPU list such as "0-3,^1" or "all"
  | 'specs'; // a list of spec strings (disk, vif)

export const MODELLED_KEYS: Readonly<Record<string, XlKind>> = {
  name: 'string',
  type: 'string',
  builder: 'string',
  vcpus: 'number',
  maxvcpus: 'number',
  cpus: 'cpus',
  cpu_weight: 'number',
  cap: 'number',
  memory: 'number',
  maxmem: 'number',
  disk: 'specs',
  vif: 'specs',
  hdtype: 'string',
  hap: 'flag',
  xen_platform_pci: 'flag',
  accel: 'string',
  cmdline: 'string',
  extra: 'string',
};

/** Number keys given in MiB, for a hint in messages. */
export const MIB_KEYS: ReadonlySet<string> = new Set(['memory', 'maxmem']);

/** Known xl.cfg keys pvlab does not model, grouped by the reason they have no effect. */
const UNMODELLED_GROUPS: readonly (readonly [string, readonly string[]])[] = [
  ['guests boot a simulated kernel, so boot settings have no effect', [
    'kernel', 'ramdisk', 'root', 'bootloader', 'bootloader_args', 'bootloader_restrict',
    'bootloader_user', 'firmware', 'boot', 'bios', 'bios_path_override', 'firmware_override', 'smbios_firmware',
    'acpi_firmware', 'pvshim', 'pvshim_path', 'pvshim_cmdline', 'pvshim_extra', 'device_tree',
  ]],
  ['nothing acts on a guest\'s shutdown, reboot or crash', [
    'on_poweroff', 'on_reboot', 'on_crash', 'on_watchdog', 'on_soft_reset',
  ]],
  ['no console, display, sound or USB device is simulated', [
    'serial', 'vnc', 'vnclisten', 'vncdisplay', 'vncunused', 'vncpasswd', 'keymap', 'sdl', 'opengl',
    'nographic', 'vga', 'stdvga', 'videoram', 'vfb', 'vkb', 'vkb_device', 'spice', 'spicehost', 'spiceport',
    'spicetls_port', 'spicedisable_ticketing', 'spicepasswd', 'spiceagent_mouse', 'spicevdagent',
    'spice_clipboard_sharing', 'spiceusbredirection', 'spice_image_compression', 'spice_streaming_video',
    'soundhw', 'usb', 'usbdevice', 'usbversion', 'usbctrl', 'usbdev', 'vdispl', 'vsnd', 'channel', 'vuart',
  ]],
  ['the device model is simulated, not started', [
    'device_model_version', 'device_model_override', 'device_model_stubdomain_override',
    'device_model_stubdomain_seclabel', 'device_model_args', 'device_model_args_pv', 'device_model_args_hvm',
    'device_model_user', 'dm_restrict', 'stubdomain_memory', 'stubdomain_kernel', 'stubdomain_ramdisk',
  ]],
  ['there is one host with one CPU pool, no NUMA and no soft affinity', [
    'pool', 'cpus_soft', 'vnuma', 'claim_mode',
  ]],
  ['every domain has the same fixed grant and event-channel tables', [
    'max_grant_frames', 'max_maptrack_frames', 'max_grant_version', 'max_event_channels',
  ]],
  ['pass-through and this kind of device are not simulated', [
    'pci', 'pci_permissive', 'pci_msitranslate', 'pci_seize', 'pci_power_mgmt', 'rdm', 'rdm_mem_boundary',
    'gfx_passthru', 'ioports', 'iomem', 'irqs', 'dtdev', 'passthrough', 'iommu_memkb', 'vtpm', 'p9', 'pvcalls',
    'virtio',
  ]],
  ['this platform feature is not simulated', [
    'acpi', 'acpi_s3', 'acpi_s4', 'acpi_laptop_slate', 'apic', 'pae', 'hpet', 'viridian', 'nestedhvm', 'altp2m',
    'altp2mhvm', 'max_altp2m', 'oos', 'shadow_memory', 'cpuid', 'vpt_align', 'timer_mode', 'mmio_hole',
    'tsc_mode', 'localtime', 'rtc_timeoffset', 'vendor_device', 'ms_vm_genid', 'e820_host', 'mca_caps', 'vpmu',
    'xend_suspend_evtchn_compat', 'gic_version', 'nr_spis', 'tee', 'sve',
  ]],
  ['there are no domain identities, security labels or migration', [
    'uuid', 'seclabel', 'init_seclabel', 'nomigrate', 'driver_domain',
  ]],
];

const UNMODELLED: ReadonlyMap<string, string> = new Map(
  UNMODELLED_GROUPS.flatMap(([reason, keys]) => keys.map((k) => [k, reason] as const)),
);

/** Why a known xl key has no effect in pvlab, or undefined if pvlab models it or xl lacks it. */
export function unmodelledReason(key: string): string | undefined {
  return UNMODELLED.get(key);
}

/** Every key xl.cfg(5) documents that pvlab knows, modelled or not (for "did you mean"). */
export const KNOWN_KEYS: readonly string[] = [...Object.keys(MODELLED_KEYS), ...UNMODELLED.keys()];
