// What a route looks like to one peer, or why the peer does not get it:
// split horizon, well-known communities, route reflection (RFC 4456), export
// policy, and the attribute rewriting of RFC 4271 §5.1 (AS_PATH prepend and
// next-hop-self towards eBGP, LOCAL_PREF only inside the AS, MED not passed
// between ASes), plus AS4_PATH for 2-octet peers (RFC 6793 §4.2.2). Pure.

import { needsAs4Path } from '../bgp/codec/as-path.js';
import type { AsPathSegment, PathAttributes } from '../bgp/codec/attribute-types.js';
import { AS_TRANS, MAX_SEGMENT_ASNS, MAX_TWO_OCTET_AS, SegmentType } from '../bgp/codec/iana.js';
import { forPropagation } from '../bgp/codec/path-attributes.js';
import { type AddressFamily, familyTable } from '../bgp/family.js';
import { formatIpv4 } from '../net/ip.js';
import type { AttrSet } from './attribute-store.js';
import { DEFAULT_LOCAL_PREF } from './decision.js';
import { applySet, evaluatePolicy, type Policy } from './policy.js';
import { LOCAL_SOURCE, type Source } from './rib.js';

export interface LocalNextHops {
  readonly ipv4: string | null;
  readonly ipv6: string | null;
  readonly ipv6LinkLocal: string | null;
}

export interface ExportTarget {
  /** The RIB source id of this peer (its own routes are not sent back). */
  readonly sourceId: number;
  readonly external: boolean;
  readonly routeReflectorClient: boolean;
  readonly asn4: boolean;
  readonly nextHopSelf: boolean;
  readonly localNextHops: LocalNextHops;
  readonly policy: Policy;
}

export interface ExportContext {
  readonly localAsn: number;
  readonly localRouterId: number;
  /** RFC 4456 §7 CLUSTER_ID, numeric. */
  readonly clusterId: number;
}

export type SkipReason =
  | 'from-this-peer'
  | 'no-advertise'
  | 'no-export'
  | 'ibgp-split-horizon'
  | 'export-policy'
  | 'no-next-hop';

export type Exported =
  | { readonly advertise: false; readonly reason: SkipReason }
  | { readonly advertise: true; readonly attributes: PathAttributes; readonly nextHops: readonly string[] };

const skip = (reason: SkipReason): Exported => ({ advertise: false, reason });

function prependAs(path: readonly AsPathSegment[] | undefined, asn: number): AsPathSegment[] {
  const first = path?.[0];
  if (first !== undefined && first.type === SegmentType.asSequence && first.asns.length < MAX_SEGMENT_ASNS) {
    return [{ type: SegmentType.asSequence, asns: [asn, ...first.asns] }, ...(path ?? []).slice(1)];
  }
  return [{ type: SegmentType.asSequence, asns: [asn] }, ...(path ?? [])];
}

function nextHopsFor(
  family: AddressFamily,
  target: ExportTarget,
  attr: AttrSet,
  self: boolean,
): readonly string[] | null {
  if (!self && attr.nextHop !== null) return [attr.nextHop];
  const hops = target.localNextHops;
  if (familyTable[family].ipVersion === 4) return hops.ipv4 === null ? null : [hops.ipv4];
  if (hops.ipv6 === null) return null;
  // RFC 2545 §3: the link-local address goes beside the global one on a shared link.
  return hops.ipv6LinkLocal !== null && target.external ? [hops.ipv6, hops.ipv6LinkLocal] : [hops.ipv6];
}

/** The route as sent to `target`, or why it is not sent. */
export function exportRoute(
  context: ExportContext,
  target: ExportTarget,
  family: AddressFamily,
  prefix: {
    readonly afi: number;
    readonly words: ArrayLike<number>;
    readonly at: number;
    readonly length: number;
  },
  attr: AttrSet,
  source: Source,
): Exported {
  if (source.id === target.sourceId) return skip('from-this-peer');
  // RFC 1997: NO_ADVERTISE goes to nobody, NO_EXPORT(_SUBCONFED) stays inside the AS.
  if (attr.noAdvertise) return skip('no-advertise');
  if (target.external && (attr.noExport || attr.noExportSubconfed)) return skip('no-export');
  const fromInternal = source.id !== LOCAL_SOURCE && !source.info.external;
  let reflected = false;
  if (!target.external && fromInternal) {
    // RFC 4456 §6: from a client to everyone; from a non-client to clients only.
    if (!source.info.routeReflectorClient && !target.routeReflectorClient) return skip('ibgp-split-horizon');
    reflected = true;
  }
  const verdict = evaluatePolicy(
    target.policy,
    prefix.afi,
    prefix.words,
    prefix.at,
    prefix.length,
    attr.attributes.communities,
  );
  if (!verdict.accept) return skip('export-policy');

  const self = target.external || target.nextHopSelf;
  const nextHops = nextHopsFor(family, target, attr, self);
  if (nextHops === null) return skip('no-next-hop');

  const base = forPropagation(attr.attributes);
  let out: PathAttributes;
  if (target.external) {
    out = {
      ...base,
      asPath: prependAs(base.asPath, context.localAsn),
      localPref: undefined,
      // RFC 4271 §5.1.4: a MED learned from another AS is not passed on to a third.
      med: source.id === LOCAL_SOURCE || fromInternal ? base.med : undefined,
      originatorId: undefined,
      clusterList: undefined,
    };
  } else {
    out = {
      ...base,
      asPath: base.asPath ?? [],
      localPref: attr.localPref ?? DEFAULT_LOCAL_PREF,
    };
    if (reflected) {
      // RFC 4456 §8: ORIGINATOR_ID once, our CLUSTER_ID prepended.
      out = {
        ...out,
        originatorId: base.originatorId ?? formatIpv4(source.info.routerId >>> 0),
        clusterList: [formatIpv4(context.clusterId >>> 0), ...(base.clusterList ?? [])],
      };
    }
  }
  if (verdict.set !== null) out = applySet(out, verdict.set, context.localAsn);
  out = {
    ...out,
    origin: out.origin ?? 2,
    // The other families carry their next hops in MP_REACH_NLRI (the packer writes it).
    nextHop: familyTable[family].nextHopAttribute ? nextHops[0] : undefined,
  };
  if (!target.asn4) {
    // RFC 6793 §4.2.2: a 2-octet peer gets AS_TRANS in AS_PATH and the real path in AS4_PATH.
    const path = out.asPath ?? [];
    out = {
      ...out,
      // RFC 6793 §4.2.2: no confederation segments in AS4_PATH.
      as4Path: needsAs4Path(path)
        ? path.filter((s) => s.type === SegmentType.asSet || s.type === SegmentType.asSequence)
        : undefined,
      as4Aggregator:
        out.aggregator !== undefined && out.aggregator.asn > MAX_TWO_OCTET_AS ? out.aggregator : undefined,
      aggregator:
        out.aggregator !== undefined && out.aggregator.asn > MAX_TWO_OCTET_AS
          ? { ...out.aggregator, asn: AS_TRANS }
          : out.aggregator,
    };
  } else {
    // RFC 6793 §4.1: a NEW speaker never sends AS4_PATH or AS4_AGGREGATOR to a NEW speaker.
    out = { ...out, as4Path: undefined, as4Aggregator: undefined };
  }
  return { advertise: true, attributes: out, nextHops };
}
