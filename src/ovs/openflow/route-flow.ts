// The hot path: FLOW_MODs for route flows written straight into the batch
// buffer. A route flow is always the same shape (OpenFlow 1.3 §7.3.4.1):
//
//   ofp_header         version=4 type=FLOW_MOD length xid               8 bytes
//   ofp_flow_mod       cookie, cookie_mask, table_id, command, timeouts,
//                      priority, buffer_id, out_port, out_group, flags  40 bytes
//   ofp_match (§7.2.2) type=OXM length, eth_type TLV, [ipv4_dst|ipv6_dst TLV], pad to 8
//   instructions       pre-encoded, shared by every route with the same next hops
//
// so the fixed 40 bytes come from a template (one per command) and only
// xid, priority and the destination are written per flow: no objects, no
// closures, one capacity check per message. Bundled flow mods get the ONF
// extension 230 BUNDLE_ADD_MESSAGE wrapper (24 bytes) in front, written in
// the same pass.
import type { ByteWriter } from './buffer.js';
import {
  ETH_TYPE_IPV4,
  ETH_TYPE_IPV6,
  OFP_NO_BUFFER,
  OFP_VERSION_1_3,
  OFPG_ANY,
  OFPP_ANY,
  OfpFlowModCommand,
  OfpType,
  ONF_EXPERIMENTER_ID,
  ONFT_BUNDLE_ADD_MESSAGE,
  OxmBasicField,
  OxmClass,
} from './constants.js';

const HEADER = 8;
const FLOW_MOD_FIXED = 40;
const BUNDLE_ADD_HEAD = 24;

export interface RouteFlowHead {
  readonly cookie: bigint;
  /** Delete: the bits of the cookie that must match (ownership); add: 0. */
  readonly cookieMask: bigint;
  readonly tableId: number;
  readonly command: 'add' | 'deleteStrict';
  readonly flags: number;
}

/** The 40 bytes after the header, priority left 0 (patched per flow). */
export function flowModTemplate(head: RouteFlowHead): Buffer {
  const t = Buffer.alloc(FLOW_MOD_FIXED);
  t.writeBigUInt64BE(BigInt.asUintN(64, head.cookie), 0);
  t.writeBigUInt64BE(BigInt.asUintN(64, head.cookieMask), 8);
  t[16] = head.tableId;
  t[17] = head.command === 'add' ? OfpFlowModCommand.ADD : OfpFlowModCommand.DELETE_STRICT;
  // idle_timeout, hard_timeout: 0 (permanent); priority at 22.
  t.writeUInt32BE(OFP_NO_BUFFER, 24);
  t.writeUInt32BE(OFPP_ANY, 28);
  t.writeUInt32BE(OFPG_ANY, 32);
  t.writeUInt16BE(head.flags, 36);
  return t;
}

/** Bytes of the ofp_match for a destination prefix, padding included. */
export function routeMatchLength(version: 4 | 6, prefixLength: number): number {
  const addressBytes = version === 4 ? 4 : 16;
  const full = addressBytes * 8;
  const dst = prefixLength === 0 ? 0 : 4 + (prefixLength === full ? addressBytes : 2 * addressBytes);
  return (4 + 6 + dst + 7) & ~7;
}

/**
 * Writes the match at `at`: eth_type, then the destination (unmasked for a
 * host route, left out for a default route), then zero padding.
 */
