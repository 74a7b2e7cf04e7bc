// The BGP decision process (RFC 4271 §9.1.2.2 with the tie-breaks FRR, BIRD
// and GoBGP apply) as a chain of small comparators, each tied to the reason
// `rib show --explain` prints (GoBGP's BestPathReason). Pure.

import type { AttrSet } from './attribute-store.js';

export interface Candidate {
  attr: AttrSet;
  /** Originated by this agent (config or `agentctl rib add`). */
  local: boolean;
  /** Learned over an external session. */
  external: boolean;
  /** The BGP identifier of the peer it came from (numeric), 0 for local routes. */
  peerRouterId: number;
  /** A sortable form of the peer's address (local routes: ''). */
  peerAddressKey: string;
  /** Metric of the route to the next hop (lower is better); 0 when unknown. */
  igpCost: number;
  /** When the route was learned (seconds, any monotonic origin). */
  learnedAt: number;
  /** RFC 7911 path identifier (0 without ADD-PATH). */
  pathId: number;
}

export interface DecisionOptions {
  /** Compare MED between routes from different neighboring ASes too. */
  readonly alwaysCompareMed: boolean;
  /** Prefer the oldest of equal external routes (RFC 5004), for stability. */
  readonly preferOldestExternal: boolean;
}

export type BestPathReason =
  | 'local-pref'
  | 'local-origin'
  | 'as-path-length'
  | 'origin'
  | 'med'
  | 'external-over-internal'
  | 'igp-cost'
  | 'oldest-external'
  | 'router-id'
  | 'cluster-list-length'
  | 'peer-address'
  | 'path-id'
  | 'equal';

export const bestPathReasonText: Readonly<Record<BestPathReason, string>> = {
  'local-pref': 'higher LOCAL_PREF',
  'local-origin': 'locally originated',
  'as-path-length': 'shorter AS_PATH',
  origin: 'lower ORIGIN (IGP < EGP < INCOMPLETE)',
  med: 'lower MED (same neighboring AS)',
  'external-over-internal': 'eBGP over iBGP',
  'igp-cost': 'lower IGP cost to the next hop',
  'oldest-external': 'older eBGP path',
  'router-id': 'lower router ID / ORIGINATOR_ID',
  'cluster-list-length': 'shorter CLUSTER_LIST',
  'peer-address': 'lower peer address',
  'path-id': 'lower path identifier',
  equal: 'equal',
};

/** RFC 4271 §9.1.1: LOCAL_PREF is 100 where a route has none (eBGP, local). */
export const DEFAULT_LOCAL_PREF = 100;

/** The reasons up to which two routes must tie to share ECMP. */
const multipathBoundary: ReadonlySet<BestPathReason> = new Set([
  'oldest-external',
  'router-id',
  'cluster-list-length',
  'peer-address',
  'path-id',
  'equal',
]);

export interface Comparison {
  /** Negative when `a` is better, positive when `b` is, 0 when identical. */
  readonly order: number;
  /** The step that decided. */
  readonly reason: BestPathReason;
}

const EQUAL: Comparison = Object.freeze({ order: 0, reason: 'equal' });
// Comparisons are values; the few distinct ones are made once, not per call.
const better = new Map<BestPathReason, Comparison>();
const worse = new Map<BestPathReason, Comparison>();
for (const reason of Object.keys(bestPathReasonText) as BestPathReason[]) {
  better.set(reason, Object.freeze({ order: -1, reason }));
  worse.set(reason, Object.freeze({ order: 1, reason }));
}

function result(order: number, reason: BestPathReason): Comparison {
  return (order < 0 ? better : worse).get(reason) as Comparison;
}

function sign(difference: number): number {
  return difference < 0 ? -1 : difference > 0 ? 1 : 0;
}

/** Which of two eligible candidates is preferred, and why. */
export function compareCandidates(a: Candidate, b: Candidate, options: DecisionOptions): Comparison {
  const x = a.attr;
  const y = b.attr;
  // (a) Highest degree of preference: LOCAL_PREF.
  let order = sign((y.localPref ?? DEFAULT_LOCAL_PREF) - (x.localPref ?? DEFAULT_LOCAL_PREF));
  if (order !== 0) return result(order, 'local-pref');
  // Locally originated routes before learned ones (FRR, GoBGP).
  if (a.local !== b.local) return result(a.local ? -1 : 1, 'local-origin');
  // (a) Shortest AS_PATH.
  order = sign(x.asPathLength - y.asPathLength);
  if (order !== 0) return result(order, 'as-path-length');
  // (b) Lowest ORIGIN.
  order = sign(x.origin - y.origin);
  if (order !== 0) return result(order, 'origin');
  // (c) Lowest MED, between routes from the same neighboring AS.
  if (options.alwaysCompareMed || x.neighborAs === y.neighborAs) {
    order = sign(x.med - y.med);
    if (order !== 0) return result(order, 'med');
  }
  // (d) eBGP over iBGP.
  if (a.external !== b.external) return result(a.external ? -1 : 1, 'external-over-internal');
  // (e) Lowest interior cost to the next hop.
  order = sign(a.igpCost - b.igpCost);
  if (order !== 0) return result(order, 'igp-cost');
  // RFC 5004: keep the older of two external routes (avoids churn), optional.
  if (options.preferOldestExternal && a.external && b.external) {
    order = sign(a.learnedAt - b.learnedAt);
    if (order !== 0) return result(order, 'oldest-external');
  }
  // (f) Lowest BGP identifier; RFC 4456 §9: ORIGINATOR_ID stands for it when present.
  const idA = x.originatorId !== 0 ? x.originatorId : a.peerRouterId;
  const idB = y.originatorId !== 0 ? y.originatorId : b.peerRouterId;
  order = sign(idA - idB);
  if (order !== 0) return result(order, 'router-id');
  // RFC 4456 §9: shortest CLUSTER_LIST.
  order = sign(x.clusterListLength - y.clusterListLength);
  if (order !== 0) return result(order, 'cluster-list-length');
  // (g) Lowest peer address.
  if (a.peerAddressKey !== b.peerAddressKey)
    return result(a.peerAddressKey < b.peerAddressKey ? -1 : 1, 'peer-address');
  order = sign(a.pathId - b.pathId);
  if (order !== 0) return result(order, 'path-id');
  return EQUAL;
}

/** True when two routes tie on everything that makes a path better (ECMP candidates). */
export function equalForMultipath(comparison: Comparison): boolean {
  return multipathBoundary.has(comparison.reason);
}
