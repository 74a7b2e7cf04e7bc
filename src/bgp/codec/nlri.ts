// NLRI: lists of IP prefixes (RFC 4271 §4.3, RFC 4760 §5 for IPv6, RFC 7911
// §3 for ADD-PATH path identifiers).
//
//   +---------------------------+
//   |   Path Identifier (4)     |  only when ADD-PATH is negotiated
//   +---------------------------+
//   |   Length (1 octet)        |  prefix length in bits
//   +---------------------------+
//   |   Prefix (variable)       |  ceil(length / 8) octets
//   +---------------------------+
//
// A list is held columnar (one typed array per field) instead of one object
// per prefix: an UPDATE can carry hundreds of prefixes and a full table holds
// a million, so the decoder allocates four arrays per list, not N objects.

import { formatIpv4, formatIpv6, parseIpv4, parseIpv6, wordsToIpv6 } from '../../net/ip.js';
import { Afi } from './iana.js';
import type { BufferWriter } from './writer.js';

export type PrefixAfi = typeof Afi.ipv4 | typeof Afi.ipv6;

export interface Prefixes {
  readonly afi: PrefixAfi;
  readonly count: number;
  /** Prefix length in bits, one per prefix. */
  readonly lengths: Uint8Array;
  /** Network-order address words, host bits zero: 1 per prefix for IPv4, 4 for IPv6. */
  readonly words: Uint32Array;
  /** RFC 7911 path identifiers, one per prefix; null when ADD-PATH is not in use. */
  readonly pathIds: Uint32Array | null;
}

export function wordsPerPrefix(afi: PrefixAfi): 1 | 4 {
  return afi === Afi.ipv4 ? 1 : 4;
}

export function maxPrefixLength(afi: PrefixAfi): 32 | 128 {
  return afi === Afi.ipv4 ? 32 : 128;
}

const emptyIpv4: Prefixes = Object.freeze({
  afi: Afi.ipv4,
  count: 0,
  lengths: new Uint8Array(0),
  words: new Uint32Array(0),
  pathIds: null,
});
const emptyIpv6: Prefixes = Object.freeze({ ...emptyIpv4, afi: Afi.ipv6 });

export function emptyPrefixes(afi: PrefixAfi): Prefixes {
  return afi === Afi.ipv4 ? emptyIpv4 : emptyIpv6;
}

/** A mask of the top `length` bits of a 32-bit word (0..32). */
function topBits(length: number): number {
  return length <= 0 ? 0 : length >= 32 ? 0xffffffff : (0xffffffff << (32 - length)) >>> 0;
}

/**
 * Decodes the prefixes in `bytes[start, end)`. Returns the list, or a reason
 * string when a length byte exceeds the family's maximum or a prefix runs past
 * `end` (the caller turns it into the NOTIFICATION its field deserves).
 * Host bits beyond the prefix length are cleared (RFC 4271 §4.3: "trailing
 * bits ... are irrelevant"), so equal prefixes always get equal keys.
 */
export function decodePrefixes(
  bytes: Uint8Array,
  start: number,
  end: number,
  afi: PrefixAfi,
  addPath: boolean,
): Prefixes | string {
  if (start === end) return emptyPrefixes(afi);
  const maxLength = maxPrefixLength(afi);
  const idBytes = addPath ? 4 : 0;
  // Pass 1: count and validate, so the arrays are allocated once, at the exact size.
  let count = 0;
  let position = start;
  while (position < end) {
    if (position + idBytes >= end) {
      return `prefix ${count + 1} truncated: ${end - position} octet(s) left, need ${idBytes + 1}`;
    }
    const length = bytes[position + idBytes] as number;
    if (length > maxLength) return `prefix ${count + 1} has length ${length} > ${maxLength}`;
    position += idBytes + 1 + ((length + 7) >> 3);
    count++;
  }
  if (position !== end) return `prefix ${count} runs ${position - end} octet(s) past the end of its field`;

  const lengths = new Uint8Array(count);
  const pathIds = addPath ? new Uint32Array(count) : null;
  position = start;
  if (afi === Afi.ipv4) {
    const words = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      if (pathIds !== null) {
        pathIds[i] =
          (((bytes[position] as number) << 24) |
            ((bytes[position + 1] as number) << 16) |
            ((bytes[position + 2] as number) << 8) |
            (bytes[position + 3] as number)) >>>
          0;
        position += 4;
      }
      const length = bytes[position++] as number;
      const octets = (length + 7) >> 3;
      let word = 0;
      for (let k = 0; k < octets; k++) word |= (bytes[position + k] as number) << (24 - 8 * k);
      position += octets;
      lengths[i] = length;
      words[i] = (word & topBits(length)) >>> 0;
    }
    return { afi, count, lengths, words, pathIds };
  }
  const words = new Uint32Array(count * 4);
  for (let i = 0; i < count; i++) {
    if (pathIds !== null) {
      pathIds[i] =
        (((bytes[position] as number) << 24) |
          ((bytes[position + 1] as number) << 16) |
          ((bytes[position + 2] as number) << 8) |
          (bytes[position + 3] as number)) >>>
        0;
      position += 4;
    }
    const length = bytes[position++] as number;
    const octets = (length + 7) >> 3;
    const base = i * 4;
    for (let k = 0; k < octets; k++) {
      const wordIndex = base + (k >> 2);
      words[wordIndex] =
        ((words[wordIndex] as number) | ((bytes[position + k] as number) << (24 - 8 * (k & 3)))) >>> 0;
    }
    position += octets;
    lengths[i] = length;
    for (let w = 0; w < 4; w++) {
      const bitsInWord = length - w * 32;
      words[base + w] = ((words[base + w] as number) & topBits(bitsInWord)) >>> 0;
    }
  }
  return { afi, count, lengths, words, pathIds };
}

