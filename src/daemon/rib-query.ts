// The RIB as the API shows it: destinations with their paths (best first,
// each with why it lost), longest-match lookup, a neighbor's Adj-RIB-In.

import type { DestinationJson, PathJson } from '../api/types.js';
import type { AsPathSegment } from '../bgp/codec/attribute-types.js';
import { parsePrefix } from '../bgp/codec/nlri.js';
import { type AddressFamily, familyTable } from '../bgp/family.js';
import { formatCommunity, formatExtendedCommunity, formatLargeCommunity } from '../bgp/format/communities.js';
import { formatAsPath } from '../bgp/format/message.js';
import type { AttrSet } from '../rib/attribute-store.js';
import { type BestPathReason, bestPathReasonText } from '../rib/decision.js';
import { headOf, LOCAL_SOURCE, type RejectReason, type Rib, type RouteView } from '../rib/rib.js';
import { NO_ROUTE } from '../rib/route-store.js';

const origins = ['igp', 'egp', 'incomplete'] as const;

const rejectText: Readonly<Record<RejectReason, string>> = {
  policy: 'rejected by import policy',
  'as-path-loop': 'AS_PATH contains our AS (loop)',
  'originator-loop': 'ORIGINATOR_ID is our router ID (RFC 4456 loop)',
  'cluster-loop': 'CLUSTER_LIST contains our cluster ID (RFC 4456 loop)',
  'next-hop-unreachable': 'next hop unreachable',
};

function reasonText(reason: BestPathReason | RejectReason): string {
  return reason in rejectText
    ? rejectText[reason as RejectReason]
    : `lost to the best path: ${bestPathReasonText[reason as BestPathReason]}`;
}

export function attrJson(
  attr: AttrSet,
): Omit<PathJson, 'best' | 'installed' | 'neighbor' | 'ageSeconds' | 'stale' | 'accepted' | 'eligible'> {
  const a = attr.attributes;
  const segments: readonly AsPathSegment[] = a.asPath ?? [];
  return {
    nextHop: attr.nextHop ?? '0.0.0.0',
    ...(attr.linkLocalNextHop !== null ? { linkLocalNextHop: attr.linkLocalNextHop } : {}),
    asPath: formatAsPath(segments),
    asPathSegments: segments.map((s) => ({ type: s.type, asns: s.asns })),
    origin: origins[attr.origin] ?? 'incomplete',
    ...(a.med !== undefined ? { med: a.med } : {}),
    ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
    communities: (a.communities ?? []).map(formatCommunity),
    largeCommunities: (a.largeCommunities ?? []).map(formatLargeCommunity),
    extendedCommunities: (a.extendedCommunities ?? []).map(formatExtendedCommunity),
    ...(a.originatorId !== undefined ? { originatorId: a.originatorId } : {}),
    ...(a.clusterList !== undefined ? { clusterList: a.clusterList } : {}),
    ...(a.atomicAggregate === true ? { atomicAggregate: true } : {}),
    ...(a.aggregator !== undefined
      ? { aggregator: { asn: a.aggregator.asn, address: a.aggregator.address } }
      : {}),
  };
}

function pathJson(view: RouteView, now: number): PathJson {
  return {
    best: view.best,
    installed: view.installed,
    neighbor: view.source.id === LOCAL_SOURCE ? 'local' : view.source.info.address,
    ...attrJson(view.attr),
    ageSeconds: Math.max(0, Math.floor((now - view.learnedAt) / 1000)),
    ...(view.pathId !== 0 ? { pathId: view.pathId } : {}),
    stale: view.stale,
    accepted: view.accepted,
    eligible: view.eligible,
    ...(view.lostBecause !== undefined ? { reason: reasonText(view.lostBecause) } : {}),
  };
}

/** The best path of prefix id `p` as the API shows paths, or null when it has none. */
export function bestPathJson(rib: Rib, family: AddressFamily, p: number): PathJson | null {
  const best = rib.routesOf(family, p).find((view) => view.best);
  return best === undefined ? null : pathJson(best, rib.nowMs());
}

/** The prefix id for PREFIX (exact) or ADDRESS (longest match), or -1. */
export function lookup(rib: Rib, family: AddressFamily, text: string): number {
  const table = rib.family(family).prefixes;
  const f = rib.family(family);
  if (text.includes('/')) {
    const parsed = parsePrefix(text);
    if (parsed === null) return -1;
    return table.findKey(Uint32Array.from(parsed.words), 0, parsed.length);
  }
  const parsed = parsePrefix(`${text}/${familyTable[family].addressBits}`);
  if (parsed === null) return -1;
  const max = parsed.length;
  const words = Uint32Array.from(parsed.words);
  const masked = new Uint32Array(words.length);
  for (let length = max; length >= 0; length--) {
    for (let w = 0; w < words.length; w++) {
      const bits = length - w * 32;
      const mask = bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
      masked[w] = ((words[w] as number) & mask) >>> 0;
    }
    const id = table.findKey(masked, 0, length);
    if (id >= 0 && headOf(f, id) !== NO_ROUTE && (f.installed[id] as number) > 0) return id;
  }
  return -1;
}

export interface RibQuery {
  readonly family: AddressFamily;
  readonly prefix?: string;
  /** Only routes from this neighbor (its Adj-RIB-In, incl. rejected ones). */
  readonly neighborSourceId?: number;
}

export function queryRib(rib: Rib, query: RibQuery): DestinationJson[] {
  const now = rib.nowMs();
  const f = rib.family(query.family);
  const table = f.prefixes;
  const ids: number[] = [];
  if (query.prefix !== undefined) {
    const id = lookup(rib, query.family, query.prefix);
    if (id >= 0) ids.push(id);
  } else {
    for (let p = 0; p < table.capacity; p++) if (headOf(f, p) !== NO_ROUTE) ids.push(p);
  }
  const destinations: DestinationJson[] = [];
  for (const p of ids) {
    let views = rib.routesOf(query.family, p);
    if (query.neighborSourceId !== undefined)
      views = views.filter((v) => v.source.id === query.neighborSourceId);
    else if (query.prefix === undefined) views = views.filter((v) => v.accepted);
    if (views.length === 0) continue;
    destinations.push({ prefix: table.toString(p), paths: views.map((v) => pathJson(v, now)) });
  }
  destinations.sort((a, b) => comparePrefixText(a.prefix, b.prefix));
  return destinations;
}

function comparePrefixText(a: string, b: string): number {
  const pa = parsePrefix(a);
  const pb = parsePrefix(b);
  if (pa === null || pb === null) return a < b ? -1 : 1;
  for (let i = 0; i < pa.words.length; i++) {
    const d = (pa.words[i] as number) - (pb.words[i] as number);
    if (d !== 0) return d;
  }
  return pa.length - pb.length;
}
