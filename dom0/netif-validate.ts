// Netback's checks of one transmit packet, made on the private copies of its ring slots
// (REFERENCE §2.5, Linux xenvif_count_requests / xenvif_tx_build_gops): the first slot's size
// is the whole packet's, later slots carry their own; no slot may run past its page; the
// fragments may not add up to more than the packet; a packet may use at most
// XEN_NETIF_NR_SLOTS_MIN slots; a packet with an extra-info slot asks for a feature (GSO) this
// backend never offered. A packet that fails gets NETIF_RSP_ERROR on each of its slots.
import { ETH_HLEN } from '../hw/net/frame';
import { XEN_NETIF_MAX_TX_SIZE, XEN_NETIF_NR_SLOTS_MIN, type NetifTxRequest } from '../hypervisor/public/io/netif';

const PAGE = 4096;

/** One fragment to copy: which slot, its grant, offset and length in the granted page. */
export interface TxFragment {
  readonly slot: NetifTxRequest;
  readonly gref: number;
  readonly offset: number;
  readonly len: number;
}

export type TxCheck =
  | { kind: 'ok'; size: number; frags: TxFragment[] }
  | { kind: 'bad'; reason: string };

/** Checks a packet's slots (extra-info slots not included; `extra` says there was one). */
export function validateTxPacket(slots: readonly NetifTxRequest[], extra: boolean): TxCheck {
  const first = slots[0];
  if (!first) return { kind: 'bad', reason: 'empty packet' };
  if (extra) return { kind: 'bad', reason: 'extra-info slot, but no GSO feature was offered' };
  if (slots.length > XEN_NETIF_NR_SLOTS_MIN) return { kind: 'bad', reason: `${slots.length} slots (at most ${XEN_NETIF_NR_SLOTS_MIN})` };
  const size = first.size;
  if (size < ETH_HLEN) return { kind: 'bad', reason: `packet of ${size} bytes is shorter than an Ethernet header` };
  if (size > XEN_NETIF_MAX_TX_SIZE) return { kind: 'bad', reason: `packet of ${size} bytes` };
  let rest = 0;
  for (const s of slots.slice(1)) rest += s.size;
  const headLen = size - rest;
  if (headLen < 0) return { kind: 'bad', reason: `fragments carry ${rest} bytes of a ${size}-byte packet` };
  const frags: TxFragment[] = [];
  for (const [i, s] of slots.entries()) {
    const len = i === 0 ? headLen : s.size;
    if (s.offset + len > PAGE) return { kind: 'bad', reason: `slot ${i} crosses its page (offset ${s.offset}, ${len} bytes)` };
    if (len > 0) frags.push({ slot: s, gref: s.gref, offset: s.offset, len });
  }
  return { kind: 'ok', size, frags };
}
