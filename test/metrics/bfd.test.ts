// The BFD metrics, collected from the session statuses at scrape time.
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/metrics.js';

const emptyRib = () => ({
  'ipv4-unicast': { prefixes: 0, paths: 0 },
  'ipv6-unicast': { prefixes: 0, paths: 0 },
});

describe('BFD metrics', () => {
  it('counts sessions by state and reports each neighbor', async () => {
    const metrics = new Metrics();
    metrics.setSources({
      peers: () => [],
      rib: emptyRib,
      bfd: () => [
        { key: '172.18.8.102', state: 'up', transitions: 2, detectionTimeUs: 300_000 },
        { key: 'fd00::2', state: 'down', transitions: 5, detectionTimeUs: 0 },
      ],
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('bfd_sessions{state="up"} 1');
    expect(text).toContain('bfd_sessions{state="down"} 1');
    expect(text).toContain('bfd_sessions{state="adminDown"} 0');
    expect(text).toContain('bfd_session_up{neighbor="172.18.8.102"} 1');
    expect(text).toContain('bfd_session_up{neighbor="fd00::2"} 0');
    expect(text).toContain('bfd_transitions_total{neighbor="fd00::2"} 5');
    expect(text).toContain('bfd_detection_ms{neighbor="172.18.8.102"} 300');
  });

  it('shows no sessions when BFD is not in use', async () => {
    const metrics = new Metrics();
    metrics.setSources({ peers: () => [], rib: emptyRib });
    const text = await metrics.registry.metrics();
    expect(text).toContain('bfd_sessions{state="up"} 0');
    expect(text).not.toContain('bfd_session_up{');
  });
});
