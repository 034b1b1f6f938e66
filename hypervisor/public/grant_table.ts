// Grant tables, as every kernel sees them (public/grant_table.h, v1 entries). A domain shares
// a page by writing an entry in its own grant table — frames of its memory that Xen also
// reads. Who writes what in an entry: the GRANTER writes domid, frame and the type/readonly
// flags; XEN sets and clears GTF_reading/GTF_writing while the grant is in use. The guest-side
// helpers at the bottom are the granter's half of that protocol.

import { readU16, readU32, writeU16, writeU32 } from './le';

/** GNTTABOP_* sub-operations of grant_table_op (hypercall 20); every one is batched. */
export const GNTTABOP = {
  map_grant_ref: 0, unmap_grant_ref: 1, setup_table: 2, dump_table: 3, transfer: 4, copy: 5,
  query_size: 6, unmap_and_replace: 7, set_version: 8, get_status_frames: 9, get_version: 10,
  swap_grant_ref: 11, cache_flush: 12,
} as const;
export type GnttabOpName = keyof typeof GNTTABOP;

/** Per-element status codes (GNTST_*): 0 or negative. */
export const GNTST = {
  okay: 0, general_error: -1, bad_domain: -2, bad_gntref: -3, bad_handle: -4, bad_virt_addr: -5,
  bad_dev_addr: -6, no_device_space: -7, permission_denied: -8, bad_page: -9, bad_copy_arg: -10,
  address_too_big: -11, eagain: -12, no_space: -13,
} as const;
export type GntstName = keyof typeof GNTST;

const GNTST_NAMES = new Map<number, GntstName>(
  (Object.entries(GNTST) as [GntstName, number][]).map(([n, v]) => [v, n]),
);
/** "GNTST_bad_gntref" for -3: how a grant status reads in a trace or a test message. */
export function gntstName(status: number): string {
  const n = GNTST_NAMES.get(status);
  return n === undefined ? `GNTST_${status}` : `GNTST_${n}`;
}

/** Entry type, bits 0-1 of flags. */
export const GTF_invalid = 0;
export const GTF_permit_access = 1;
export const GTF_accept_transfer = 2;
export const GTF_transitive = 3;
export const GTF_type_mask = 3;
/** Sub-flags of a permit_access entry. readonly and cache bits: granter; reading/writing: Xen. */
export const GTF_readonly = 1 << 2;
export const GTF_reading = 1 << 3;
export const GTF_writing = 1 << 4;
export const GTF_PWT = 1 << 5;
export const GTF_PCD = 1 << 6;
export const GTF_PAT = 1 << 7;
export const GTF_sub_page = 1 << 8;
/** Sub-flags of an accept_transfer entry (they reuse bits 2 and 3). */
export const GTF_transfer_committed = 1 << 2;
export const GTF_transfer_completed = 1 << 3;

/** GNTMAP_* flags of map_grant_ref. */
export const GNTMAP_device_map = 1;
export const GNTMAP_host_map = 2;
export const GNTMAP_readonly = 4;
export const GNTMAP_application_map = 8;
export const GNTMAP_contains_pte = 16;

/** gnttab_copy flags: which side names a grant reference (else a local frame of `domid`). */
export const GNTCOPY_source_gref = 1;
export const GNTCOPY_dest_gref = 2;

/** gnttab_map_grant_ref's inputs (host_addr is not modelled: the caller gets the frame). */
export interface MapOp { dom: number; ref: number; flags: number }
/** One side of gnttab_copy: `refOrGfn` is a grant ref with the GNTCOPY_*_gref flag, else a gfn. */
export interface CopySide { refOrGfn: number; domid: number; offset: number }
export interface CopyOp { source: CopySide; dest: CopySide; len: number; flags: number }

/** Refs 0-7 belong to the toolstack: 0 = console ring, 1 = xenstore ring. */
export const NR_RESERVED_ENTRIES = 8;
export const GNTTAB_RESERVED_CONSOLE = 0;
export const GNTTAB_RESERVED_XENSTORE = 1;

/** Default per-domain limits (gnttab_max_frames, gnttab_max_maptrack_frames). */
export const DEFAULT_MAX_GRANT_FRAMES = 64;
export const DEFAULT_MAX_MAPTRACK_FRAMES = 1024;

/** grant_entry_v1 { u16 flags; domid_t domid; u32 frame; }, little-endian. */
export const GRANT_ENTRY_V1_SIZE = 8;
const TABLE_PAGE_SIZE = 4096;
export const GRANT_ENTRIES_PER_FRAME = TABLE_PAGE_SIZE / GRANT_ENTRY_V1_SIZE; // 512
export const GRANT_ENTRY_FLAGS = 0; // u16
export const GRANT_ENTRY_DOMID = 2; // u16
export const GRANT_ENTRY_FRAME = 4; // u32

export interface GrantEntryV1 { flags: number; domid: number; frame: number }

/** Where entry `ref` lives in a table made of `tablePages`, or undefined if out of range. */
export function grantEntryAt(tablePages: readonly Uint8Array[], ref: number): { page: Uint8Array; offset: number } | undefined {
  if (!Number.isInteger(ref) || ref < 0) return undefined;
  const page = tablePages[Math.floor(ref / GRANT_ENTRIES_PER_FRAME)];
  if (page === undefined) return undefined;
  return { page, offset: (ref % GRANT_ENTRIES_PER_FRAME) * GRANT_ENTRY_V1_SIZE };
}

export { readU16, readU32, writeU16, writeU32 };

/** A copy of entry `ref` (one read of each field), or undefined if `ref` is out of range. */
export function readGrantEntry(tablePages: readonly Uint8Array[], ref: number): GrantEntryV1 | undefined {
  const at = grantEntryAt(tablePages, ref);
  if (at === undefined) return undefined;
  return {
    flags: readU16(at.page, at.offset + GRANT_ENTRY_FLAGS),
    domid: readU16(at.page, at.offset + GRANT_ENTRY_DOMID),
    frame: readU32(at.page, at.offset + GRANT_ENTRY_FRAME),
  };
}

/**
 * Granter side: lets `domid` access guest frame `gfn` through `ref`. domid and frame are
 * written first and flags LAST (after a write barrier in a real kernel), so Xen never sees a
 * valid type with a stale frame. False if `ref` is outside the table.
 */
export function grantAccess(
  tablePages: readonly Uint8Array[], ref: number, domid: number, gfn: number, readonly: boolean,
): boolean {
  const at = grantEntryAt(tablePages, ref);
  if (at === undefined) return false;
  writeU16(at.page, at.offset + GRANT_ENTRY_DOMID, domid);
  writeU32(at.page, at.offset + GRANT_ENTRY_FRAME, gfn);
  writeU16(at.page, at.offset + GRANT_ENTRY_FLAGS, GTF_permit_access | (readonly ? GTF_readonly : 0));
  return true;
}

/**
 * Granter side: revokes `ref`. Refused (false) while Xen has the grant in use — GTF_reading or
 * GTF_writing set — in which case the entry is left untouched and the granter must retry
 * later (Linux defers the free). True when the entry is now invalid.
 */
export function endForeignAccess(tablePages: readonly Uint8Array[], ref: number): boolean {
  const at = grantEntryAt(tablePages, ref);
  if (at === undefined) return false;
  const flags = readU16(at.page, at.offset + GRANT_ENTRY_FLAGS);
  if ((flags & (GTF_reading | GTF_writing)) !== 0) return false;
  writeU16(at.page, at.offset + GRANT_ENTRY_FLAGS, 0);
  return true;
}
