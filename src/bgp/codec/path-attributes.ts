// The path attribute section of an UPDATE (RFC 4271 §4.3): a sequence of
//
//   +-----------------+-----------------+----------------------------+--------+
//   | Attr. Flags (1) | Attr. Type (1)  | Length (1, or 2 if E bit)  | Value  |
//   +-----------------+-----------------+----------------------------+--------+
//
// The walk applies RFC 7606: it keeps going after a malformed attribute and
// records every error with its action; the caller acts on the strongest.

import { AttributeFault } from './attribute-fault.js';
import { emptyAttributes, type PathAttributes, type UnknownAttribute } from './attribute-types.js';
import { type AttributeDescriptor, attributeDescriptors, encodeOrder } from './attributes.js';
import type { CodecContext } from './context.js';
import { type BgpError, bgpError, type ErrorAction } from './errors.js';
import { AttributeFlag, AttributeType, attributeTypeName, ErrorCode, UpdateSubcode } from './iana.js';
import type { BufferWriter } from './writer.js';

export interface AttributeSection {
  readonly attributes: PathAttributes;
  /** Everything wrong with the section, in wire order; may include a 'session-reset'. */
  readonly errors: readonly BgpError[];
  /**
   * 1 at each type code that appeared, well-formed or not (RFC 7606 §3.d
   * "present"). One array serves every walk: read it before the next one.
   */
  readonly present: Uint8Array;
  /**
   * The section as received without MP_REACH_NLRI and MP_UNREACH_NLRI.
   * Decoding is a function of the bytes and the context's asn4 and
   * peerType, so two sections with equal keys under equal contexts decode to
   * equal attributes: a receiver interns by this key without encoding the
   * attributes again. It starts with a two-octet ASCII tag of those two
   * context fields, so keys from different contexts never compare equal.
   * Empty after a session-reset error.
   */
  readonly wireKey: Uint8Array;
}

/** The context tags, as two ASCII octets: `4i` (4-octet AS, internal), `2e`, `4u`, ... */
const asn4Tags = { ibgp: 0x3469, ebgp: 0x3465, unknown: 0x3475 } as const;
const asn2Tags = { ibgp: 0x3269, ebgp: 0x3265, unknown: 0x3275 } as const;

const NO_KEY = new Uint8Array(0);

/**
 * The type codes a walk has met. Shared by all walks: a fresh 256-octet
 * array per UPDATE was an ArrayBuffer to allocate, and for the scavenger to
 * sweep, some 250,000 times for an Internet table.
 */
const seen = new Uint8Array(256);

/**
 * The (type code, flags) pairs of the walk under way, copied out at its
 * end; shared for the same reason. Every attribute takes at least three
 * octets, so a section of the largest message (65,535 octets, RFC 8654)
 * has fewer than 2 × 21,845 entries.
 */
const layoutScratch = new Uint8Array(2 * 21_845);

const NO_SPANS: readonly number[] = [];

/**
 * The context's tag and then `bytes[start, end)` minus the spans in `skip`
 * (pairs, in order). A copy, so the message's buffer is not kept with it,
 * from Node's pool: a receiver copies what it keeps.
 */
function wireKeyOf(
  bytes: Uint8Array,
  start: number,
  end: number,
  skip: readonly number[],
  context: CodecContext,
): Uint8Array {
  const tag = (context.asn4 ? asn4Tags : asn2Tags)[context.peerType];
  let length = 2 + end - start;
  for (let i = 0; i < skip.length; i += 2) length -= (skip[i + 1] as number) - (skip[i] as number);
  const key = Buffer.allocUnsafe(length);
  key[0] = tag >>> 8;
  key[1] = tag & 0xff;
  let at = 2;
  let from = start;
  for (let i = 0; i < skip.length; i += 2) {
    const to = skip[i] as number;
    key.set(bytes.subarray(from, to), at);
    at += to - from;
    from = skip[i + 1] as number;
  }
  key.set(bytes.subarray(from, end), at);
  return key;
}

const OPTIONAL_AND_TRANSITIVE = AttributeFlag.optional | AttributeFlag.transitive;

