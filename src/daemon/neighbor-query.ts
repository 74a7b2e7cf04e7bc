// The neighbors as the API shows them: each one's session counters, what it
// negotiated, and how many routes it sent, we accepted and we advertise.

import type { NeighborJson } from '../api/types.js';
import { openCapabilities } from '../bgp/codec/open.js';
import { capabilityText } from '../bgp/format/message.js';
import { buildOpen } from '../bgp/negotiation.js';
import type { Peer } from '../bgp/peer.js';
import type { Routing } from './routing.js';

export function neighborsJson(
  peers: readonly Peer[],
  routing: Routing,
  nowMs: number,
  /** The BFD column for a neighbor (null without BFD). */
  bfdOf: (address: string) => string | null = () => null,
): NeighborJson[] {
  return peers.map((peer) => {
    const status = peer.status();
    const source = routing.sourceOf(peer);
    const negotiated = status.negotiated;
    return {
      address: status.address,
      asn: status.asn,
      description: peer.config.description,
      peerGroup: peer.config.peerGroup ?? null,
      listenRange: peer.config.listenRange ?? null,
      state: status.state,
      upDownSeconds: Math.max(0, Math.floor((nowMs - status.stateSince) / 1000)),
      messagesIn: status.messagesIn,
      messagesOut: status.messagesOut,
      updatesIn: status.updatesIn,
      updatesOut: status.updatesOut,
      prefixes: {
        received: source === undefined ? 0 : source.received[0] + source.received[1],
        accepted: source === undefined ? 0 : source.accepted[0] + source.accepted[1],
        advertised: routing.groupMember(peer)?.advertised ?? 0,
      },
      flaps: status.flaps,
      lastError: status.lastError,
      outQueueBytes: status.outQueueBytes,
      bfd: bfdOf(status.address),
      configured: {
        holdTimeSeconds: peer.config.holdTimeSeconds,
        connectRetrySeconds: peer.config.connectRetrySeconds,
        passive: peer.config.passive,
        families: peer.config.families,
      },
      messages: { in: { ...status.messageCounts.in }, out: { ...status.messageCounts.out } },
      session:
        negotiated === null
          ? null
          : {
              localAddress: status.localAddress,
              peerRouterId: negotiated.peerRouterId,
              peerHostname: negotiated.peerHostname,
              holdTimeSeconds: negotiated.holdTimeSeconds,
              keepaliveSeconds: negotiated.keepaliveSeconds,
              families: negotiated.families,
              fourOctetAs: negotiated.asn4,
              routeRefresh: negotiated.routeRefresh,
              enhancedRouteRefresh: negotiated.enhancedRouteRefresh,
              extendedMessage: negotiated.extendedMessage,
              gracefulRestart: negotiated.gracefulRestart !== null,
              addPath: Object.fromEntries(negotiated.addPath),
              capabilitiesSent: openCapabilities(buildOpen(peer.localOpenConfig())).map(capabilityText),
              capabilitiesReceived: negotiated.peerCapabilities.map(capabilityText),
            },
    };
  });
}
