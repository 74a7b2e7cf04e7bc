// Dynamic neighbors: which listen range, if any, takes a connection from an
// address no neighbor is configured for. Pure: ranges, the address and how
// many neighbors each range has now in; the decision out. The most specific
// range wins (as FRR's `bgp listen range`), and a range at its limit refuses
// (FRR's `bgp listen limit`, per range here).

import { parsePrefix } from './codec/nlri.js';

export interface ListenRangeSpec {
  /** A prefix without host bits, e.g. "172.18.8.0/24". */
  readonly prefix: string;
  /** The most neighbors this range may have at once. */
  readonly limit: number;
}

export type ListenRangeMatch<R extends ListenRangeSpec> =
  /** No range contains the address: the connection is refused, as from any unknown address. */
  | { readonly kind: 'none' }
  /** The most specific range containing it is at its limit: refused. */
  | { readonly kind: 'full'; readonly range: R }
  | { readonly kind: 'accept'; readonly range: R };

/** True when `address` (IPv4 or IPv6 text) lies in `prefix`. */
export function rangeContains(prefix: string, address: string): boolean {
  const range = parsePrefix(prefix);
  if (range === null) return false;
  const host = parsePrefix(`${address}/${range.length}`);
  if (host === null || host.afi !== range.afi) return false;
  return host.words.every((word, i) => word === range.words[i]);
}

export function matchListenRange<R extends ListenRangeSpec>(
  ranges: readonly R[],
  address: string,
  /** Dynamic neighbors the range has now. */
  membersOf: (range: R) => number,
): ListenRangeMatch<R> {
  let best: R | null = null;
  let bestLength = -1;
  for (const range of ranges) {
    const length = parsePrefix(range.prefix)?.length ?? -1;
    if (length > bestLength && rangeContains(range.prefix, address)) {
      best = range;
      bestLength = length;
    }
  }
  if (best === null) return { kind: 'none' };
  return membersOf(best) >= best.limit ? { kind: 'full', range: best } : { kind: 'accept', range: best };
}