function updateError(subcode: number, action: ErrorAction, reason: string, data?: Uint8Array): BgpError {
  return bgpError(ErrorCode.updateMessage, subcode, reason, data, action);
}

/** Decodes the attributes in `bytes[start, end)`. Never throws, never reads past `end`. */
export function decodePathAttributes(
  bytes: Uint8Array,
  start: number,
  end: number,
  context: CodecContext,
): AttributeSection {
  const attributes = emptyAttributes();
  const errors: BgpError[] = [];
  seen.fill(0);
  let layoutLength = 0;
  // MP_REACH/MP_UNREACH spans, left out of the wire key: they carry NLRI.
  let mpSpans: number[] | null = null;
  let unknown: UnknownAttribute[] | undefined;
  let at = start;
  while (at < end) {
    const flags = bytes[at] as number;
    const extended = (flags & AttributeFlag.extendedLength) !== 0;
    const headerLength = extended ? 4 : 3;
    if (end - at < headerLength) {
      // RFC 7606 §4, second case: data left, but too little for an attribute header.
      errors.push(
        updateError(
          UpdateSubcode.malformedAttributeList,
          'treat-as-withdraw',
          `${end - at} octet(s) left in the path attributes, too few for an attribute header`,
        ),
      );
      break;
    }
    const code = bytes[at + 1] as number;
    const length = extended
      ? ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number)
      : (bytes[at + 2] as number);
    const valueAt = at + headerLength;
    const valueEnd = valueAt + length;
    const name = attributeTypeName(code);
    if (valueEnd > end) {
      // RFC 7606 §4, first case: the attribute overruns Total Path Attribute Length.
      errors.push(
        updateError(
          UpdateSubcode.attributeLengthError,
          'treat-as-withdraw',
          `${name} length ${length} overruns the path attributes by ${valueEnd - end} octet(s)`,
          bytes.slice(at, end),
        ),
      );
      break;
    }
    if (seen[code] === 1) {
      // RFC 7606 §3.g: a repeated MP_REACH/MP_UNREACH resets the session; any
      // other repeated attribute is dropped and the first occurrence kept.
      if (code === AttributeType.mpReachNlri || code === AttributeType.mpUnreachNlri) {
        errors.push(
          updateError(UpdateSubcode.malformedAttributeList, 'session-reset', `${name} appears twice`),
        );
        return { attributes, errors, present: seen, wireKey: NO_KEY };
      }
      errors.push(
        updateError(
          UpdateSubcode.malformedAttributeList,
          'attribute-discard',
          `${name} appears more than once: later occurrences discarded`,
        ),
      );
      at = valueEnd;
      continue;
    }
    seen[code] = 1;
    if (code === AttributeType.mpReachNlri || code === AttributeType.mpUnreachNlri) {
      if (mpSpans === null) mpSpans = [];
      mpSpans.push(at, valueEnd);
    }
    const descriptor = attributeDescriptors[code];
    if (descriptor === undefined) {
      if ((flags & AttributeFlag.optional) === 0) {
        // RFC 4271 §6.3: an unrecognized well-known attribute.
        errors.push(
          updateError(
            UpdateSubcode.unrecognizedWellKnownAttribute,
            'session-reset',
            `unrecognized well-known attribute ${code}`,
            bytes.slice(at, valueEnd),
          ),
        );
        return { attributes, errors, present: seen, wireKey: NO_KEY };
      }
      // RFC 4271 §5: unrecognized optional attributes are kept (and passed on
      // only if transitive, with Partial set: see forPropagation()).
      unknown ??= [];
      unknown.push({ code, flags, data: bytes.slice(valueAt, valueEnd) });
      layoutScratch[layoutLength++] = code;
      layoutScratch[layoutLength++] = flags;
      at = valueEnd;
      continue;
    }
    if ((flags & OPTIONAL_AND_TRANSITIVE) !== descriptor.flags) {
      // RFC 7606 §3.c: only the Optional and Transitive bits are checked (the
      // Partial bit is ignored); a conflict means treat-as-withdraw unless the
      // attribute's specification says otherwise.
      const action = descriptor.flagsErrorAction ?? 'treat-as-withdraw';
      errors.push(
        updateError(
          UpdateSubcode.attributeFlagsError,
          action,
          `${name} flags 0x${flags.toString(16).padStart(2, '0')} conflict with its type (expected optional=${(descriptor.flags & AttributeFlag.optional) !== 0}, transitive=${(descriptor.flags & AttributeFlag.transitive) !== 0})`,
          bytes.slice(at, valueEnd),
        ),
      );
      if (action === 'session-reset') return { attributes, errors, present: seen, wireKey: NO_KEY };
      at = valueEnd;
      continue;
    }
    const value = descriptor.decode(bytes, valueAt, valueEnd, context);
    if (value instanceof AttributeFault) {
      const action = value.action ?? descriptor.malformedAction(context);
      errors.push(updateError(value.subcode, action, value.reason, bytes.slice(at, valueEnd)));
      if (action === 'session-reset') return { attributes, errors, present: seen, wireKey: NO_KEY };
      at = valueEnd;
      continue;
    }
    if (context.peerType === 'ebgp' && isInternalOnly(code)) {
      // RFC 7606 §7.5, §7.9, §7.10: LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST
      // from an external neighbor are discarded.
      errors.push(updateError(0, 'attribute-discard', `${name} from an external neighbor is discarded`));
      at = valueEnd;
      continue;
    }
    (attributes as Record<string, unknown>)[descriptor.key] = value;
    layoutScratch[layoutLength++] = code;
    layoutScratch[layoutLength++] = flags;
    at = valueEnd;
  }
  attributes.unknown = unknown;
  attributes.layout = layoutLength > 0 ? layoutScratch.slice(0, layoutLength) : undefined;
  return {
    attributes,
    errors,
    present: seen,
    wireKey: wireKeyOf(bytes, start, end, mpSpans ?? NO_SPANS, context),
  };
}

