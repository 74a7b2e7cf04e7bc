// The kernel writer on the RIB's own prefix table (as the daemon wires
// them): one id per prefix for both, no key held twice, and neither side
// frees an id the other still needs: the RIB lets go of a withdrawn prefix
// while its kernel delete is unwritten, the writer of a prefix the RIB
// still holds. Over churn the shared id space stays bounded.
import { describe, expect, it } from 'vitest';
import { prefixesFromStrings } from '../../src/bgp/codec/nlri.js';
import { PrefixUser } from '../../src/net/prefix-table.js';
import { DesiredState, NONE } from '../../src/netlink/desired.js';
import { ACCEPT_ALL } from '../../src/rib/policy.js';
import { finish, Rib, type Source } from '../../src/rib/rib.js';
import type { ChangeQueue } from '../../src/util/change-queue.js';
import { bytes, kernelView } from './helpers/world.js';

const FAMILY = 'ipv4-unicast';
const attributes = { origin: 0, asPath: [{ type: 2 as const, asns: [65001] }] };

function newRib(): Rib {
  return new Rib({
    localAsn: 64512,
    routerId: '10.0.0.1',
    clusterId: '10.0.0.1',
    maxPaths: 1,
    alwaysCompareMed: false,
    preferOldestExternal: false,
  });
}

function setup(): { rib: Rib; source: Source; state: DesiredState; feed: ChangeQueue; hop: number } {
  const rib = newRib();
  const source = rib.addSource({
    address: '10.98.0.2',
    asn: 65001,
    routerId: 2,
    external: true,
    routeReflectorClient: false,
    importPolicy: ACCEPT_ALL,
  });
  const state = new DesiredState(kernelView(), { v4: rib.family(FAMILY).prefixes });
  const feed = rib.subscribe(FAMILY);
  return { rib, source, state, feed, hop: state.hopSet([{ address: '10.98.0.2' }], false) };
}

/** What the FIB feed does: every changed prefix's wanted route, by id. */
function feedAll(rib: Rib, feed: ChangeQueue, state: DesiredState, hop: number): void {
  for (let p = feed.take(); p >= 0; p = feed.take())
    state.setRouteOf(4, p, rib.bestRoute(FAMILY, p) >= 0 ? hop : NONE);
}

/** What the programmer does when every write lands. */
function programAll(state: DesiredState): void {
  const family = state.v4;
  for (let p = family.queue.take(); p >= 0; p = family.queue.take())
    family.setProgrammed(p, family.desiredOf(p));
}

describe('the kernel writer sharing the RIB prefix table', () => {
  it('indexes routes by the RIB ids, and keeps an id until the kernel delete is written', () => {
    const { rib, source, state, feed, hop } = setup();
    const table = rib.family(FAMILY).prefixes;
    const list = prefixesFromStrings(1, ['10.233.1.0/24', '10.233.2.0/24']);
    rib.announce(source.id, FAMILY, list, attributes, '10.98.0.2');
    feedAll(rib, feed, state, hop);
    const p = table.findKey(list.words, 0, 24);
    expect(state.v4.desiredOf(p)).toBe(hop);
    expect(table.holds(p, PrefixUser.kernel) && table.holds(p, PrefixUser.rib)).toBe(true);
    expect(table.count).toBe(2); // one key per prefix, not one per user
    programAll(state);

    rib.withdraw(source.id, FAMILY, list);
    expect(finish(rib.reclaimPrefixes([]))).toBe(0); // the feed has not taken the change yet
    feedAll(rib, feed, state, hop);
    expect(finish(rib.reclaimPrefixes([]))).toBe(2); // the RIB lets go ...
    expect(table.isLive(p)).toBe(true); // ... the kernel still holds the route
    expect(table.toString(p)).toBe('10.233.1.0/24');
    expect(state.v4.reclaim()).toBe(0); // its delete is queued, not written
    programAll(state);
    expect(state.v4.reclaim()).toBe(2);
    expect(table.count).toBe(0);
  });

  it('leaves the RIB ids alone when the writer lets go, and gives an adopted route the RIB id', () => {
    const { rib, source, state, feed, hop } = setup();
    const table = rib.family(FAMILY).prefixes;
    // A route of ours found in the kernel at start, before any session.
    const adopted = state.prefixOf(state.v4, bytes('10.233.9.0'), 24);
    expect(table.holds(adopted, PrefixUser.rib)).toBe(false);
    const list = prefixesFromStrings(1, ['10.233.9.0/24', '10.233.8.0/24']);
    rib.announce(source.id, FAMILY, list, attributes, '10.98.0.2');
    expect(table.findKey(list.words, 0, 24)).toBe(adopted);
    expect(table.holds(adopted, PrefixUser.rib)).toBe(true);
    feedAll(rib, feed, state, hop);
    programAll(state);

    // A hold the writer does not need any more: the RIB's route is untouched.
    state.setRouteOf(4, adopted, NONE);
    programAll(state);
    expect(state.v4.reclaim()).toBe(1);
    expect(table.isLive(adopted)).toBe(true);
    expect(rib.bestRoute(FAMILY, adopted)).toBeGreaterThanOrEqual(0);
    // A withdrawal the writer never held: nothing to do.
    expect(state.setRouteOf(4, adopted, NONE)).toBe(false);
  });

  it('stays bounded while 20,000 distinct prefixes go through both', () => {
    const { rib, source, state, feed, hop } = setup();
    const table = rib.family(FAMILY).prefixes;
    for (let n = 0; n < 20; n++) {
      const list = prefixesFromStrings(
        1,
        Array.from({ length: 1000 }, (_, i) => `30.${n}.${i >> 8}.${i & 0xff}/32`),
      );
      rib.announce(source.id, FAMILY, list, attributes, '10.98.0.2');
      feedAll(rib, feed, state, hop);
      programAll(state);
      rib.withdraw(source.id, FAMILY, list);
      feedAll(rib, feed, state, hop);
      finish(rib.reclaimPrefixes([]));
      programAll(state);
      state.v4.reclaim();
    }
    expect(table.capacity).toBeLessThanOrEqual(1000);
    expect(table.count).toBe(0);
  });

  it('refuses a table of the other family', () => {
    const rib = newRib();
    expect(() => new DesiredState(kernelView(), { v4: rib.family('ipv6-unicast').prefixes })).toThrow(
      /not an IPv4 prefix table/,
    );
  });
});
