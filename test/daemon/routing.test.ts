// The routing executor with a real RIB, real (never started) Peer objects
// and fake timers: what the pure machines decide reaches the RIB, timers
// fire as events, a max-prefix Cease ends the UPDATE, and a throw in a
// neighbor's timer resets that neighbor alone. No sockets, no sleeps.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  emptyPrefixes,
  endOfRib,
  type PathAttributes,
  prefixesFromStrings,
  type UpdateMessage,
} from '../../src/bgp/codec/index.js';
import type { AddressFamily } from '../../src/bgp/family.js';
import { buildOpen, isNotification, type NegotiatedSession, negotiate } from '../../src/bgp/negotiation.js';
import { type NeighborConfig, Peer, type PeerEvents } from '../../src/bgp/peer.js';
import { RibJobs } from '../../src/daemon/rib-jobs.js';
import { type PeerPolicies, Routing } from '../../src/daemon/routing.js';
import { UpdateGroups } from '../../src/daemon/update-groups.js';
import { AttributeEncodingCache } from '../../src/rib/encoding-cache.js';
import { ACCEPT_ALL } from '../../src/rib/policy.js';
import { Rib } from '../../src/rib/rib.js';

const families: AddressFamily[] = ['ipv4-unicast'];
const neighbor: NeighborConfig = {
  address: '192.0.2.2',
  port: 179,
  asn: 64512,
  localAddress: null,
  families,
  holdTimeSeconds: 90,
  connectRetrySeconds: 30,
  passive: true,
  delayOpenSeconds: 0,
  password: null,
  ttlSecurity: false,
  addPath: null,
  routeReflectorClient: false,
  description: null,
  shutdown: false,
};
const local = {
  asn: 64512,
  routerId: '192.0.2.1',
  hostname: null,
  gracefulRestart: { restartTimeSeconds: 120, restarting: false, forwardingPreserved: false },
  extendedMessage: true,
};
const noEvents = new Proxy({} as PeerEvents, { get: () => () => {} });

/** The session as negotiated with a peer whose OPEN has GR (restart time, F bit) as given. */
function negotiated(peer: Peer, restartTimeSeconds: number, forwardingPreserved: boolean): NegotiatedSession {
  const open = buildOpen({
    ...peer.localOpenConfig(),
    asn: peer.config.asn,
    routerId: '192.0.2.2',
    gracefulRestart: { restartTimeSeconds, restarting: false, forwardingPreserved },
  });
  const result = negotiate(peer.localOpenConfig(), open);
  if (isNotification(result)) throw new Error(result.reason);
  return result;
}

function announce(prefixes: string[], attributes: PathAttributes = {}): UpdateMessage {
  return {
    type: 'update',
    withdrawn: emptyPrefixes(1),
    attributes: { origin: 0, asPath: [], nextHop: '192.0.2.2', localPref: 100, ...attributes },
    nlri: prefixesFromStrings(1, prefixes),
  };
}

function setup(policies: Partial<PeerPolicies> = {}) {
  const rib = new Rib({
    localAsn: 64512,
    routerId: '192.0.2.1',
    clusterId: '192.0.2.1',
    maxPaths: 1,
    alwaysCompareMed: false,
    preferOldestExternal: false,
  });
  const lines: string[] = [];
  const log = {
    info: (_fields: Record<string, unknown>, message: string) => lines.push(message),
    warn: (_fields: Record<string, unknown>, message: string) => lines.push(message),
  };
  const internalErrors: string[] = [];
  const events = {
    refused: () => {},
    internalError: (_peer: Peer | null, error: unknown, where: string) =>
      internalErrors.push(`${where}: ${String(error)}`),
  };
  const jobs = new RibJobs((error) => events.internalError(null, error, 'RIB job'));
  const groups = new UpdateGroups({
    rib,
    encodings: new AttributeEncodingCache(),
    advertisementIntervalMs: 0,
    log,
    refused: () => {},
    jobs,
  });
  const routing = new Routing(rib, log, events, groups, jobs);
  const peer = new Peer(neighbor, local, noEvents);
  routing.addPeer(peer, {
    importPolicy: ACCEPT_ALL,
    exportPolicy: ACCEPT_ALL,
    nextHopSelf: false,
    enforceFirstAs: true,
    maxPrefix: null,
    staleRoutesTimeSeconds: 360,
    ...policies,
  });
  /** Every route in the RIB as "prefix[ stale]". */
  const routes = (): string[] => {
    const family = rib.family('ipv4-unicast');
    const all: string[] = [];
    for (let p = 0; p < family.prefixes.capacity; p++)
      for (const view of rib.routesOf('ipv4-unicast', p))
        all.push(`${family.prefixes.toString(p)}${view.stale ? ' stale' : ''}`);
    return all.sort();
  };
  return { rib, routing, peer, lines, internalErrors, routes };
}

