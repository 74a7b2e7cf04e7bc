// What bfd show and the neighbor table's BFD column make of session statuses.
import { describe, expect, it } from 'vitest';
import type { SessionStatus } from '../../src/bfd/messages.js';
import { parseConfig } from '../../src/config/load.js';
import { bfdColumn, bfdSessionsJson } from '../../src/daemon/bfd-query.js';

const config = parseConfig(`
asn: 64512
routerId: 172.18.8.101
neighbors:
  - address: 172.18.8.102
    asn: 64512
    bfd: { enabled: true, minRxMs: 100, minTxMs: 100 }
  - address: 172.18.8.103
    asn: 64512
`);

const status: SessionStatus = {
  key: '172.18.8.102',
  peerAddress: '172.18.8.102',
  localAddress: null,
  multihop: false,
  state: 'down',
  remoteState: 'down',
  localDiscriminator: 7,
  remoteDiscriminator: 0,
  diagnostic: 1,
  remoteDiagnostic: 0,
  remoteControlPlaneIndependent: true,
  transmitIntervalUs: 1_000_000,
  detectionTimeUs: 300_000,
  remoteDetectMult: 3,
  polling: false,
  stateSinceMs: 10_000,
  transitions: 3,
  flaps: 1,
  lastDown: { atMs: 10_000, diagnostic: 1, remoteState: 'up' },
  packetsIn: 40,
  packetsOut: 41,
  sourcePort: 49999,
};

describe('bfd show', () => {
  it('gives milliseconds, diagnostic names, the configured values and the hold', () => {
    const [json] = bfdSessionsJson([status], config.neighbors, () => true, 15_500);
    expect(json).toMatchObject({
      neighbor: '172.18.8.102',
      state: 'down',
      diagnostic: 'Control Detection Time Expired',
      transmitIntervalMs: 1000,
      detectionTimeMs: 300,
      configured: { minRxMs: 100, minTxMs: 100, multiplier: 3, hops: 1 },
      upDownSeconds: 5,
      lastDown: { secondsAgo: 5, diagnostic: 'Control Detection Time Expired', remoteState: 'up' },
      remoteControlPlaneIndependent: true,
      bgpHeld: true,
    });
  });

  it('the neighbor column: state, (held), or null without BFD', () => {
    const [withBfd, without] = config.neighbors;
    expect(bfdColumn(withBfd, status, true)).toBe('down (held)');
    expect(bfdColumn(withBfd, { ...status, state: 'up' }, false)).toBe('up');
    expect(bfdColumn(withBfd, undefined, false)).toBe('down');
    expect(bfdColumn(without, undefined, false)).toBeNull();
  });
});