/** Octets one prefix of `lengthBits` takes in NLRI (RFC 4271 §4.3; RFC 7911 §3 adds a path identifier). */
export function prefixOctets(lengthBits: number, withPathId: boolean): number {
  return (withPathId ? 4 : 0) + 1 + ((lengthBits + 7) >> 3);
}

/** Octets prefix `index` takes on the wire. */
export function encodedPrefixLength(prefixes: Prefixes, index: number): number {
  return prefixOctets(prefixes.lengths[index] as number, prefixes.pathIds !== null);
}

/** Writes prefixes `[from, to)`; path identifiers only when `withPathIds`. */
export function encodePrefixes(
  writer: BufferWriter,
  prefixes: Prefixes,
  from = 0,
  to = prefixes.count,
  withPathIds = prefixes.pathIds !== null,
): void {
  const perPrefix = wordsPerPrefix(prefixes.afi);
  const lengths = prefixes.lengths;
  const words = prefixes.words;
  let size = 0;
  for (let i = from; i < to; i++) size += prefixOctets(lengths[i] as number, withPathIds);
  let at = writer.reserve(size);
  const out = writer.raw;
  for (let i = from; i < to; i++) {
    if (withPathIds) {
      const id = prefixes.pathIds?.[i] ?? 0;
      out[at] = id >>> 24;
      out[at + 1] = (id >>> 16) & 0xff;
      out[at + 2] = (id >>> 8) & 0xff;
      out[at + 3] = id & 0xff;
      at += 4;
    }
    const length = lengths[i] as number;
    out[at++] = length;
    const octets = (length + 7) >> 3;
    const base = i * perPrefix;
    for (let k = 0; k < octets; k++) {
      const word = words[base + (k >> 2)] as number;
      out[at++] = (word >>> (24 - 8 * (k & 3))) & 0xff;
    }
  }
}

/** "10.233.1.0/24" or "fd00:233:1::/64". */
export function prefixToString(prefixes: Prefixes, index: number): string {
  const length = prefixes.lengths[index] as number;
  if (prefixes.afi === Afi.ipv4) return `${formatIpv4(prefixes.words[index] as number)}/${length}`;
  const w = prefixes.words;
  const base = index * 4;
  const address = wordsToIpv6(
    w[base] as number,
    w[base + 1] as number,
    w[base + 2] as number,
    w[base + 3] as number,
  );
  return `${formatIpv6(address)}/${length}`;
}

export function prefixesToStrings(prefixes: Prefixes): string[] {
  const texts = new Array<string>(prefixes.count);
  for (let i = 0; i < prefixes.count; i++) texts[i] = prefixToString(prefixes, i);
  return texts;
}

export interface ParsedPrefix {
  readonly afi: PrefixAfi;
  readonly length: number;
  /** 1 word for IPv4, 4 for IPv6, host bits cleared. */
  readonly words: readonly number[];
  /** True when the text had bits set beyond the prefix length ("10.0.0.1/8"). */
  readonly hadHostBits: boolean;
}

