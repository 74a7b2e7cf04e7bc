// An Established neighbor as an update group sees it: what its UPDATEs
// depend on (the group's spec: the export target built from its
// configuration and session, the codec context negotiated with it, its
// families), and where they go (its session).

import type { NegotiatedSession } from '../bgp/negotiation.js';
import type { Peer } from '../bgp/peer.js';
import type { Session } from '../bgp/session.js';
import type { GroupMemberOptions } from '../rib/group-member.js';
import type { Policy } from '../rib/policy.js';
import { localNextHopsFor } from './local-next-hops.js';
import type { GroupSpec } from './update-groups.js';

export function groupSpecOf(
  peer: Peer,
  sourceId: number,
  session: Session,
  negotiated: NegotiatedSession,
  policies: { readonly nextHopSelf: boolean; readonly exportPolicy: Policy },
): GroupSpec {
  return {
    target: {
      sourceId,
      external: !peer.isInternal,
      routeReflectorClient: peer.config.routeReflectorClient,
      asn4: negotiated.asn4,
      nextHopSelf: policies.nextHopSelf,
      localNextHops: localNextHopsFor(session.localAddress),
      policy: policies.exportPolicy,
    },
    sendContext: negotiated.sendContext,
    families: negotiated.families,
  };
}

export function memberOptionsOf(
  peer: Peer,
  sourceId: number,
  session: Session,
  negotiated: NegotiatedSession,
): GroupMemberOptions {
  return {
    name: peer.address,
    sourceId,
    sink: {
      get canWrite() {
        return session.canWrite;
      },
      write: (bytes, messageCount) => session.sendEncodedUpdates(bytes, messageCount),
    },
    enhancedRouteRefresh: negotiated.enhancedRouteRefresh,
  };
}
