// A neighbor's Adj-RIB-Out on timers (fake ones): the table goes out at
// once, later changes are coalesced for the advertisement interval, a full
// socket waits for writable(), and a throw in a drain goes to the guard.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  codecContext,
  decodeMessage,
  MessageFramer,
  prefixesFromStrings,
} from '../../src/bgp/codec/index.js';
import { ownAddress } from '../../src/daemon/local-next-hops.js';
import { PeerOut } from '../../src/daemon/peer-out.js';
import { AttributeEncodingCache } from '../../src/rib/encoding-cache.js';
import { ACCEPT_ALL } from '../../src/rib/policy.js';
import { Rib } from '../../src/rib/rib.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(budget = Number.POSITIVE_INFINITY) {
  const rib = new Rib({
    localAsn: 64512,
    routerId: '10.0.0.1',
    clusterId: '10.0.0.1',
    maxPaths: 1,
    alwaysCompareMed: false,
    preferOldestExternal: false,
  });
  const source = rib.addSource({
    address: '192.0.2.1',
    asn: 65001,
    routerId: 1,
    external: true,
    routeReflectorClient: false,
    importPolicy: ACCEPT_ALL,
  });
  const announce = (...prefixes: string[]) =>
    rib.announce(
      source.id,
      'ipv4-unicast',
      prefixesFromStrings(1, prefixes),
      { origin: 0, asPath: [{ type: 2, asns: [65001] }] },
      '192.0.2.1',
    );
  const written: string[] = [];
  const framer = new MessageFramer();
  let room = budget;
  const sink = {
    get canWrite() {
      return room > 0;
    },
    write(bytes: Uint8Array) {
      room -= bytes.length;
      const messages = framer.push(bytes);
      if (!Array.isArray(messages)) throw new Error(messages.reason);
      for (const message of messages) {
        const decoded = decodeMessage(message, codecContext());
        if (!decoded.ok || decoded.value.type !== 'update') continue;
        const update = decoded.value;
        written.push(update.nlri.count > 0 ? `announce ${update.nlri.count}` : 'end-of-rib');
      }
      return room > 0;
    },
  };
  const guarded: string[] = [];
  const out = new PeerOut({
    rib,
    encodings: new AttributeEncodingCache(),
    target: {
      sourceId: 99,
      external: true,
      routeReflectorClient: false,
      asn4: true,
      nextHopSelf: true,
      localNextHops: { ipv4: '172.18.8.101', ipv6: null, ipv6LinkLocal: null },
      policy: ACCEPT_ALL,
    },
    sendContext: codecContext(),
    families: ['ipv4-unicast'],
    sink,
    advertisementIntervalMs: 50,
    onRefused: () => {},
    guard: (work) => {
      try {
        work();
      } catch (error) {
        guarded.push(String(error));
      }
    },
  });
  return { announce, written, out, guarded, open: () => (room = Number.POSITIVE_INFINITY) };
}

describe('PeerOut', () => {
  it('sends the table at once with End-of-RIB, then coalesces changes for the advertisement interval', () => {
    const { announce, written } = setup();
    announce('10.1.0.0/24', '10.2.0.0/24');
    vi.advanceTimersByTime(0);
    expect(written).toEqual(['announce 2', 'end-of-rib']);
    announce('10.3.0.0/24');
    vi.advanceTimersByTime(20);
    announce('10.4.0.0/24');
    vi.advanceTimersByTime(29);
    expect(written).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(written).toEqual(['announce 2', 'end-of-rib', 'announce 2']);
  });

  it('a full socket stops the drain until writable()', () => {
    const { announce, written, out, open } = setup(1);
    announce('10.1.0.0/24');
    vi.advanceTimersByTime(0);
    expect(written).toEqual(['announce 1']);
    open();
    out.writable();
    vi.advanceTimersByTime(0);
    expect(written).toEqual(['announce 1', 'end-of-rib']);
  });

  it('a throw inside a drain reaches the guard, not the event loop', () => {
    const { announce, out, guarded } = setup();
    vi.spyOn(out.adjRibOut, 'drain').mockImplementation(() => {
      throw new Error('drain bug');
    });
    announce('10.1.0.0/24');
    expect(() => vi.advanceTimersByTime(0)).not.toThrow();
    expect(guarded).toEqual(['Error: drain bug']);
  });
});

describe('ownAddress', () => {
  it('compares addresses canonically, IPv4-mapped IPv6 unwrapped', () => {
    expect(ownAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(ownAddress('2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(ownAddress(null)).toBeNull();
  });
});
