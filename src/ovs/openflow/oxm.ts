// OXM TLVs (OpenFlow 1.3 §7.2.3) and ofp_match: one descriptor per field
// this writer matches on or sets, unknown fields kept as raw bytes.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-------------------------------+-------------+-+---------------+
//  |           oxm_class           | oxm_field   |M|  oxm_length   |
//  +-------------------------------+-------------+-+---------------+
//  |  value (oxm_length bytes, followed by an equal-size mask if M) |
//
// ofp_match (§7.2.2): type=OFPMT_OXM (1), length (4 + TLVs, no padding),
// the TLVs, then zero padding to a multiple of 8.
import { formatIpv4, formatIpv6 } from '../../net/ip.js';
import { type ByteReader, ByteWriter, DecodeError } from './buffer.js';
import { ETH_TYPE_IPV4, ETH_TYPE_IPV6, NxmField, OxmBasicField, OxmClass } from './constants.js';

/** Fields whose value is a number (exact match only here). */
export type NumericOxmKind = 'inPort' | 'ethType' | 'ipProto';
/** Fields whose value is bytes, optionally masked. */
export type BytesOxmKind =
  | 'ethDst'
  | 'ethSrc'
  | 'ipv4Src'
  | 'ipv4Dst'
  | 'ipv6Src'
  | 'ipv6Dst'
  | 'tunIpv4Dst'
  | 'tunIpv6Dst';

export type OxmTlv =
  | { readonly kind: NumericOxmKind; readonly value: number }
  | { readonly kind: BytesOxmKind; readonly value: Uint8Array; readonly mask: Uint8Array | null }
  | {
      readonly kind: 'unknown';
      readonly oxmClass: number;
      readonly field: number;
      readonly hasMask: boolean;
      /** Everything after the 4-byte header (experimenter id included for class 0xffff). */
      readonly payload: Uint8Array;
    };

interface FieldDescriptor {
  readonly oxmClass: number;
  readonly field: number;
  /** Value length in bytes (without mask). */
  readonly length: number;
  /** Name in ovs-ofctl syntax. */
  readonly name: string;
  readonly format: 'number' | 'hex16' | 'mac' | 'ipv4' | 'ipv6';
}

const FIELDS: Readonly<Record<NumericOxmKind | BytesOxmKind, FieldDescriptor>> = {
  inPort: {
    oxmClass: OxmClass.OPENFLOW_BASIC,
    field: OxmBasicField.IN_PORT,
    length: 4,
    name: 'in_port',
    format: 'number',
  },
  ethType: {
    oxmClass: OxmClass.OPENFLOW_BASIC,
    field: OxmBasicField.ETH_TYPE,
    length: 2,
    name: 'eth_type',
    format: 'hex16',
  },
  ipProto: {
    oxmClass: OxmClass.OPENFLOW_BASIC,
    field: OxmBasicField.IP_PROTO,
    length: 1,
    name: 'nw_proto',
    format: 'number',
  },
  ethDst: {
    oxmClass: OxmClass.OPENFLOW_BASIC,
    field: OxmBasicField.ETH_DST,
    length: 6,
    name: 'eth_dst',
    format: 'mac',
  },
  ethSrc: {
    oxmClass: OxmClass.OPENFLOW_BASIC,
    field: OxmBasicField.ETH_SRC,
    length: 6,
    name: 'eth_src',
    format: 'mac',
  },
  ipv4Src: {
    oxmClass: OxmClass.OPENFLOW_BASIC,
    field: OxmBasicField.IPV4_SRC,
    length: 4,
    name: 'nw_src',
    format: 'ipv4',
  },
  ipv4Dst: {
    oxmClass: OxmClass.OPENFLOW_BASIC,
    field: OxmBasicField.IPV4_DST,
    length: 4,
    name: 'nw_dst',
    format: 'ipv4',
  },
  ipv6Src: {
    oxmClass: OxmClass.OPENFLOW_BASIC,
    field: OxmBasicField.IPV6_SRC,
    length: 16,
    name: 'ipv6_src',
    format: 'ipv6',
  },
  ipv6Dst: {
    oxmClass: OxmClass.OPENFLOW_BASIC,
    field: OxmBasicField.IPV6_DST,
    length: 16,
    name: 'ipv6_dst',
    format: 'ipv6',
  },
  tunIpv4Dst: {
    oxmClass: OxmClass.NXM_1,
    field: NxmField.TUN_IPV4_DST,
    length: 4,
    name: 'tun_dst',
    format: 'ipv4',
  },
  tunIpv6Dst: {
    oxmClass: OxmClass.NXM_1,
    field: NxmField.TUN_IPV6_DST,
    length: 16,
    name: 'tun_ipv6_dst',
    format: 'ipv6',
  },
};

