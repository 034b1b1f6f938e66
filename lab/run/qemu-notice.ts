// What QEMU prints when it cannot use KVM and falls back to TCG (REFERENCE §10.2, QEMU's
// accel/kvm/kvm-all.c and vl.c): shared by a Xen host's hvm guests on a CPU without VT-x and a
// KVM host's guests there.

/** QEMU's words when /dev/kvm (here: VT-x) is missing, as the original QEMU/KVM article quotes them. */
export const TCG_FALLBACK = 'Could not access KVM kernel module: No such file or directory\nfailed to initialize KVM: No such file or directory\nBack to tcg accelerator';