beforeEach(() => {
  vi.useFakeTimers();
});

/**
 * Lets the RIB's whole-table jobs (rib-jobs.ts, on setImmediate) run: the
 * fake clock runs an immediate set inside a tick at the next one.
 */
function settle(): void {
  vi.advanceTimersByTime(1);
}
afterEach(() => {
  vi.useRealTimers();
});

describe('Routing: Graceful Restart, receiving side', () => {
  it('TCP failure keeps routes stale for the restart time, then sweeps them', () => {
    const { routing, peer, routes } = setup();
    routing.established(peer, negotiated(peer, 120, true));
    routing.update(peer, announce(['10.1.0.0/24', '10.2.0.0/24']), []);
    routing.down(peer, { kind: 'connection-failed' });
    settle();
    expect(routes()).toEqual(['10.1.0.0/24 stale', '10.2.0.0/24 stale']);
    vi.advanceTimersByTime(119_000);
    settle();
    expect(routes()).toHaveLength(2);
    vi.advanceTimersByTime(1_000);
    settle();
    expect(routes()).toEqual([]);
  });

  it('back up: what is re-sent is fresh, End-of-RIB sweeps the rest, the restart timer no longer fires', () => {
    const { routing, peer, routes, lines } = setup();
    routing.established(peer, negotiated(peer, 120, true));
    routing.update(peer, announce(['10.1.0.0/24', '10.2.0.0/24']), []);
    routing.down(peer, { kind: 'connection-failed' });
    routing.established(peer, negotiated(peer, 120, true));
    routing.update(peer, announce(['10.1.0.0/24']), []);
    settle();
    expect(routes()).toEqual(['10.1.0.0/24', '10.2.0.0/24 stale']);
    routing.update(peer, endOfRib(1, 1) as UpdateMessage, []);
    settle();
    expect(routes()).toEqual(['10.1.0.0/24']);
    expect(lines).toContain('stale routes swept: End-of-RIB received');
    vi.advanceTimersByTime(600_000);
    settle();
    expect(routes()).toEqual(['10.1.0.0/24']);
    expect(routing.hasAllEndOfRib(peer)).toBe(true);
  });

  it('back up without End-of-RIB: our stale timer bounds the wait', () => {
    const { routing, peer, routes } = setup({ staleRoutesTimeSeconds: 30 });
    routing.established(peer, negotiated(peer, 120, true));
    routing.update(peer, announce(['10.1.0.0/24']), []);
    routing.down(peer, { kind: 'connection-failed' });
    routing.established(peer, negotiated(peer, 120, true));
    vi.advanceTimersByTime(29_999);
    settle();
    expect(routes()).toEqual(['10.1.0.0/24 stale']);
    vi.advanceTimersByTime(1);
    settle();
    expect(routes()).toEqual([]);
  });

  it('a NOTIFICATION (no restart) removes the routes at once', () => {
    const { routing, peer, routes } = setup();
    routing.established(peer, negotiated(peer, 120, true));
    routing.update(peer, announce(['10.1.0.0/24']), []);
    routing.down(peer, { kind: 'notification-received', code: 6, subcode: 2 });
    settle();
    expect(routes()).toEqual([]);
  });
});

