// Packs one round of outgoing changes (withdrawn prefix ids, and prefix ids
// bucketed by outgoing attribute set, BIRD's buckets) into back-to-back
// UPDATEs: withdrawals first, then one packed run per set. The prefix keys
// are copied into reused typed arrays: no object per prefix.

import type { CodecContext } from '../bgp/codec/context.js';
import type { Prefixes } from '../bgp/codec/nlri.js';
import { packEncodedAnnouncements, packWithdrawals } from '../bgp/codec/pack.js';
import type { AddressFamily } from '../bgp/family.js';
import type { AttributeEncodingCache } from './encoding-cache.js';
import type { Rib } from './rib.js';
import { mpNextHops } from './send-budget.js';

/** UPDATEs ready for the socket. */
export interface PackedChanges {
  readonly bytes: Uint8Array;
  readonly messageCount: number;
}

export class ChangePacker {
  private lengths = new Uint8Array(1024);
  private words = new Uint32Array(4096);

  constructor(
    private readonly rib: Rib,
    private readonly encodings: AttributeEncodingCache,
  ) {}

  private listOf(family: AddressFamily, ids: readonly number[]): Prefixes {
    const table = this.rib.family(family).prefixes;
    const wordsPer = table.wordsPerKey;
    if (ids.length > this.lengths.length) {
      this.lengths = new Uint8Array(ids.length * 2);
      this.words = new Uint32Array(ids.length * 2 * 4);
    }
    for (let i = 0; i < ids.length; i++) {
      const p = ids[i] as number;
      this.lengths[i] = table.length(p);
      table.copyKey(p, this.words, i * wordsPer);
    }
    return {
      afi: table.afi,
      count: ids.length,
      lengths: this.lengths.subarray(0, ids.length),
      words: this.words.subarray(0, ids.length * wordsPer),
      pathIds: null,
    };
  }

  /**
   * The UPDATEs for one round, or null when there is nothing to send. Sets
   * must have passed the send budget (SendBudget.check); one that does not
   * encode after all is skipped rather than thrown.
   */
  pack(
    family: AddressFamily,
    context: CodecContext,
    withdrawn: readonly number[],
    buckets: ReadonlyMap<number, readonly number[]>,
  ): PackedChanges | null {
    const parts: Uint8Array[] = [];
    let messageCount = 0;
    let size = 0;
    if (withdrawn.length > 0) {
      const packed = packWithdrawals(this.listOf(family, withdrawn), context);
      parts.push(packed.bytes);
      messageCount += packed.messageCount;
      size += packed.bytes.length;
    }
    for (const [setId, ids] of buckets) {
      const set = this.rib.attrs.get(setId);
      const encoded = this.encodings.get(set, context);
      if (!encoded.ok) continue;
      const packed = packEncodedAnnouncements(
        this.listOf(family, ids),
        encoded.value,
        context,
        mpNextHops(set),
      );
      if (!packed.ok) continue;
      parts.push(packed.value.bytes);
      messageCount += packed.value.messageCount;
      size += packed.value.bytes.length;
    }
    if (messageCount === 0) return null;
    if (parts.length === 1) return { bytes: parts[0] as Uint8Array, messageCount };
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    return { bytes, messageCount };
  }
}
