// Counting what an UPDATE announces and withdraws, without decoding it: the
// benchmark's clients (bench/counting-peer.ts) receive up to 50 x 1M
// prefixes on a 2-core box, next to the daemon being measured, so they
// walk the octets (RFC 4271 §4.3, RFC 4760 §3-4) and touch nothing but the
// prefix length octets and, for the tracked range, the prefix bits. No
// ADD-PATH (the clients do not offer it), so every NLRI is <length, prefix>.
//
//   +-----------------------------------------------------+
//   |   Withdrawn Routes Length (2 octets)                |
//   |   Withdrawn Routes (variable)                       |
//   |   Total Path Attribute Length (2 octets)            |
//   |   Path Attributes (variable)                        |  14 MP_REACH_NLRI, 15 MP_UNREACH_NLRI
//   |   Network Layer Reachability Information (variable) |
//   +-----------------------------------------------------+
//
// A tracked range is one prefix length and a run of consecutive prefixes of
// that length (e.g. 1,000,000 /24s from 16.0.0.0): one bit each, so
// "holds every prefix" and "got every withdrawal" are exact even if a
// daemon sends a prefix twice. Everything else is only counted.

import { AttributeFlag, AttributeType, HEADER_LENGTH } from '../../src/bgp/codec/iana.js';
import { parseIpv4 } from '../../src/net/ip.js';

/** One IPv4 prefix length and `count` consecutive prefixes of it from `base`. */
export interface TrackedRange {
  readonly base: number;
  readonly length: number;
  readonly count: number;
}

/** "16.0.0.0/24x1000000" -> { base, length: 24, count: 1000000 }, or null. */
export function parseTrackedRange(text: string): TrackedRange | null {
  const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)x(\d+)$/.exec(text.trim());
  if (match === null) return null;
  const base = parseIpv4(match[1] as string);
  const length = Number(match[2]);
  const count = Number(match[3]);
  if (base === null || length < 1 || length > 32 || !Number.isSafeInteger(count) || count < 1) return null;
  if (base + count * 2 ** (32 - length) > 2 ** 32) return null;
  return { base, length, count };
}

/** What one session has received, and which tracked prefixes it holds now. */
export class PrefixCounter {
  /** Tracked prefixes announced and not withdrawn since. */
  held = 0;
  /** Every NLRI announced / withdrawn (tracked or not, IPv4 or IPv6, repeats included). */
  announced = 0;
  withdrawn = 0;
  /** Announcements and withdrawals outside the tracked range. */
  untracked = 0;
  updates = 0;
  /** UPDATEs whose octets do not add up (counted, not thrown). */
  malformed = 0;
  private readonly bits: Uint32Array;
  private readonly step: number;

  constructor(private readonly range: TrackedRange | null) {
    this.bits = new Uint32Array(range === null ? 0 : Math.ceil(range.count / 32));
    this.step = range === null ? 1 : 2 ** (32 - range.length);
  }

  /** Counts one whole UPDATE message (header included). */
  countUpdate(message: Uint8Array): void {
    this.updates++;
    const end = message.length;
    let at = HEADER_LENGTH;
    if (at + 2 > end) {
      this.malformed++;
      return;
    }
    const withdrawnLength = ((message[at] as number) << 8) | (message[at + 1] as number);
    at += 2;
    if (at + withdrawnLength + 2 > end) {
      this.malformed++;
      return;
    }
    this.walk(message, at, at + withdrawnLength, 1, false);
    at += withdrawnLength;
    const attributesLength = ((message[at] as number) << 8) | (message[at + 1] as number);
    at += 2;
    const attributesEnd = at + attributesLength;
    if (attributesEnd > end) {
      this.malformed++;
      return;
    }
    while (at + 3 <= attributesEnd) {
      const flags = message[at] as number;
      const type = message[at + 1] as number;
      const extended = (flags & AttributeFlag.extendedLength) !== 0;
      const length = extended
        ? ((message[at + 2] as number) << 8) | (message[at + 3] as number)
        : (message[at + 2] as number);
      const value = at + (extended ? 4 : 3);
      const valueEnd = value + length;
      if (valueEnd > attributesEnd) {
        this.malformed++;
        return;
      }
      if (type === AttributeType.mpReachNlri && length >= 5) {
        // AFI (2), SAFI (1), next hop length (1), next hop, reserved (1), NLRI
        const afi = ((message[value] as number) << 8) | (message[value + 1] as number);
        const nlri = value + 4 + (message[value + 3] as number) + 1;
        if (nlri <= valueEnd) this.walk(message, nlri, valueEnd, afi, true);
      } else if (type === AttributeType.mpUnreachNlri && length >= 3) {
        const afi = ((message[value] as number) << 8) | (message[value + 1] as number);
        this.walk(message, value + 3, valueEnd, afi, false);
      }
      at = valueEnd;
    }
    this.walk(message, attributesEnd, end, 1, true);
  }

  /** Whether tracked prefix `index` is held (for checks). */
  holds(index: number): boolean {
    return ((this.bits[index >>> 5] as number) & (1 << (index & 31))) !== 0;
  }

  private walk(bytes: Uint8Array, from: number, to: number, afi: number, announce: boolean): void {
    const range = this.range;
    let at = from;
    while (at < to) {
      const length = bytes[at] as number;
      const octets = (length + 7) >>> 3;
      if (at + 1 + octets > to) {
        this.malformed++;
        return;
      }
      if (announce) this.announced++;
      else this.withdrawn++;
      if (range !== null && afi === 1 && length === range.length) {
        let address = 0;
        for (let i = 0; i < 4; i++)
          address = address * 256 + (i < octets ? (bytes[at + 1 + i] as number) : 0);
        const offset = address - range.base;
        const index = offset / this.step;
        if (offset >= 0 && index < range.count && Number.isInteger(index)) {
          const word = index >>> 5;
          const bit = 1 << (index & 31);
          const had = ((this.bits[word] as number) & bit) !== 0;
          if (announce && !had) {
            this.bits[word] = (this.bits[word] as number) | bit;
            this.held++;
          } else if (!announce && had) {
            this.bits[word] = (this.bits[word] as number) & ~bit;
            this.held--;
          }
        } else this.untracked++;
      } else this.untracked++;
      at += 1 + octets;
    }
  }
}
