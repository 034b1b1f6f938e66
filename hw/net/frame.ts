// What travels on an Ethernet wire, as bytes: the Ethernet II header, IPv4, TCP (with the MSS
// and window-scale options of a SYN) and UDP, laid out as RFC 791 / 793 / 768 and IEEE 802.3
// say. Every network component of pvlab (the NICs, dom0's bridge, the guests' stacks, the
// remote peer) builds and parses frames with these functions and nothing else.
//
// Simplifications, documented: the IPv4 header checksum is computed and checked, TCP and UDP
// checksums are left 0 (checksum offload: NICs and netif mark frames data-validated); no IP
// options, fragments or VLAN tags; a frame with any of them is 'other' to its receiver.
// Parsing never throws: a frame whose lengths do not add up is { kind: 'bad', reason }.

import { freshBytes } from '../bytes';

/** A MAC address as a 48-bit integer (exact in a JS number), e.g. 0x00163e000102. */
export type Mac = number;
/** An IPv4 address as an unsigned 32-bit integer. */
export type Ip4 = number;

export const ETH_ALEN = 6;
export const ETH_HLEN = 14;
/** Shortest frame without its FCS (802.3 minimum 64 bytes with it): shorter ones are padded. */
export const ETH_ZLEN = 60;
export const ETH_P_IP = 0x0800;
export const BROADCAST_MAC: Mac = 0xffff_ffff_ffff;
export const IPV4_HLEN = 20;
export const TCP_HLEN = 20;
/** A SYN's header: MSS (4 bytes), NOP, window scale (3 bytes). */
export const TCP_SYN_HLEN = 28;
export const UDP_HLEN = 8;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
/** The longest header this module writes: Ethernet + IPv4 + a SYN's TCP header. */
export const MAX_HEADERS = ETH_HLEN + IPV4_HLEN + TCP_SYN_HLEN;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

const IP_DF = 0x4000;
const IP_TTL = 64;
const TCPOPT_EOL = 0;
const TCPOPT_NOP = 1;
const TCPOPT_MSS = 2;
const TCPOPT_WSCALE = 3;

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** The 16-bit window field as sent (already shifted right by the sender's scale). */
  window: number;
  /** SYN options. */
  mss?: number;
  wscale?: number;
}

export interface UdpFields {
  srcPort: number;
  dstPort: number;
}

export interface L3Addrs {
  dstMac: Mac;
  srcMac: Mac;
  srcIp: Ip4;
  dstIp: Ip4;
}

export type ParsedFrame =
  | { kind: 'tcp'; dstMac: Mac; srcMac: Mac; srcIp: Ip4; dstIp: Ip4; tcp: TcpFields; payload: Uint8Array }
  | { kind: 'udp'; dstMac: Mac; srcMac: Mac; srcIp: Ip4; dstIp: Ip4; udp: UdpFields; payload: Uint8Array }
  | { kind: 'other'; dstMac: Mac; srcMac: Mac }
  | { kind: 'bad'; reason: string };

export function macToString(m: Mac): string {
  return Array.from({ length: 6 }, (_, i) => Math.floor(m / 2 ** (8 * (5 - i))) % 256)
    .map((b) => b.toString(16).padStart(2, '0'))
    .join(':');
}

/** "00:16:3e:01:02:03" to a Mac; undefined if it is not six hex pairs. */
export function parseMac(s: string): Mac | undefined {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(s)) return undefined;
  return s.split(':').reduce((acc, h) => acc * 256 + parseInt(h, 16), 0);
}

export function ipToString(ip: Ip4): string {
  return [24, 16, 8, 0].map((s) => (ip >>> s) & 0xff).join('.');
}

export function readMac(b: Uint8Array, at: number): Mac {
  let m = 0;
  for (let i = 0; i < ETH_ALEN; i++) m = m * 256 + b[at + i]!;
  return m;
}

export function writeMac(b: Uint8Array, at: number, m: Mac): void {
  for (let i = ETH_ALEN - 1; i >= 0; i--) {
    b[at + i] = m % 256;
    m = Math.floor(m / 256);
  }
}

const be16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const be32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}
function put32(b: Uint8Array, at: number, v: number): void {
  put16(b, at, (v >>> 16) & 0xffff);
  put16(b, at + 2, v & 0xffff);
}