function putMatch(
  buffer: Buffer,
  at: number,
  version: 4 | 6,
  address: Uint8Array,
  prefixLength: number,
  padded: number,
): void {
  const addressBytes = version === 4 ? 4 : 16;
  const full = addressBytes * 8;
  const masked = prefixLength !== full;
  const dstLength = prefixLength === 0 ? 0 : 4 + (masked ? 2 * addressBytes : addressBytes);
  buffer.writeUInt16BE(1, at); // OFPMT_OXM
  buffer.writeUInt16BE(4 + 6 + dstLength, at + 2); // length without padding (§7.2.2)
  let o = at + 4;
  buffer.writeUInt16BE(OxmClass.OPENFLOW_BASIC, o);
  buffer[o + 2] = OxmBasicField.ETH_TYPE << 1;
  buffer[o + 3] = 2;
  buffer.writeUInt16BE(version === 4 ? ETH_TYPE_IPV4 : ETH_TYPE_IPV6, o + 4);
  o += 6;
  if (prefixLength > 0) {
    buffer.writeUInt16BE(OxmClass.OPENFLOW_BASIC, o);
    const field = version === 4 ? OxmBasicField.IPV4_DST : OxmBasicField.IPV6_DST;
    buffer[o + 2] = (field << 1) | (masked ? 1 : 0);
    buffer[o + 3] = masked ? 2 * addressBytes : addressBytes;
    o += 4;
    for (let i = 0; i < addressBytes; i++) buffer[o + i] = address[i] as number;
    o += addressBytes;
    if (masked) {
      for (let i = 0; i < addressBytes; i++) {
        const bits = prefixLength - i * 8;
        buffer[o + i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
      }
      o += addressBytes;
    }
  }
  buffer.fill(0, o, at + padded);
}

function putHeader(buffer: Buffer, at: number, type: number, length: number, xid: number): void {
  buffer[at] = OFP_VERSION_1_3;
  buffer[at + 1] = type;
  buffer.writeUInt16BE(length, at + 2);
  buffer.writeUInt32BE(xid >>> 0, at + 4);
}

/**
 * One route FLOW_MOD: `template` from flowModTemplate, the prefix as bytes
 * and length, `priority`, and the encoded instructions (empty for a delete
 * or a drop). With `bundleId` >= 0 it is wrapped in an ONF BUNDLE_ADD_MESSAGE
 * whose xid equals the inner one (ONF EXT-230: the switch reports errors
 * for the inner message with that xid).
 */
export function writeRouteFlowMod(
  w: ByteWriter,
  xid: number,
  template: Buffer,
  version: 4 | 6,
  address: Uint8Array,
  prefixLength: number,
  priority: number,
  instructions: Uint8Array,
  bundleId: number,
  bundleFlags: number,
): void {
  const matchLength = routeMatchLength(version, prefixLength);
  const inner = HEADER + FLOW_MOD_FIXED + matchLength + instructions.length;
  const total = bundleId >= 0 ? BUNDLE_ADD_HEAD + inner : inner;
  const at = w.claim(total);
  const buffer = w.raw;
  let o = at;
  if (bundleId >= 0) {
    putHeader(buffer, o, OfpType.EXPERIMENTER, total, xid);
    buffer.writeUInt32BE(ONF_EXPERIMENTER_ID, o + 8);
    buffer.writeUInt32BE(ONFT_BUNDLE_ADD_MESSAGE, o + 12);
    buffer.writeUInt32BE(bundleId >>> 0, o + 16);
    buffer.writeUInt16BE(0, o + 20);
    buffer.writeUInt16BE(bundleFlags, o + 22);
    o += BUNDLE_ADD_HEAD;
  }
  putHeader(buffer, o, OfpType.FLOW_MOD, inner, xid);
  template.copy(buffer, o + HEADER);
  buffer.writeUInt16BE(priority, o + HEADER + 22);
  o += HEADER + FLOW_MOD_FIXED;
  putMatch(buffer, o, version, address, prefixLength, matchLength);
  o += matchLength;
  if (instructions.length > 0) buffer.set(instructions, o);
}

/**
 * A DELETE_STRICT for a flow known only by its dumped match bytes (a flow
 * with our cookie that does not have a route flow's shape): `template`
 * carries our cookie and owner mask, so only our flows can be hit.
 */
export function writeRawDelete(
  w: ByteWriter,
  xid: number,
  template: Buffer,
  tableId: number,
  priority: number,
  matchTlvs: Uint8Array,
  bundleId: number,
  bundleFlags: number,
): void {
  const matchLength = (4 + matchTlvs.length + 7) & ~7;
  const inner = HEADER + FLOW_MOD_FIXED + matchLength;
  const total = bundleId >= 0 ? BUNDLE_ADD_HEAD + inner : inner;
  const at = w.claim(total);
  const buffer = w.raw;
  let o = at;
  if (bundleId >= 0) {
    putHeader(buffer, o, OfpType.EXPERIMENTER, total, xid);
    buffer.writeUInt32BE(ONF_EXPERIMENTER_ID, o + 8);
    buffer.writeUInt32BE(ONFT_BUNDLE_ADD_MESSAGE, o + 12);
    buffer.writeUInt32BE(bundleId >>> 0, o + 16);
    buffer.writeUInt16BE(0, o + 20);
    buffer.writeUInt16BE(bundleFlags, o + 22);
    o += BUNDLE_ADD_HEAD;
  }
  putHeader(buffer, o, OfpType.FLOW_MOD, inner, xid);
  template.copy(buffer, o + HEADER);
  buffer[o + HEADER + 16] = tableId;
  buffer.writeUInt16BE(priority, o + HEADER + 22);
  o += HEADER + FLOW_MOD_FIXED;
  buffer.writeUInt16BE(1, o);
  buffer.writeUInt16BE(4 + matchTlvs.length, o + 2);
  buffer.set(matchTlvs, o + 4);
  buffer.fill(0, o + 4 + matchTlvs.length, o + matchLength);
}