const BY_CODE = new Map<number, NumericOxmKind | BytesOxmKind>();
for (const [kind, d] of Object.entries(FIELDS) as [NumericOxmKind | BytesOxmKind, FieldDescriptor][])
  BY_CODE.set(d.oxmClass * 128 + d.field, kind);

const NUMERIC: ReadonlySet<string> = new Set<NumericOxmKind>(['inPort', 'ethType', 'ipProto']);

export function isNumericKind(kind: string): kind is NumericOxmKind {
  return NUMERIC.has(kind);
}

/** Bytes one TLV takes on the wire (header included). */
export function oxmLength(tlv: OxmTlv): number {
  if (tlv.kind === 'unknown') return 4 + tlv.payload.length;
  const d = FIELDS[tlv.kind];
  return 4 + ('mask' in tlv && tlv.mask !== null ? 2 * d.length : d.length);
}

function writeNumber(w: ByteWriter, value: number, length: number): void {
  if (length === 1) w.u8(value);
  else if (length === 2) w.u16(value);
  else w.u32(value);
}

export function writeOxm(w: ByteWriter, tlv: OxmTlv): void {
  if (tlv.kind === 'unknown') {
    w.u16(tlv.oxmClass);
    w.u8((tlv.field << 1) | (tlv.hasMask ? 1 : 0));
    w.u8(tlv.payload.length);
    w.bytes(tlv.payload);
    return;
  }
  const d = FIELDS[tlv.kind];
  if (!('mask' in tlv)) {
    w.u16(d.oxmClass);
    w.u8(d.field << 1);
    w.u8(d.length);
    writeNumber(w, tlv.value, d.length);
    return;
  }
  const masked = tlv.mask !== null;
  w.u16(d.oxmClass);
  w.u8((d.field << 1) | (masked ? 1 : 0));
  w.u8(masked ? 2 * d.length : d.length);
  w.bytes(tlv.value);
  if (tlv.mask !== null) w.bytes(tlv.mask);
}

/** Reads one TLV; throws TruncatedError (caught by the message decoder) when short. */
export function readOxm(r: ByteReader): OxmTlv {
  const oxmClass = r.u16('oxm class');
  const fieldAndMask = r.u8('oxm field');
  const length = r.u8('oxm length');
  const field = fieldAndMask >>> 1;
  const hasMask = (fieldAndMask & 1) === 1;
  const payload = r.bytes(length, 'oxm value');
  const kind = BY_CODE.get(oxmClass * 128 + field);
  if (kind === undefined) return { kind: 'unknown', oxmClass, field, hasMask, payload };
  const d = FIELDS[kind];
  if (length !== (hasMask ? 2 * d.length : d.length))
    return { kind: 'unknown', oxmClass, field, hasMask, payload };
  if (isNumericKind(kind)) {
    if (hasMask) return { kind: 'unknown', oxmClass, field, hasMask, payload };
    const value =
      d.length === 1 ? (payload[0] ?? 0) : d.length === 2 ? payload.readUInt16BE(0) : payload.readUInt32BE(0);
    return { kind, value };
  }
  const value = Uint8Array.from(payload.subarray(0, d.length));
  const mask = hasMask ? Uint8Array.from(payload.subarray(d.length)) : null;
  return { kind, value, mask };
}

export interface Match {
  readonly fields: readonly OxmTlv[];
}

export const OFPMT_OXM = 1;

/** Match bytes on the wire, padding included. */
export function matchLength(match: Match): number {
  let length = 4;
  for (const tlv of match.fields) length += oxmLength(tlv);
  return (length + 7) & ~7;
}

export function writeMatch(w: ByteWriter, match: Match): void {
  const start = w.length;
  w.u16(OFPMT_OXM);
  w.u16(0); // patched below
  for (const tlv of match.fields) writeOxm(w, tlv);
  w.patchU16(start + 2, w.length - start);
  w.padTo8(start);
}

