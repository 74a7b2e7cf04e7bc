// The BGP side of the Prometheus registry: agent_build_info, per-neighbor
// prefix gauges and RIB size per family, counters present at zero from the
// first scrape (so rate() and increase() alerts work before the first event),
// and one direction vocabulary (in/out) for every metric that has one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MetricSources, PeerSample } from '../../src/metrics/agent-metrics.js';
import { Metrics } from '../../src/metrics/metrics.js';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

const zero = { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 };
const peer: PeerSample = {
  address: '172.18.8.102',
  state: 'established',
  messageCounts: { in: { ...zero, open: 1, update: 3 }, out: { ...zero, open: 1 } },
  prefixes: { received: 5, accepted: 4, advertised: 2 },
};
const sources: MetricSources = {
  peers: () => [peer],
  rib: () => ({
    'ipv4-unicast': { prefixes: 7, paths: 9 },
    'ipv6-unicast': { prefixes: 0, paths: 0 },
  }),
};

async function scrape(): Promise<string> {
  const metrics = new Metrics();
  metrics.setSources(sources);
  metrics.notification('172.18.8.102', 'sent', 6, 2);
  return metrics.registry.metrics();
}

describe('BGP metrics', () => {
  it('agent_build_info says the version', async () => {
    expect(await scrape()).toContain(
      `agent_build_info{version="${version}",node="${process.versions.node}"} 1`,
    );
  });

  it('per-neighbor prefixes (received, accepted, advertised) and the RIB per family', async () => {
    const text = await scrape();
    expect(text).toContain('bgp_neighbor_prefixes{neighbor="172.18.8.102",kind="received"} 5');
    expect(text).toContain('bgp_neighbor_prefixes{neighbor="172.18.8.102",kind="accepted"} 4');
    expect(text).toContain('bgp_neighbor_prefixes{neighbor="172.18.8.102",kind="advertised"} 2');
    expect(text).toContain('bgp_rib_prefixes{family="ipv4-unicast"} 7');
    expect(text).toContain('bgp_rib_paths{family="ipv4-unicast"} 9');
    expect(text).toContain('bgp_rib_prefixes{family="ipv6-unicast"} 0');
  });

  it('counters exist at zero for every neighbor before anything happened', async () => {
    const text = await scrape();
    expect(text).toContain('bgp_messages_total{neighbor="172.18.8.102",direction="in",type="keepalive"} 0');
    expect(text).toContain('bgp_messages_total{neighbor="172.18.8.102",direction="in",type="update"} 3');
    expect(text).toContain('bgp_session_flaps_total{neighbor="172.18.8.102"} 0');
  });

  it('direction is in/out everywhere (NOTIFICATIONs too)', async () => {
    const text = await scrape();
    expect(text).toContain(
      'bgp_notifications_total{neighbor="172.18.8.102",direction="out",code="6",subcode="2",name="Cease / Administrative Shutdown"} 1',
    );
    expect(text).not.toMatch(/direction="(sent|received)"/);
  });
});