describe('Routing: Enhanced Route Refresh, max-prefix, UPDATE checks', () => {
  it('BoRR marks stale, re-sent routes stay, EoRR sweeps the others', () => {
    const { routing, peer, routes } = setup();
    routing.established(peer, negotiated(peer, 120, false));
    routing.update(peer, announce(['10.1.0.0/24', '10.2.0.0/24']), []);
    routing.routeRefresh(peer, { type: 'routeRefresh', afi: 1, safi: 1, subtype: 1 });
    routing.update(peer, announce(['10.2.0.0/24']), []);
    settle();
    expect(routes()).toEqual(['10.1.0.0/24 stale', '10.2.0.0/24']);
    routing.routeRefresh(peer, { type: 'routeRefresh', afi: 1, safi: 1, subtype: 2 });
    settle();
    expect(routes()).toEqual(['10.2.0.0/24']);
  });

  it('over the max-prefix limit: Cease 6/1 with the RFC 4486 data, and the restart timer starts the peer again', () => {
    const { routing, peer } = setup({
      maxPrefix: { limit: 2, warningOnly: false, warningThresholdPercent: 100, restartSeconds: 5 },
    });
    const stop = vi.spyOn(peer, 'stop').mockImplementation(() => {});
    const start = vi.spyOn(peer, 'start').mockImplementation(() => {});
    routing.established(peer, negotiated(peer, 120, false));
    routing.update(peer, announce(['10.1.0.0/24', '10.2.0.0/24', '10.3.0.0/24']), []);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(stop.mock.calls[0]?.[0]).toBe(1);
    expect(Buffer.from(stop.mock.calls[0]?.[2] ?? []).toString('hex')).toBe('00010100000002');
    vi.advanceTimersByTime(5_000);
    expect(start).toHaveBeenCalledTimes(1);
  });

  it('an UPDATE that fails the first-AS check on eBGP is treat-as-withdraw, logged with its reason', () => {
    const rib = setup();
    const ebgpPeer = new Peer({ ...neighbor, address: '192.0.2.3', asn: 65001 }, local, noEvents);
    rib.routing.addPeer(ebgpPeer, {
      importPolicy: ACCEPT_ALL,
      exportPolicy: ACCEPT_ALL,
      nextHopSelf: false,
      enforceFirstAs: true,
      maxPrefix: null,
      staleRoutesTimeSeconds: 360,
    });
    rib.routing.established(ebgpPeer, negotiated(ebgpPeer, 120, false));
    rib.routing.update(ebgpPeer, announce(['10.9.0.0/24'], { asPath: [{ type: 2, asns: [65001] }] }), []);
    settle();
    expect(rib.routes()).toEqual(['10.9.0.0/24']);
    rib.routing.update(ebgpPeer, announce(['10.9.0.0/24'], { asPath: [{ type: 2, asns: [65002] }] }), []);
    settle();
    expect(rib.routes()).toEqual([]);
    expect(rib.lines.some((l) => l.includes("leftmost AS 65002 is not the neighbor's AS 65001"))).toBe(true);
  });

  it("a throw in a neighbor's timer resets that neighbor's session and goes no further", () => {
    const { routing, peer, rib, internalErrors } = setup();
    const reset = vi.spyOn(peer, 'resetAfterInternalError').mockImplementation(() => {});
    routing.established(peer, negotiated(peer, 120, true));
    routing.update(peer, announce(['10.1.0.0/24']), []);
    routing.down(peer, { kind: 'connection-failed' });
    vi.spyOn(rib, 'sweepStale').mockImplementation(() => {
      throw new Error('bug in the sweep');
    });
    expect(() => vi.advanceTimersByTime(120_000)).not.toThrow();
    expect(internalErrors).toEqual(['timer: Error: bug in the sweep']);
    expect(reset).toHaveBeenCalledWith('timer');
  });
});
