// The decision process, one step at a time (RFC 4271 §9.1.2.2 and the
// tie-breaks after it): for each step, two routes equal up to that step.
import { describe, expect, it } from 'vitest';
import type { PathAttributes } from '../../src/bgp/codec/attribute-types.js';
import { AttributeStore } from '../../src/rib/attribute-store.js';
import {
  type Candidate,
  compareCandidates,
  type DecisionOptions,
  equalForMultipath,
} from '../../src/rib/decision.js';

const store = new AttributeStore();
const options: DecisionOptions = { alwaysCompareMed: false, preferOldestExternal: false };
const path = (...asns: number[]) => [{ type: 2 as const, asns }];

function candidate(attributes: PathAttributes, extra: Partial<Candidate> = {}): Candidate {
  return {
    attr: store.intern({ origin: 0, asPath: path(65001), ...attributes }, '192.0.2.1'),
    local: false,
    external: true,
    peerRouterId: 0x0a000001,
    peerAddressKey: '4c0000201',
    igpCost: 0,
    learnedAt: 0,
    pathId: 0,
    ...extra,
  };
}

function winner(a: Candidate, b: Candidate, opts = options): { winner: 'a' | 'b' | 'tie'; reason: string } {
  const result = compareCandidates(a, b, opts);
  const reverse = compareCandidates(b, a, opts);
  expect(reverse.order).toBe(result.order === 0 ? 0 : -result.order); // antisymmetric
  expect(reverse.reason).toBe(result.reason);
  return { winner: result.order < 0 ? 'a' : result.order > 0 ? 'b' : 'tie', reason: result.reason };
}

describe('decision process', () => {
  it('(a) higher LOCAL_PREF wins; a missing one counts as 100', () => {
    expect(winner(candidate({ localPref: 200 }), candidate({ localPref: 100 }))).toEqual({
      winner: 'a',
      reason: 'local-pref',
    });
    expect(winner(candidate({ localPref: 99 }), candidate({}))).toEqual({
      winner: 'b',
      reason: 'local-pref',
    });
  });

  it('locally originated routes win next', () => {
    expect(winner(candidate({}, { local: true }), candidate({}))).toEqual({
      winner: 'a',
      reason: 'local-origin',
    });
  });

  it('shorter AS_PATH: an AS_SET counts one, confederation segments nothing', () => {
    expect(winner(candidate({ asPath: path(1, 2) }), candidate({ asPath: path(1, 2, 3) }))).toEqual({
      winner: 'a',
      reason: 'as-path-length',
    });
    const withSet = candidate({
      asPath: [
        { type: 2, asns: [1] },
        { type: 1, asns: [7, 8, 9] },
      ],
    });
    expect(winner(withSet, candidate({ asPath: path(1, 2, 3) }))).toEqual({
      winner: 'a',
      reason: 'as-path-length',
    });
    const withConfed = candidate({
      asPath: [
        { type: 3, asns: [64601, 64602] },
        { type: 2, asns: [1] },
      ],
    });
    expect(winner(withConfed, candidate({ asPath: path(1, 2) }))).toEqual({
      winner: 'a',
      reason: 'as-path-length',
    });
  });

  it('lower ORIGIN: IGP < EGP < INCOMPLETE', () => {
    expect(winner(candidate({ origin: 0 }), candidate({ origin: 1 }))).toEqual({
      winner: 'a',
      reason: 'origin',
    });
    expect(winner(candidate({ origin: 2 }), candidate({ origin: 1 }))).toEqual({
      winner: 'b',
      reason: 'origin',
    });
  });

  it('lower MED only between routes from the same neighboring AS, unless alwaysCompareMed', () => {
    expect(winner(candidate({ med: 10 }), candidate({ med: 20 }))).toEqual({ winner: 'a', reason: 'med' });
    const otherAs = candidate({ asPath: path(65002), med: 5 });
    expect(winner(candidate({ med: 10 }), otherAs).reason).not.toBe('med');
    expect(winner(candidate({ med: 10 }), otherAs, { ...options, alwaysCompareMed: true })).toEqual({
      winner: 'b',
      reason: 'med',
    });
    // A missing MED is the lowest (RFC 4271 §9.1.2.2 (c)).
    expect(winner(candidate({}), candidate({ med: 1 }))).toEqual({ winner: 'a', reason: 'med' });
  });

  it('eBGP over iBGP, then lower IGP cost to the next hop', () => {
    expect(winner(candidate({}, { external: true }), candidate({}, { external: false }))).toEqual({
      winner: 'a',
      reason: 'external-over-internal',
    });
    expect(winner(candidate({}, { igpCost: 10 }), candidate({}, { igpCost: 20 }))).toEqual({
      winner: 'a',
      reason: 'igp-cost',
    });
  });

  it('oldest external path only when asked (RFC 5004)', () => {
    const older = candidate({}, { learnedAt: 5, peerRouterId: 9 });
    const newer = candidate({}, { learnedAt: 10, peerRouterId: 1 });
    expect(winner(older, newer).reason).toBe('router-id');
    expect(winner(older, newer, { ...options, preferOldestExternal: true })).toEqual({
      winner: 'a',
      reason: 'oldest-external',
    });
  });

  it('lower router ID, with ORIGINATOR_ID standing in for it (RFC 4456 §9), then shorter CLUSTER_LIST', () => {
    expect(winner(candidate({}, { peerRouterId: 1 }), candidate({}, { peerRouterId: 2 }))).toEqual({
      winner: 'a',
      reason: 'router-id',
    });
    const reflected = candidate({ originatorId: '0.0.0.3' }, { peerRouterId: 1 });
    expect(winner(reflected, candidate({}, { peerRouterId: 2 }))).toEqual({
      winner: 'b',
      reason: 'router-id',
    });
    expect(
      winner(candidate({ clusterList: ['1.1.1.1'] }), candidate({ clusterList: ['1.1.1.1', '2.2.2.2'] })),
    ).toEqual({
      winner: 'a',
      reason: 'cluster-list-length',
    });
  });

  it('lower peer address, then lower path identifier, else equal', () => {
    expect(
      winner(candidate({}, { peerAddressKey: '4c0000201' }), candidate({}, { peerAddressKey: '4c0000202' })),
    ).toEqual({ winner: 'a', reason: 'peer-address' });
    expect(winner(candidate({}, { pathId: 1 }), candidate({}, { pathId: 2 }))).toEqual({
      winner: 'a',
      reason: 'path-id',
    });
    expect(winner(candidate({}), candidate({}))).toEqual({ winner: 'tie', reason: 'equal' });
  });

  it('routes equal through the IGP cost are multipath candidates; a difference before that is not', () => {
    expect(
      equalForMultipath(
        compareCandidates(candidate({}, { peerRouterId: 1 }), candidate({}, { peerRouterId: 2 }), options),
      ),
    ).toBe(true);
    expect(equalForMultipath(compareCandidates(candidate({ med: 1 }), candidate({ med: 2 }), options))).toBe(
      false,
    );
    expect(
      equalForMultipath(
        compareCandidates(candidate({}, { igpCost: 1 }), candidate({}, { igpCost: 2 }), options),
      ),
    ).toBe(false);
  });
});
