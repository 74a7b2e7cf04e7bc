// The benchmark feeds, built in memory and encoded with the project's codec
// before the injector connects, so the session sees nothing but UPDATEs
// written as fast as the socket takes them.
//
//   a   1,000,000 IPv4 /24s, 16 attribute sets (distinct LOCAL_PREF, MED,
//       communities), packed 4096 octets per UPDATE, the sets' UPDATEs
//       interleaved.
//   b   1,000,000 IPv4 prefixes /16../24 (Internet-like length mix, never
//       overlapping), 250,000 attribute sets (distinct AS paths of 3-6 hops,
//       some communities), 1-7 prefixes (4 on average) per set.
//   v6  200,000 IPv6 /48s, 16 attribute sets, in MP_REACH_NLRI.
//
// Deterministic: the same case and size always give the same bytes.

import {
  type AsPathSegment,
  codecContext,
  decodeMessage,
  encodeMessage,
  endOfRib,
  expectPacked,
  type PathAttributes,
  type Prefixes,
  packAnnouncements,
  prefixToString,
} from '../../src/bgp/codec/index.js';

export type CaseName = 'a' | 'b' | 'v6';
export const CASE_NAMES: readonly CaseName[] = ['a', 'b', 'v6'];

export const DEFAULT_PREFIXES: Readonly<Record<CaseName, number>> = {
  a: 1_000_000,
  b: 1_000_000,
  v6: 200_000,
};

export const CASE_FAMILY: Readonly<Record<CaseName, 'ipv4-unicast' | 'ipv6-unicast'>> = {
  a: 'ipv4-unicast',
  b: 'ipv4-unicast',
  v6: 'ipv6-unicast',
};

export interface FeedOptions {
  readonly name: CaseName;
  /** How many prefixes (default DEFAULT_PREFIXES[name]). */
  readonly prefixes?: number;
  /** IPv4 NEXT_HOP (the injector's address on the link). */
  readonly nextHop: string;
  /** IPv6 next hop for MP_REACH_NLRI (a global address of the injector on the link). */
  readonly nextHop6: string;
}

export interface Feed {
  readonly name: CaseName;
  readonly family: 'ipv4-unicast' | 'ipv6-unicast';
  readonly prefixes: number;
  readonly attributeSets: number;
  readonly messages: number;
  readonly bytes: number;
  /** Whole UPDATE messages back to back, cut into ~`CHUNK` octet pieces on message boundaries. */
  readonly chunks: readonly Uint8Array[];
  /** End-of-RIB for IPv4 and IPv6 unicast, back to back. */
  readonly endOfRib: Uint8Array;
  /** The last prefix the feed announces (in the last UPDATE), e.g. '31.66.131.0/24'. */
  readonly lastPrefix: string;
}

/** Target size of one socket write. */
export const CHUNK = 256 * 1024;

const context = codecContext({ peerType: 'ibgp' });

/** mulberry32: a small seeded PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function community(asn: number, value: number): number {
  return ((asn & 0xffff) * 0x10000 + (value & 0xffff)) >>> 0;
}

/** Splits a buffer of whole messages into the messages (views). */
function splitMessages(bytes: Uint8Array): Uint8Array[] {
  const messages: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const length = ((bytes[at + 16] as number) << 8) | (bytes[at + 17] as number);
    messages.push(bytes.subarray(at, at + length));
    at += length;
  }
  return messages;
}

/** Concatenates pieces (each whole messages) into chunks of about `size` octets. */
function chunkPieces(pieces: readonly Uint8Array[], size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pendingBytes === 0) return;
    const chunk = new Uint8Array(pendingBytes);
    let at = 0;
    for (const piece of pending) {
      chunk.set(piece, at);
      at += piece.length;
    }
    chunks.push(chunk);
    pending = [];
    pendingBytes = 0;
  };
  for (const piece of pieces) {
    if (pendingBytes > 0 && pendingBytes + piece.length > size) flush();
    pending.push(piece);
    pendingBytes += piece.length;
  }
  flush();
  return chunks;
}

function columns(afi: 1 | 2, count: number): { lengths: Uint8Array; words: Uint32Array } {
  return { lengths: new Uint8Array(count), words: new Uint32Array(count * (afi === 1 ? 1 : 4)) };
}

/** Every `stride`-th prefix of a list starting at `offset`. */
function strided(list: Prefixes, offset: number, stride: number): Prefixes {
  const per = list.afi === 1 ? 1 : 4;
  const count = Math.max(0, Math.ceil((list.count - offset) / stride));
  const { lengths, words } = columns(list.afi, count);
  for (let i = 0, j = offset; i < count; i++, j += stride) {
    lengths[i] = list.lengths[j] as number;
    for (let w = 0; w < per; w++) words[i * per + w] = list.words[j * per + w] as number;
  }
  return { afi: list.afi, count, lengths, words, pathIds: null };
}