/** Reads an ofp_match including its padding. */
export function readMatch(r: ByteReader): Match {
  const type = r.u16('match type');
  const length = r.u16('match length');
  if (type !== OFPMT_OXM || length < 4) throw new MatchTypeError(type, length);
  const body = r.sub(length - 4, 'match fields');
  const fields: OxmTlv[] = [];
  while (body.remaining > 0) fields.push(readOxm(body));
  r.skip(((length + 7) & ~7) - length, 'match padding');
  return { fields };
}

export class MatchTypeError extends DecodeError {
  constructor(
    readonly matchType: number,
    readonly matchLength: number,
  ) {
    super(`unsupported ofp_match type ${matchType} length ${matchLength}`);
  }
}

// --- value helpers -------------------------------------------------------

export function macBytes(text: string): Uint8Array | null {
  const m =
    /^([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})$/.exec(
      text,
    );
  if (!m) return null;
  const bytes = new Uint8Array(6);
  for (let i = 0; i < 6; i++) bytes[i] = Number.parseInt(m[i + 1] ?? '0', 16);
  return bytes;
}

export function formatMac(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++)
    text += (i ? ':' : '') + (bytes[i] ?? 0).toString(16).padStart(2, '0');
  return text;
}

/** A netmask of `prefixLength` ones in `byteLength` bytes. */
export function prefixMask(prefixLength: number, byteLength: number): Uint8Array {
  const mask = new Uint8Array(byteLength);
  for (let i = 0; i < byteLength; i++) {
    const bits = Math.max(0, Math.min(8, prefixLength - i * 8));
    mask[i] = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return mask;
}

/** The prefix length of a contiguous mask, or null if the mask is not a prefix. */
export function maskPrefixLength(mask: Uint8Array): number | null {
  let length = 0;
  let ended = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one && ended) return null;
      if (one) length++;
      else ended = true;
    }
  }
  return length;
}

function formatAddress(format: FieldDescriptor['format'], bytes: Uint8Array): string {
  switch (format) {
    case 'mac':
      return formatMac(bytes);
    case 'ipv4':
      return formatIpv4(
        (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0,
      );
    case 'ipv6':
      return formatIpv6(bytes);
    case 'number':
    case 'hex16':
      return Buffer.from(bytes).toString('hex');
  }
}

/** The value as ovs-ofctl prints it: "10.0.0.0/24", "02:00:00:00:00:01", "0x800". */
export function formatOxmValue(tlv: OxmTlv): string {
  if (tlv.kind === 'unknown') return `0x${Buffer.from(tlv.payload).toString('hex')}`;
  const d = FIELDS[tlv.kind];
  if (!('mask' in tlv)) return d.format === 'hex16' ? `0x${tlv.value.toString(16)}` : String(tlv.value);
  const value = formatAddress(d.format, tlv.value);
  if (tlv.mask === null) return value;
  const length = d.format === 'mac' ? null : maskPrefixLength(tlv.mask);
  return length === null ? `${value}/${formatAddress(d.format, tlv.mask)}` : `${value}/${length}`;
}

export function oxmName(tlv: OxmTlv): string {
  return tlv.kind === 'unknown' ? `oxm(0x${tlv.oxmClass.toString(16)}:${tlv.field})` : FIELDS[tlv.kind].name;
}

/** ovs-ofctl style: "ip,nw_dst=10.233.2.0/24"; eth_type 0x0800/0x86dd print as ip/ipv6. */
export function formatMatch(match: Match): string {
  const parts: string[] = [];
  for (const tlv of match.fields) {
    if (tlv.kind === 'ethType' && tlv.value === ETH_TYPE_IPV4) parts.push('ip');
    else if (tlv.kind === 'ethType' && tlv.value === ETH_TYPE_IPV6) parts.push('ipv6');
    else parts.push(`${oxmName(tlv)}=${formatOxmValue(tlv)}`);
  }
  return parts.join(',');
}

/** Measures a throwaway encoding: used by tests to check oxmLength against writeOxm. */
export function encodeOxm(tlv: OxmTlv): Buffer {
  const w = new ByteWriter(32);
  writeOxm(w, tlv);
  return w.toBuffer();
}
