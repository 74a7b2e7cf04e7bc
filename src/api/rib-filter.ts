// rib show's filters (gobgp's longer-prefixes, community, as-path), applied
// to the destinations a query answered with, so they work the same on the
// Loc-RIB, a neighbor's Adj-RIB-In and its Adj-RIB-Out. A destination left
// without a path is left out. Pure.

import { parsePrefix } from '../bgp/codec/nlri.js';
import { parseCommunity } from '../bgp/format/communities.js';
import type { DestinationJson, PathJson } from './types.js';

export interface RibFilter {
  /** Destinations equal to or inside this prefix. */
  readonly longerPrefixesOf?: string;
  /** Paths carrying this community (AS:VALUE or a well-known name). */
  readonly community?: string;
  /** Paths whose AS_PATH (any segment) contains this AS. */
  readonly asPathContains?: number;
}

/** Whether `inner` is `outer` or a more specific prefix inside it. */
function within(inner: string, outer: ReturnType<typeof parsePrefix>): boolean {
  const parsed = parsePrefix(inner);
  if (parsed === null || outer === null || parsed.afi !== outer.afi || parsed.length < outer.length)
    return false;
  for (let w = 0; w < outer.words.length; w++) {
    const bits = outer.length - w * 32;
    if (bits <= 0) break;
    const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    if (((parsed.words[w] as number) & mask) >>> 0 !== (outer.words[w] as number)) return false;
  }
  return true;
}

export function filterDestinations(
  destinations: readonly DestinationJson[],
  filter: RibFilter,
): readonly DestinationJson[] {
  const outer = filter.longerPrefixesOf === undefined ? null : parsePrefix(filter.longerPrefixesOf);
  const community = filter.community === undefined ? null : parseCommunity(filter.community);
  const asn = filter.asPathContains;
  const keepPath = (path: PathJson): boolean =>
    (community === null || path.communities.some((text) => parseCommunity(text) === community)) &&
    (asn === undefined || path.asPathSegments.some((segment) => segment.asns.includes(asn)));
  const result: DestinationJson[] = [];
  for (const destination of destinations) {
    if (outer !== null && !within(destination.prefix, outer)) continue;
    if (community === null && asn === undefined) {
      result.push(destination);
      continue;
    }
    const paths = destination.paths.filter(keepPath);
    if (paths.length > 0) result.push({ ...destination, paths });
  }
  return result;
}
