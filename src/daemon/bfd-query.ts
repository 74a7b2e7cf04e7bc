// The BFD sessions as the API shows them (agentctl bfd show), and the BFD
// column of agentctl neighbor show.

import type { BfdSessionJson } from '../api/types.js';
import { describeDiagnostic } from '../bfd/iana.js';
import type { SessionStatus } from '../bfd/messages.js';
import type { NeighborSettings } from '../config/types.js';

const ms = (us: number) => us / 1000;

export function bfdSessionsJson(
  statuses: readonly SessionStatus[],
  neighbors: readonly NeighborSettings[],
  holding: (address: string) => boolean,
  nowMs: number,
): BfdSessionJson[] {
  const byAddress = new Map(neighbors.map((n) => [n.address, n]));
  return statuses.map((s) => {
    const bfd = byAddress.get(s.key)?.bfd;
    return {
      neighbor: s.key,
      localAddress: s.localAddress,
      multihop: s.multihop,
      state: s.state,
      remoteState: s.remoteState,
      localDiscriminator: s.localDiscriminator,
      remoteDiscriminator: s.remoteDiscriminator,
      diagnostic: describeDiagnostic(s.diagnostic),
      remoteDiagnostic: describeDiagnostic(s.remoteDiagnostic),
      remoteControlPlaneIndependent: s.remoteControlPlaneIndependent,
      transmitIntervalMs: ms(s.transmitIntervalUs),
      detectionTimeMs: ms(s.detectionTimeUs),
      remoteDetectMult: s.remoteDetectMult,
      configured: {
        minRxMs: bfd?.minRxMs ?? 0,
        minTxMs: bfd?.minTxMs ?? 0,
        multiplier: bfd?.multiplier ?? 0,
        hops: bfd?.hops ?? 1,
      },
      upDownSeconds: Math.max(0, Math.floor((nowMs - s.stateSinceMs) / 1000)),
      transitions: s.transitions,
      flaps: s.flaps,
      lastDown:
        s.lastDown === null
          ? null
          : {
              secondsAgo: Math.max(0, Math.floor((nowMs - s.lastDown.atMs) / 1000)),
              diagnostic: describeDiagnostic(s.lastDown.diagnostic),
              remoteState: s.lastDown.remoteState,
            },
      packetsIn: s.packetsIn,
      packetsOut: s.packetsOut,
      sourcePort: s.sourcePort,
      bgpHeld: holding(s.key),
    };
  });
}

/** The neighbor table's BFD column: the state, "held" while BGP waits for it; null without BFD. */
export function bfdColumn(
  neighbor: NeighborSettings | undefined,
  status: SessionStatus | undefined,
  held: boolean,
): string | null {
  if (neighbor === undefined || !neighbor.bfd.enabled) return null;
  const state = status?.state ?? 'down';
  return held ? `${state} (held)` : state;
}
