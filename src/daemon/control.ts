// The control API's view of the running agent (src/api/control.ts), made of
// its parts: the speaker's neighbors, the routing layer's local routes and
// Adj-RIB-Out, the RIB, the forwarding writers and the reload. It takes the
// parts rather than importing Agent, so agent.ts can build it without a cycle.

import type { AgentControl, ReloadOutcome } from '../api/control.js';
import type { ReloadChanges } from '../api/types.js';
import type { BfdService } from '../bfd/service.js';
import { type AddressFamily, addressFamilies, familyTable } from '../bgp/family.js';
import type { Speaker } from '../bgp/speaker.js';
import { type AgentConfig, ConfigError } from '../config/types.js';
import type { ForwardingWriter } from '../fib/types.js';
import type { LocalRoutes } from '../rib/origination.js';
import type { Rib } from '../rib/rib.js';
import { agentVersion } from '../util/version.js';
import { queryAdjRibOut } from './adj-rib-out-query.js';
import type { BfdCoupling } from './bfd-coupling.js';
import { bfdColumn, bfdSessionsJson } from './bfd-query.js';
import type { Monitors } from './monitors.js';
import { operateNeighbor } from './neighbor-operations.js';
import { neighborsJson } from './neighbor-query.js';
import { queryRib } from './rib-query.js';
import type { Routing } from './routing.js';

/** What the adapter uses of the agent (Agent has this shape). */
export interface ControlledAgent {
  readonly speaker: Speaker;
  readonly routing: Routing;
  readonly localRoutes: LocalRoutes;
  readonly rib: Rib;
  readonly monitors: Monitors;
  readonly config: AgentConfig;
  /** Date.now() at construction, for the uptime. */
  readonly startedAt: number;
  /** The BFD worker's main-thread side; null until a neighbor asks for BFD. */
  readonly bfd: BfdService | null;
  readonly bfdCoupling: BfdCoupling;
  /** A forwarding writer by name, when enabled (writers start after the API, so looked up per call). */
  writer(name: string): ForwardingWriter | null;
  /** Throws ConfigError when the file is refused. */
  reload(): Promise<ReloadChanges>;
}

function perFamily<T>(value: (family: AddressFamily) => T): Record<AddressFamily, T> {
  return Object.fromEntries(addressFamilies.map((family) => [family, value(family)])) as Record<
    AddressFamily,
    T
  >;
}

export function agentControl(agent: ControlledAgent): AgentControl {
  return {
    neighbors: () =>
      neighborsJson(agent.speaker.allPeers(), agent.routing, Date.now(), (address) =>
        bfdColumn(
          agent.config.neighbors.find((n) => n.address === address),
          agent.bfd?.status(address),
          agent.bfdCoupling.holding(address),
        ),
      ),

    bfdSessions: async () => {
      const service = agent.bfd;
      if (service === null) return [];
      const { sessions } = await service.stats();
      return bfdSessionsJson(
        sessions,
        agent.config.neighbors,
        (a) => agent.bfdCoupling.holding(a),
        Date.now(),
      );
    },

    rib: (selection) => queryRib(agent.rib, selection),

    neighborRib: (address, direction, selection) => {
      const peer = agent.speaker.peer(address);
      if (peer === undefined) return null;
      if (direction === 'out') {
        const group = agent.routing.groupMember(peer)?.currentGroup ?? null;
        return group === null ? [] : queryAdjRibOut(group, peer.address, selection.family, selection.prefix);
      }
      const source = agent.routing.sourceOf(peer);
      return queryRib(agent.rib, {
        ...selection,
        ...(source !== undefined ? { neighborSourceId: source.id } : {}),
      });
    },

    ribSummary: () => ({
      ...perFamily((family) => ({
        prefixes: agent.rib.locRibCount(family),
        routes: agent.rib.family(family).routes.count,
      })),
      attributeSets: agent.rib.attrs.size,
      neighbors: agent.speaker.allPeers().map((peer) => {
        const source = agent.routing.sourceOf(peer);
        return {
          address: peer.address,
          received: perFamily((family) => source?.received[familyTable[family].index] ?? 0),
          accepted: perFamily((family) => source?.accepted[familyTable[family].index] ?? 0),
          advertised: agent.routing.groupMember(peer)?.advertised ?? 0,
        };
      }),
    }),

    global: () => {
      const peers = agent.speaker.allPeers();
      return {
        asn: agent.config.asn,
        routerId: agent.config.routerId,
        listen: agent.config.listen,
        version: agentVersion(),
        uptimeSeconds: Math.floor((Date.now() - agent.startedAt) / 1000),
        gracefulRestart: agent.config.gracefulRestart.enabled,
        neighbors: {
          configured: peers.length,
          established: peers.filter((peer) => peer.established !== null).length,
        },
        prefixes: perFamily((family) => agent.rib.locRibCount(family)),
      };
    },

    monitor: (kinds, emit) => agent.monitors.watch(kinds, emit),

    neighborOperation: (address, operation) =>
      operateNeighbor(agent.speaker, agent.routing, address, operation),

    originate: (route) => {
      agent.localRoutes.originate({ ...route, origin: 'runtime' });
    },

    withdrawLocal: (prefix) => agent.localRoutes.withdrawOriginated(prefix, 'runtime'),

    localRoutes: () => agent.localRoutes.list(),

    requestRefresh: (address, family) => {
      const peer = agent.speaker.peer(address);
      if (peer === undefined) return 'unknown-neighbor';
      return peer.requestRefresh(family) ? 'requested' : 'not-capable';
    },

    reload: async (): Promise<ReloadOutcome> => {
      try {
        return { ok: true, changes: await agent.reload() };
      } catch (error) {
        if (error instanceof ConfigError) return { ok: false, reason: error.message };
        throw error;
      }
    },

    forwardingView: (name) => agent.writer(name),
  };
}
