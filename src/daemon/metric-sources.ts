// What the Prometheus metrics read at scrape time: each neighbor's session
// counters and prefix counts (as neighbor show has them), and the Loc-RIB's
// size per family. Read on demand, so counting costs nothing between scrapes.

import { addressFamilies } from '../bgp/family.js';
import type { Speaker } from '../bgp/speaker.js';
import type { MetricSources, RibFamilySample } from '../metrics/agent-metrics.js';
import type { Rib } from '../rib/rib.js';
import type { Routing } from './routing.js';

export function metricSources(speaker: Speaker, routing: Routing, rib: Rib): MetricSources {
  return {
    peers: () =>
      speaker.allPeers().map((peer) => {
        const status = peer.status();
        const source = routing.sourceOf(peer);
        return {
          address: status.address,
          state: status.state,
          messageCounts: status.messageCounts,
          prefixes: {
            received: source === undefined ? 0 : source.received[0] + source.received[1],
            accepted: source === undefined ? 0 : source.accepted[0] + source.accepted[1],
            advertised: routing.groupMember(peer)?.advertised ?? 0,
          },
        };
      }),
    rib: () =>
      Object.fromEntries(
        addressFamilies.map((family): [string, RibFamilySample] => [
          family,
          { prefixes: rib.locRibCount(family), paths: rib.family(family).routes.count },
        ]),
      ) as ReturnType<MetricSources['rib']>,
  };
}
