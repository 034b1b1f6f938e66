// The virtio-net wire format (virtio spec §5.1, Linux include/uapi/linux/virtio_net.h): what a
// guest's virtio-net driver and the host's device (QEMU's I/O thread, or vhost-net in the host
// kernel) agree on. Queue 0 receives, queue 1 transmits. Every frame, either way, is preceded in
// its chain by a struct virtio_net_hdr: with VIRTIO_F_VERSION_1 it is 12 bytes (flags u8,
// gso_type u8, hdr_len le16, gso_size le16, csum_start le16, csum_offset le16, num_buffers le16).
// pvlab's guests negotiate neither checksum offload nor GSO: the header is all zeroes on
// transmit, and on receive the device writes zeroes and num_buffers 1.

export const VIRTIO_NET_HDR_BYTES = 12;
/** Offset of num_buffers in the header. */
export const VIRTIO_NET_HDR_NUM_BUFFERS = 10;
export const VIRTIO_NET_RX_QUEUE = 0;
export const VIRTIO_NET_TX_QUEUE = 1;

/** Feature bits (bit numbers). */
export const VIRTIO_NET_F_MTU = 3;
export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_STATUS = 16;

/** struct virtio_net_config offsets: mac[6], status le16, max_virtqueue_pairs le16, mtu le16. */
export const VIRTIO_NET_CFG_MAC = 0;
export const VIRTIO_NET_CFG_STATUS = 6;
export const VIRTIO_NET_CFG_MTU = 10;
export const VIRTIO_NET_CFG_BYTES = 12;
/** config.status: the link is up. */
export const VIRTIO_NET_S_LINK_UP = 1;