/** 16 attribute sets that differ in LOCAL_PREF, MED and communities. */
export function sixteenSets(nextHop: string | undefined): PathAttributes[] {
  return Array.from({ length: 16 }, (_, k) => ({
    origin: 0,
    asPath: [{ type: 2, asns: [65010, 65100 + k] }],
    nextHop,
    localPref: 100 + k,
    med: 10 * k,
    communities: [community(65010, k), community(65010, 1000 + k), community(65100 + k, 1)],
  }));
}

/**
 * `sets` attribute sets, prefixes dealt round-robin (prefix i to set i % sets),
 * each set packed on its own; the sets' UPDATEs are then interleaved, as a
 * peer walking its table in prefix order would send them.
 */
function packSixteen(all: Prefixes, sets: readonly PathAttributes[], mpNextHops: readonly string[]) {
  const perSet = sets.map((attributes, k) =>
    splitMessages(
      expectPacked(packAnnouncements(strided(all, k, sets.length), attributes, context, mpNextHops)).bytes,
    ),
  );
  const interleaved: Uint8Array[] = [];
  const longest = Math.max(...perSet.map((m) => m.length));
  for (let i = 0; i < longest; i++) {
    for (const messages of perSet) {
      const message = messages[i];
      if (message !== undefined) interleaved.push(message);
    }
  }
  return interleaved;
}

/** Case a: /24s from 16.0.0.0 up (1,048,576 fit below 32.0.0.0). */
function caseA(count: number, nextHop: string): { pieces: Uint8Array[]; sets: number } {
  if (count > 1 << 20) throw new Error('case a holds at most 1,048,576 prefixes');
  const { lengths, words } = columns(1, count);
  for (let i = 0; i < count; i++) {
    lengths[i] = 24;
    words[i] = ((16 << 24) + i * 256) >>> 0;
  }
  const all: Prefixes = { afi: 1, count, lengths, words, pathIds: null };
  const sets = sixteenSets(nextHop);
  return { pieces: packSixteen(all, sets, []), sets: sets.length };
}

/** Case v6: /48s 2a00:0:0::/48, 2a00:0:1::/48, ... (16 bits of the second and third groups). */
function caseV6(count: number, nextHop6: string): { pieces: Uint8Array[]; sets: number } {
  const { lengths, words } = columns(2, count);
  for (let i = 0; i < count; i++) {
    lengths[i] = 48;
    words[i * 4] = (0x2a000000 | (i >>> 16)) >>> 0;
    words[i * 4 + 1] = ((i & 0xffff) << 16) >>> 0;
  }
  const all: Prefixes = { afi: 2, count, lengths, words, pathIds: null };
  const sets = sixteenSets(undefined);
  return { pieces: packSixteen(all, sets, [nextHop6]), sets: sets.length };
}

/** Probability of splitting a block of length L (16..23) in two; leaves are the prefixes. */
const SPLIT: Readonly<Record<number, number>> = {
  16: 0.97,
  17: 0.95,
  18: 0.9,
  19: 0.88,
  20: 0.85,
  21: 0.8,
  22: 0.75,
  23: 0.7,
};

/**
 * Internet-like prefixes: each /16 of 1.0.0.0/8 upwards (skipping 10/8,
 * 127/8, 100.64/10, 169.254/16, 172.16/12, 192.168/16, 198.18/15) is split
 * at random into disjoint prefixes /16../24; about 96 per /16, 70 % of them
 * /24s. Returned in address order.
 */
function internetPrefixes(count: number, random: () => number): Prefixes {
  const { lengths, words } = columns(1, count);
  let n = 0;
  const reserved = (slash16: number) => {
    const a = slash16 >>> 8;
    const b = slash16 & 0xff;
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      a >= 224 ||
      (a === 100 && b >= 64 && b < 128) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b < 32) ||
      (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19))
    );
  };
  const emit = (base: number, length: number) => {
    if (n >= count) return;
    const split = SPLIT[length];
    if (length < 24 && split !== undefined && random() < split) {
      const half = 2 ** (32 - length - 1);
      emit(base, length + 1);
      emit(base + half, length + 1);
      return;
    }
    lengths[n] = length;
    words[n] = base >>> 0;
    n++;
  };
  for (let slash16 = 1 << 8; n < count; slash16++) {
    if (slash16 >= 224 << 8) throw new Error(`address space exhausted after ${n} prefixes`);
    if (!reserved(slash16)) emit(slash16 * 65536, 16);
  }
  return { afi: 1, count, lengths, words, pathIds: null };
}

