// The churn soak's endless feed (bench/churn.ts, bench/injector.ts --churn):
// prefix i of an unbounded sequence of distinct IPv4 prefixes, and the
// UPDATEs that announce or withdraw a run of them, encoded with the
// project's codec from typed-array columns (no per-prefix objects), batch by
// batch as the injector needs them.
//
// Prefix i: the /28s of 32.0.0.0-95.255.255.255 in order (2^26 = 67,108,864
// of them: 50M distinct prefixes fit), then the /29s of the same range, and
// so on to /32 (five generations, 335M prefixes). 32/8 to 95/8 holds
// nothing the daemons treat as special (no 0/8, 10/8, 100.64/10, 127/8).
// Attribute set: the 16 sets of case a (bench/lib/feed.ts), one per run of
// 256 consecutive prefixes, so a run is one UPDATE.

import {
  codecContext,
  encodeAttributesOnce,
  expectPacked,
  type Prefixes,
  packEncodedAnnouncements,
  packWithdrawals,
} from '../../src/bgp/codec/index.js';
import { sixteenSets } from './feed.js';

/** Prefixes per generation (one prefix length). */
export const GENERATION = 2 ** 26;
const FIRST_LENGTH = 28;
const BASE = 32 * 2 ** 24;
/** Consecutive prefixes sharing one attribute set. */
const RUN = 256;

const context = codecContext({ peerType: 'ibgp' });

/** The tracked range of the counting clients: the first generation. */
export const CHURN_TRACK = `32.0.0.0/${FIRST_LENGTH}x${GENERATION}`;

/** Prefix i as [address, length] (for checks; the encoder computes it in place). */
export function churnPrefix(i: number): [number, number] {
  const generation = Math.floor(i / GENERATION);
  const length = FIRST_LENGTH + generation;
  if (length > 32) throw new Error(`churn feed: prefix ${i} is past the last generation`);
  return [BASE + (i % GENERATION) * 2 ** (32 - length), length];
}

export class ChurnFeed {
  private lengths = new Uint8Array(0);
  private words = new Uint32Array(0);
  private readonly attributes: readonly Uint8Array[];

  constructor(nextHop: string) {
    // encodeAttributesOnce returns a view into scratch space: keep copies.
    this.attributes = sixteenSets(nextHop).map((set) => {
      const encoded = encodeAttributesOnce(set, context);
      if (!encoded.ok) throw new Error(`churn feed: ${encoded.error.reason}`);
      return encoded.value.slice();
    });
  }

  /** Columns holding prefixes [from, to). */
  private columns(from: number, to: number): Prefixes {
    const count = to - from;
    if (this.lengths.length < count) {
      this.lengths = new Uint8Array(count);
      this.words = new Uint32Array(count);
    }
    for (let k = 0; k < count; k++) {
      const i = from + k;
      const generation = Math.floor(i / GENERATION);
      const length = FIRST_LENGTH + generation;
      if (length > 32) throw new Error(`churn feed: prefix ${i} is past the last generation`);
      this.lengths[k] = length;
      this.words[k] = BASE + (i - generation * GENERATION) * 2 ** (32 - length);
    }
    return {
      afi: 1,
      count,
      lengths: this.lengths.subarray(0, count),
      words: this.words.subarray(0, count),
      pathIds: null,
    };
  }

  /** UPDATEs announcing prefixes [from, to), back to back. */
  announcements(from: number, to: number): Uint8Array {
    const pieces: Uint8Array[] = [];
    let total = 0;
    for (let at = from; at < to; ) {
      const end = Math.min(to, (Math.floor(at / RUN) + 1) * RUN);
      const set = this.attributes[Math.floor(at / RUN) % this.attributes.length] as Uint8Array;
      const bytes = expectPacked(packEncodedAnnouncements(this.columns(at, end), set, context)).bytes;
      pieces.push(bytes);
      total += bytes.length;
      at = end;
    }
    return concat(pieces, total);
  }

  /** UPDATEs withdrawing prefixes [from, to). */
  withdrawals(from: number, to: number): Uint8Array {
    if (to <= from) return new Uint8Array(0);
    return packWithdrawals(this.columns(from, to), context).bytes;
  }
}

function concat(pieces: readonly Uint8Array[], total: number): Uint8Array {
  if (pieces.length === 1) return pieces[0] as Uint8Array;
  const out = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}
