// agentctl neighbor reset|disable|enable|softreset on the running speaker:
// the FSM events and ROUTE-REFRESH they stand for, on one neighbor.

import type { NeighborOperationOutcome } from '../api/control.js';
import type { NeighborOperation } from '../api/types.js';
import { CeaseSubcode, RouteRefreshSubtype } from '../bgp/codec/iana.js';
import { familyAfiSafi } from '../bgp/family.js';
import type { Speaker } from '../bgp/speaker.js';
import type { Routing } from './routing.js';

export function operateNeighbor(
  speaker: Speaker,
  routing: Routing,
  address: string,
  operation: NeighborOperation,
): NeighborOperationOutcome {
  const peer = speaker.peer(address);
  if (peer === undefined) return 'unknown-neighbor';
  switch (operation) {
    case 'reset':
      // RFC 4486 §4: Administrative Reset, then the session is started again.
      peer.stop(CeaseSubcode.administrativeReset, 'reset by agentctl');
      peer.start();
      return 'done';
    case 'disable':
      // ManualStop: Idle with automatic restart off, and incoming connections refused.
      peer.stop(CeaseSubcode.administrativeShutdown, 'disabled by agentctl');
      return 'done';
    case 'enable':
      peer.start();
      return 'done';
    case 'softreset-in': {
      const negotiated = peer.established?.negotiated ?? null;
      if (negotiated === null) return 'not-established';
      if (!negotiated.routeRefresh) return 'not-capable';
      for (const family of negotiated.families) peer.requestRefresh(family);
      return 'done';
    }
    case 'softreset-out': {
      const negotiated = peer.established?.negotiated ?? null;
      if (negotiated === null) return 'not-established';
      // The same as the neighbor asking (RFC 2918): every family sent again from the Adj-RIB-Out.
      for (const family of negotiated.families) {
        const { afi, safi } = familyAfiSafi(family);
        routing.routeRefresh(peer, { type: 'routeRefresh', afi, safi, subtype: RouteRefreshSubtype.normal });
      }
      return 'done';
    }
    default: {
      const unknown: never = operation;
      throw new Error(`unknown neighbor operation ${String(unknown)}`);
    }
  }
}