/** The RFC 791 header checksum over `len` bytes at `at` (the checksum field included). */
export function ipChecksum(b: Uint8Array, at: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += be16(b, at + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Bytes of header a TCP segment with these flags carries. */
export function tcpHeaderLen(flags: number): number {
  return flags & TCP_SYN ? TCP_SYN_HLEN : TCP_HLEN;
}

function writeEthIp(b: Uint8Array, a: L3Addrs, proto: number, l4Len: number, id: number): void {
  writeMac(b, 0, a.dstMac);
  writeMac(b, ETH_ALEN, a.srcMac);
  put16(b, 12, ETH_P_IP);
  const ip = ETH_HLEN;
  b[ip] = 0x45;
  b[ip + 1] = 0;
  put16(b, ip + 2, IPV4_HLEN + l4Len);
  put16(b, ip + 4, id & 0xffff);
  put16(b, ip + 6, IP_DF);
  b[ip + 8] = IP_TTL;
  b[ip + 9] = proto;
  put16(b, ip + 10, 0);
  put32(b, ip + 12, a.srcIp);
  put32(b, ip + 16, a.dstIp);
  put16(b, ip + 10, ipChecksum(b, ip, IPV4_HLEN));
}

/**
 * Writes the Ethernet, IPv4 and TCP headers of a segment carrying `payloadLen` bytes into
 * `b` (from offset 0) and returns their length. The payload itself follows in the frame.
 */
export function writeTcpHeaders(b: Uint8Array, a: L3Addrs, t: TcpFields, payloadLen: number, id = 0): number {
  const hl = tcpHeaderLen(t.flags);
  writeEthIp(b, a, IPPROTO_TCP, hl + payloadLen, id);
  const at = ETH_HLEN + IPV4_HLEN;
  put16(b, at, t.srcPort);
  put16(b, at + 2, t.dstPort);
  put32(b, at + 4, t.seq >>> 0);
  put32(b, at + 8, t.ack >>> 0);
  b[at + 12] = (hl / 4) << 4;
  b[at + 13] = t.flags & 0x3f;
  put16(b, at + 14, t.window & 0xffff);
  put32(b, at + 16, 0); // checksum (offloaded) and urgent pointer
  if (hl === TCP_SYN_HLEN) {
    b.set([TCPOPT_MSS, 4], at + 20);
    put16(b, at + 22, t.mss ?? 536);
    b.set([TCPOPT_NOP, TCPOPT_WSCALE, 3, t.wscale ?? 0], at + 24);
  }
  return ETH_HLEN + IPV4_HLEN + hl;
}

/** Writes the Ethernet, IPv4 and UDP headers of a datagram of `payloadLen` bytes. */
export function writeUdpHeaders(b: Uint8Array, a: L3Addrs, u: UdpFields, payloadLen: number, id = 0): number {
  writeEthIp(b, a, IPPROTO_UDP, UDP_HLEN + payloadLen, id);
  const at = ETH_HLEN + IPV4_HLEN;
  put16(b, at, u.srcPort);
  put16(b, at + 2, u.dstPort);
  put16(b, at + 4, UDP_HLEN + payloadLen);
  put16(b, at + 6, 0);
  return ETH_HLEN + IPV4_HLEN + UDP_HLEN;
}

/** A whole frame: headers then payload, padded to the Ethernet minimum. */
export function tcpFrame(a: L3Addrs, t: TcpFields, payload: Uint8Array, id = 0): Uint8Array {
  const hl = ETH_HLEN + IPV4_HLEN + tcpHeaderLen(t.flags);
  const b = freshBytes(Math.max(ETH_ZLEN, hl + payload.length));
  writeTcpHeaders(b, a, t, payload.length, id);
  b.set(payload, hl);
  return b;
}

export function udpFrame(a: L3Addrs, u: UdpFields, payload: Uint8Array, id = 0): Uint8Array {
  const hl = ETH_HLEN + IPV4_HLEN + UDP_HLEN;
  const b = freshBytes(Math.max(ETH_ZLEN, hl + payload.length));
  writeUdpHeaders(b, a, u, payload.length, id);
  b.set(payload, hl);
  return b;
}

export function frameDstMac(f: Uint8Array): Mac {
  return f.length >= ETH_HLEN ? readMac(f, 0) : BROADCAST_MAC;
}

export function frameSrcMac(f: Uint8Array): Mac {
  return f.length >= ETH_HLEN ? readMac(f, ETH_ALEN) : 0;
}

/** Parses a frame; never throws. Payload views alias `f` (callers own `f`). */
export function parseFrame(f: Uint8Array): ParsedFrame {
  if (f.length < ETH_HLEN) return { kind: 'bad', reason: 'shorter than an Ethernet header' };
  const dstMac = readMac(f, 0);
  const srcMac = readMac(f, ETH_ALEN);
  if (be16(f, 12) !== ETH_P_IP) return { kind: 'other', dstMac, srcMac };
  const ip = ETH_HLEN;
  if (f.length < ip + IPV4_HLEN) return { kind: 'bad', reason: 'truncated IPv4 header' };
  if (f[ip] !== 0x45) return { kind: 'other', dstMac, srcMac }; // IP options or not IPv4
  const total = be16(f, ip + 2);
  if (total < IPV4_HLEN || ip + total > f.length) return { kind: 'bad', reason: `IPv4 total length ${total} does not fit the frame` };
  if (ipChecksum(f, ip, IPV4_HLEN) !== 0) return { kind: 'bad', reason: 'IPv4 header checksum' };
  if ((be16(f, ip + 6) & 0x3fff) !== 0) return { kind: 'other', dstMac, srcMac }; // a fragment
  const srcIp = be32(f, ip + 12);
  const dstIp = be32(f, ip + 16);
  const l4 = ip + IPV4_HLEN;
  const end = ip + total;
  const proto = f[ip + 9];
  if (proto === IPPROTO_TCP) return parseTcp(f, l4, end, { dstMac, srcMac, srcIp, dstIp });
  if (proto === IPPROTO_UDP) return parseUdp(f, l4, end, { dstMac, srcMac, srcIp, dstIp });
  return { kind: 'other', dstMac, srcMac };
}

function parseTcp(f: Uint8Array, at: number, end: number, a: L3Addrs): ParsedFrame {
  if (end - at < TCP_HLEN) return { kind: 'bad', reason: 'truncated TCP header' };
  const hl = (f[at + 12]! >>> 4) * 4;
  if (hl < TCP_HLEN || at + hl > end) return { kind: 'bad', reason: `TCP data offset ${hl} does not fit` };
  const tcp: TcpFields = {
    srcPort: be16(f, at), dstPort: be16(f, at + 2), seq: be32(f, at + 4), ack: be32(f, at + 8),
    flags: f[at + 13]! & 0x3f, window: be16(f, at + 14),
  };
  parseTcpOptions(f, at + TCP_HLEN, at + hl, tcp);
  return { kind: 'tcp', ...a, tcp, payload: f.subarray(at + hl, end) };
}

/** Reads MSS and window scale; a malformed option list simply ends the walk. */
function parseTcpOptions(f: Uint8Array, at: number, end: number, t: TcpFields): void {
  while (at < end) {
    const kind = f[at]!;
    if (kind === TCPOPT_EOL) return;
    if (kind === TCPOPT_NOP) {
      at++;
      continue;
    }
    const len = at + 1 < end ? f[at + 1]! : 0;
    if (len < 2 || at + len > end) return;
    if (kind === TCPOPT_MSS && len === 4) t.mss = be16(f, at + 2);
    if (kind === TCPOPT_WSCALE && len === 3) t.wscale = Math.min(14, f[at + 2]!);
    at += len;
  }
}

function parseUdp(f: Uint8Array, at: number, end: number, a: L3Addrs): ParsedFrame {
  if (end - at < UDP_HLEN) return { kind: 'bad', reason: 'truncated UDP header' };
  const len = be16(f, at + 4);
  if (len < UDP_HLEN || at + len > end) return { kind: 'bad', reason: `UDP length ${len} does not fit` };
  return { kind: 'udp', ...a, udp: { srcPort: be16(f, at), dstPort: be16(f, at + 2) }, payload: f.subarray(at + UDP_HLEN, at + len) };
}