/** Parses "A.B.C.D/N" or "X:X::X/N"; null when not a prefix. */
export function parsePrefix(text: string): ParsedPrefix | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const addressText = text.slice(0, slash);
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) return null;
  const length = Number(lengthText);
  const v4 = parseIpv4(addressText);
  if (v4 !== null) {
    if (length > 32) return null;
    const masked = (v4 & topBits(length)) >>> 0;
    return { afi: Afi.ipv4, length, words: [masked], hadHostBits: masked !== v4 };
  }
  const v6 = parseIpv6(addressText);
  if (v6 === null || length > 128) return null;
  const words: number[] = [];
  let hadHostBits = false;
  for (let w = 0; w < 4; w++) {
    const raw =
      (((v6[w * 4] as number) << 24) |
        ((v6[w * 4 + 1] as number) << 16) |
        ((v6[w * 4 + 2] as number) << 8) |
        (v6[w * 4 + 3] as number)) >>>
      0;
    const masked = (raw & topBits(length - w * 32)) >>> 0;
    if (masked !== raw) hadHostBits = true;
    words.push(masked);
  }
  return { afi: Afi.ipv6, length, words, hadHostBits };
}

/** The prefix as text, host bits cleared ("10.1.0.0/24", "fd00:233:1::/64"). */
export function parsedPrefixText(parsed: ParsedPrefix): string {
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0] = parsed.words;
  const address = parsed.afi === Afi.ipv4 ? formatIpv4(w0) : formatIpv6(wordsToIpv6(w0, w1, w2, w3));
  return `${address}/${parsed.length}`;
}

/**
 * The one rule for prefixes an operator writes (config, agentctl, the API):
 * host bits are refused, naming the prefix meant, as FRR and BIRD do, so what
 * is shown, stored and later deleted is the same text. Returns that prefix
 * ("10.1.0.1/24" -> "10.1.0.0/24") when the text has host bits, else null
 * (also when it is no prefix at all: the caller has another message for that).
 */
export function maskedIfHostBits(text: string): string | null {
  const parsed = parsePrefix(text);
  return parsed === null || !parsed.hadHostBits ? null : parsedPrefixText(parsed);
}

/**
 * Builds a list from text ("10.0.0.0/8"); every entry must be of `afi`.
 * Throws on bad text: this is for tests, config and CLI input already
 * validated, not for wire data.
 */
export function prefixesFromStrings(
  afi: PrefixAfi,
  texts: readonly string[],
  pathIds?: readonly number[],
): Prefixes {
  const perPrefix = wordsPerPrefix(afi);
  const lengths = new Uint8Array(texts.length);
  const words = new Uint32Array(texts.length * perPrefix);
  texts.forEach((text, i) => {
    const parsed = parsePrefix(text);
    if (parsed === null || parsed.afi !== afi) throw new Error(`not an AFI ${afi} prefix: ${text}`);
    lengths[i] = parsed.length;
    words.set(parsed.words, i * perPrefix);
  });
  return {
    afi,
    count: texts.length,
    lengths,
    words,
    pathIds: pathIds === undefined ? null : Uint32Array.from(pathIds),
  };
}

/** Prefixes `[from, to)` of a list, sharing nothing mutable with it. */
export function slicePrefixes(prefixes: Prefixes, from: number, to: number): Prefixes {
  const perPrefix = wordsPerPrefix(prefixes.afi);
  return {
    afi: prefixes.afi,
    count: to - from,
    lengths: prefixes.lengths.slice(from, to),
    words: prefixes.words.slice(from * perPrefix, to * perPrefix),
    pathIds: prefixes.pathIds === null ? null : prefixes.pathIds.slice(from, to),
  };
}

/** Appends several lists of one family into one. */
export function concatPrefixes(afi: PrefixAfi, lists: readonly Prefixes[]): Prefixes {
  const nonEmpty = lists.filter((list) => list.count > 0);
  if (nonEmpty.length === 0) return emptyPrefixes(afi);
  if (nonEmpty.length === 1) return nonEmpty[0] as Prefixes;
  const perPrefix = wordsPerPrefix(afi);
  const count = nonEmpty.reduce((sum, list) => sum + list.count, 0);
  const withIds = nonEmpty.some((list) => list.pathIds !== null);
  const lengths = new Uint8Array(count);
  const words = new Uint32Array(count * perPrefix);
  const pathIds = withIds ? new Uint32Array(count) : null;
  let at = 0;
  for (const list of nonEmpty) {
    lengths.set(list.lengths, at);
    words.set(list.words, at * perPrefix);
    if (pathIds !== null && list.pathIds !== null) pathIds.set(list.pathIds, at);
    at += list.count;
  }
  return { afi, count, lengths, words, pathIds };
}
