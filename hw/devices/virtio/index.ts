// virtio on PCI (modern layout): the transport's register model and its register map. The
// devices themselves (virtio-blk's request handling over virtqueues) live with the host side
// that runs them (host/virtio/), since hw/ knows nothing of rings.
export * from './regs';
export { VirtioPciTransport, type QueueConfig, type VirtioBackend } from './transport';