/** Case b: 1 prefix per 4 (on average) per attribute set, each set a distinct AS path. */
function caseB(count: number, nextHop: string): { pieces: Uint8Array[]; sets: number } {
  const random = prng(0x5eed_0b0b);
  const all = internetPrefixes(count, random);
  // Set sizes cycle 1,7,2,6,3,5,4,4: 4 on average, so 250,000 sets for 1,000,000 prefixes.
  const sizes = [1, 7, 2, 6, 3, 5, 4, 4];
  const tier1 = [174, 1299, 2914, 3257, 3356, 3491, 6453, 6461, 6762, 6939, 7018, 12956];
  const transit = Array.from({ length: 2000 }, (_, i) => 2000 + i * 17);
  const communityPool = [
    community(3356, 2),
    community(3356, 100),
    community(3356, 123),
    community(1299, 20000),
    community(174, 21001),
    community(2914, 410),
    community(2914, 3000),
    community(6939, 1000),
    community(64999, 666),
  ];
  const pieces: Uint8Array[] = [];
  let sets = 0;
  for (let at = 0; at < all.count; sets++) {
    const size = Math.min(sizes[sets % sizes.length] as number, all.count - at);
    const hops = 3 + Math.floor(random() * 4); // 3..6
    const asns: number[] = [tier1[Math.floor(random() * tier1.length)] as number];
    while (asns.length < hops - 1) asns.push(transit[Math.floor(random() * transit.length)] as number);
    asns.push(200_000 + sets); // the origin AS: unique per set, so every path is distinct
    const communities: number[] = [];
    const ncomm = Math.floor(random() * 4); // 0..3
    for (let c = 0; c < ncomm; c++) {
      const value = communityPool[Math.floor(random() * communityPool.length)] as number;
      if (!communities.includes(value)) communities.push(value);
    }
    const segment: AsPathSegment = { type: 2, asns };
    const attributes: PathAttributes = {
      origin: random() < 0.9 ? 0 : 2,
      asPath: [segment],
      nextHop,
      localPref: 100,
      med: random() < 0.3 ? Math.floor(random() * 1000) : undefined,
      communities: communities.length > 0 ? communities : undefined,
    };
    const slice: Prefixes = {
      afi: 1,
      count: size,
      lengths: all.lengths.subarray(at, at + size),
      words: all.words.subarray(at, at + size),
      pathIds: null,
    };
    pieces.push(expectPacked(packAnnouncements(slice, attributes, context)).bytes);
    at += size;
  }
  return { pieces, sets };
}

/** Builds and encodes a whole feed. */
export function buildFeed(options: FeedOptions): Feed {
  const count = options.prefixes ?? DEFAULT_PREFIXES[options.name];
  if (!Number.isInteger(count) || count < 1) throw new Error(`bad prefix count ${count}`);
  const built =
    options.name === 'a'
      ? caseA(count, options.nextHop)
      : options.name === 'b'
        ? caseB(count, options.nextHop)
        : caseV6(count, options.nextHop6);
  const chunks = chunkPieces(built.pieces, CHUNK);
  let messages = 0;
  let bytes = 0;
  let last: Uint8Array | undefined;
  for (const chunk of chunks) {
    const split = splitMessages(chunk);
    messages += split.length;
    bytes += chunk.length;
    last = split[split.length - 1] ?? last;
  }
  const decoded = last === undefined ? undefined : decodeMessage(last, context);
  const lastList =
    decoded?.ok && decoded.value.type === 'update'
      ? (decoded.value.attributes.mpReach?.prefixes ?? decoded.value.nlri)
      : undefined;
  if (lastList === undefined || lastList.count === 0)
    throw new Error('feed: the last UPDATE announces nothing');
  const eor4 = encodeMessage(endOfRib(1, 1), context);
  const eor6 = encodeMessage(endOfRib(2, 1), context);
  const endOfRibBytes = new Uint8Array(eor4.length + eor6.length);
  endOfRibBytes.set(eor4);
  endOfRibBytes.set(eor6, eor4.length);
  return {
    name: options.name,
    family: CASE_FAMILY[options.name],
    prefixes: count,
    attributeSets: built.sets,
    messages,
    bytes,
    chunks,
    endOfRib: endOfRibBytes,
    lastPrefix: prefixToString(lastList, lastList.count - 1),
  };
}