function isInternalOnly(code: number): boolean {
  return (
    code === AttributeType.localPref ||
    code === AttributeType.originatorId ||
    code === AttributeType.clusterList
  );
}

/**
 * Starts an attribute: flags with the E bit, type, a 2-octet length to patch.
 * Returns where its value starts, for endAttribute().
 */
function beginAttribute(writer: BufferWriter, flags: number, code: number): number {
  writer
    .u8(flags | AttributeFlag.extendedLength)
    .u8(code)
    .u16(0);
  return writer.length;
}

/**
 * Ends an attribute: patches its length. The length field stays two octets
 * when the value exceeds 255 octets or `extended` asks for it; otherwise the
 * E bit is cleared and the value moves one octet back. Returns the value's
 * length, which the caller checks against the 2-octet field (RFC 4271 §4.3).
 */
function endAttribute(writer: BufferWriter, valueAt: number, extended: boolean): number {
  const length = writer.length - valueAt;
  if (extended || length > 255) {
    writer.patchU16(valueAt - 2, Math.min(length, MAX_ATTRIBUTE_VALUE_OCTETS));
    return length;
  }
  const flagsAt = valueAt - 4;
  writer.patchU8(flagsAt, (writer.peek()[flagsAt] as number) & ~AttributeFlag.extendedLength);
  writer.patchU8(valueAt - 2, length);
  writer.shiftLeft(valueAt, 1);
  return length;
}

/** Returns the value's length in octets. */
function writeKnown(
  writer: BufferWriter,
  descriptor: AttributeDescriptor,
  value: unknown,
  flags: number,
  context: CodecContext,
): number {
  const valueAt = beginAttribute(writer, flags, descriptor.code);
  descriptor.encode(writer, value as never, context);
  return endAttribute(writer, valueAt, (flags & AttributeFlag.extendedLength) !== 0);
}

/** Returns the value's length in octets. */
function writeUnknown(writer: BufferWriter, attribute: UnknownAttribute): number {
  const valueAt = beginAttribute(writer, attribute.flags, attribute.code);
  writer.bytes(attribute.data);
  return endAttribute(writer, valueAt, (attribute.flags & AttributeFlag.extendedLength) !== 0);
}

