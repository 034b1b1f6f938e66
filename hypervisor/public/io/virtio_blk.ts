// The virtio-blk wire format (virtio spec §5.2, Linux include/uapi/linux/virtio_blk.h): what a
// guest's virtio-blk driver and the host's device (QEMU, or a vhost worker) agree on, as blkif.ts
// is for Xen's split block driver. A request is one descriptor chain: a 16-byte header the
// device reads, the data buffers, and one status byte the device writes last.

/** struct virtio_blk_outhdr: type le32, reserved le32 (ioprio), sector le64 (512-byte units). */
export const VIRTIO_BLK_OUTHDR_BYTES = 16;
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
/** The status byte. */
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

/** Feature bits (bit numbers). */
export const VIRTIO_BLK_F_SIZE_MAX = 1;
export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_BLK_SIZE = 6;
export const VIRTIO_BLK_F_FLUSH = 9;

/** struct virtio_blk_config offsets: capacity le64 (in 512-byte sectors), size_max le32,
 *  seg_max le32, geometry (4 bytes), blk_size le32. */
export const VIRTIO_BLK_CFG_CAPACITY = 0;
export const VIRTIO_BLK_CFG_SIZE_MAX = 8;
export const VIRTIO_BLK_CFG_SEG_MAX = 12;
export const VIRTIO_BLK_CFG_BLK_SIZE = 20;
export const VIRTIO_BLK_CFG_BYTES = 24;

export const VIRTIO_BLK_SECTOR = 512;

export interface VirtioBlkOutHdr {
  type: number;
  sector: number;
}

export function encodeOutHdr(h: VirtioBlkOutHdr): Uint8Array {
  const b = new Uint8Array(VIRTIO_BLK_OUTHDR_BYTES);
  const v = new DataView(b.buffer);
  v.setUint32(0, h.type, true);
  v.setUint32(4, 0, true);
  v.setUint32(8, h.sector >>> 0, true);
  v.setUint32(12, Math.floor(h.sector / 0x1_0000_0000), true);
  return b;
}

/** Decodes a header from the device's private copy of its bytes. */
export function decodeOutHdr(b: Uint8Array): VirtioBlkOutHdr {
  const v = new DataView(b.buffer, b.byteOffset, VIRTIO_BLK_OUTHDR_BYTES);
  return { type: v.getUint32(0, true), sector: v.getUint32(8, true) + v.getUint32(12, true) * 0x1_0000_0000 };
}