/** RFC 4271 §4.3: an attribute's length field is at most two octets. */
export const MAX_ATTRIBUTE_VALUE_OCTETS = 0xffff;

/**
 * An attribute whose value does not fit its 2-octet length field: a set
 * grown here (a prepended AS_PATH, a longer CLUSTER_LIST) from one received
 * at the limit. The bytes written for it are not a valid encoding.
 */
export interface AttributeOverflow {
  readonly code: number;
  readonly octets: number;
}

const writtenScratch = new Uint8Array(256);

function firstOverflow(
  previous: AttributeOverflow | null,
  code: number,
  octets: number,
): AttributeOverflow | null {
  return previous !== null || octets <= MAX_ATTRIBUTE_VALUE_OCTETS ? previous : { code, octets };
}

export interface EncodeAttributesOptions {
  /** Leave MP_REACH_NLRI out (the packer writes its own with a slice of the prefixes). */
  readonly skipMpReach?: boolean;
}

/**
 * Writes the attributes: in their received layout when they have one (so
 * decoded messages re-encode byte for byte), otherwise MP_* first (RFC 7606
 * §5.1) and then by type code, unknown attributes last. Returns the first
 * attribute too long for its length field, or null (the caller decides: a
 * packer refuses the set for that peer, a tool throws).
 */
export function encodePathAttributes(
  writer: BufferWriter,
  attributes: PathAttributes,
  context: CodecContext,
  options: EncodeAttributesOptions = {},
): AttributeOverflow | null {
  let overflow: AttributeOverflow | null = null;
  const record = attributes as Readonly<Record<string, unknown>>;
  // Codes written so far: scratch reused across calls (encoding is synchronous).
  const written = writtenScratch.fill(0);
  const layout = attributes.layout;
  if (layout !== undefined) {
    for (let i = 0; i + 1 < layout.length; i += 2) {
      const code = layout[i] as number;
      const flags = layout[i + 1] as number;
      if (written[code] === 1) continue;
      if (options.skipMpReach === true && code === AttributeType.mpReachNlri) continue;
      const descriptor = attributeDescriptors[code];
      if (descriptor !== undefined) {
        const value = record[descriptor.key];
        if (value === undefined || value === false) continue;
        overflow = firstOverflow(overflow, code, writeKnown(writer, descriptor, value, flags, context));
        written[code] = 1;
        continue;
      }
      const attribute = attributes.unknown?.find((candidate) => candidate.code === code);
      if (attribute !== undefined) {
        overflow = firstOverflow(overflow, code, writeUnknown(writer, attribute));
        written[code] = 1;
      }
    }
  }
  for (const descriptor of encodeOrder) {
    if (written[descriptor.code] === 1) continue;
    if (options.skipMpReach === true && descriptor.code === AttributeType.mpReachNlri) continue;
    const value = record[descriptor.key];
    if (value === undefined || value === false) continue;
    overflow = firstOverflow(
      overflow,
      descriptor.code,
      writeKnown(writer, descriptor, value, descriptor.flags, context),
    );
  }
  for (const attribute of attributes.unknown ?? []) {
    if (written[attribute.code] === 1) continue;
    overflow = firstOverflow(overflow, attribute.code, writeUnknown(writer, attribute));
  }
  return overflow;
}

/**
 * RFC 4271 §5 / §9.1.4: the attributes as they are passed on to another
 * peer: unrecognized optional non-transitive attributes are dropped,
 * unrecognized optional transitive ones keep going with the Partial bit set,
 * and the received wire layout is forgotten (the message is a new one).
 */
export function forPropagation(attributes: PathAttributes): PathAttributes {
  const unknown = attributes.unknown
    ?.filter((attribute) => (attribute.flags & AttributeFlag.transitive) !== 0)
    .map((attribute) => ({ ...attribute, flags: attribute.flags | AttributeFlag.partial }));
  return {
    ...attributes,
    unknown: unknown !== undefined && unknown.length > 0 ? unknown : undefined,
    layout: undefined,
  };
}
