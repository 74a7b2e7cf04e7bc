import { describe, expect, it } from 'vitest';
import type { PathAttributes } from '../../src/bgp/codec/attribute-types.js';
import { prefixesFromStrings } from '../../src/bgp/codec/nlri.js';
import { ACCEPT_ALL, compilePolicy } from '../../src/rib/policy.js';
import { finish, LOCAL_SOURCE, Rib, type RibOptions, type SourceInfo } from '../../src/rib/rib.js';
import type { Clock } from '../../src/util/clock.js';

const options: RibOptions = {
  localAsn: 64512,
  routerId: '10.0.0.1',
  clusterId: '10.0.0.1',
  maxPaths: 1,
  alwaysCompareMed: false,
  preferOldestExternal: false,
};

function setup(overrides: Partial<RibOptions> = {}, clock?: Clock) {
  const rib = new Rib({ ...options, ...overrides }, clock);
  const source = (address: string, asn: number, routerId: number, extra: Partial<SourceInfo> = {}) =>
    rib.addSource({
      address,
      asn,
      routerId,
      external: asn !== 64512,
      routeReflectorClient: false,
      importPolicy: ACCEPT_ALL,
      ...extra,
    });
  return { rib, source };
}

const v4 = (...texts: string[]) => prefixesFromStrings(1, texts);
const attrs = (extra: PathAttributes = {}): PathAttributes => ({
  origin: 0,
  asPath: [{ type: 2, asns: [65001] }],
  ...extra,
});

/** The n-th /24 of 10.0.0.0/8, as text. */
const text = (n: number) => `10.${n >> 8}.${n & 0xff}.0/24`;

/** A small deterministic generator: random(below) is in [0, below). */
function seededRandom(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % below;
  };
}

function bestOf(rib: Rib, prefix: string) {
  const table = rib.family('ipv4-unicast').prefixes;
  const key = v4(prefix);
  const id = table.findKey(key.words, 0, key.lengths[0] as number);
  return id < 0 ? [] : rib.routesOf('ipv4-unicast', id);
}

describe('RIB', () => {
  it('stamps routes with its clock: ages, and the oldest eBGP path with preferOldestEbgpPath (RFC 5004)', () => {
    let nowMs = 1_700_000_000_000;
    const clock: Clock = { nowMs: () => nowMs };
    const { rib, source } = setup({ preferOldestExternal: true }, clock);
    // Equal in every step before the tie-break on age, and the newer one has the lower router ID.
    const older = source('192.0.2.2', 65001, 2);
    const newer = source('192.0.2.1', 65002, 1);
    rib.announce(older.id, 'ipv4-unicast', v4('10.9.0.0/24'), attrs(), '192.0.2.2');
    nowMs += 30_000;
    rib.announce(
      newer.id,
      'ipv4-unicast',
      v4('10.9.0.0/24'),
      attrs({ asPath: [{ type: 2, asns: [65002] }] }),
      '192.0.2.1',
    );
    nowMs += 5_000;
    const paths = bestOf(rib, '10.9.0.0/24');
    expect(
      paths.map((p) => [p.source.info.address, p.best, Math.round((nowMs - p.learnedAt) / 1000)]),
    ).toEqual([
      ['192.0.2.2', true, 35],
      ['192.0.2.1', false, 5],
    ]);
    expect(paths[1]?.lostBecause).toBe('oldest-external');
    // Without the option, the lower router ID wins.
    const plain = setup({}, clock);
    const a = plain.source('192.0.2.2', 65001, 2);
    const b = plain.source('192.0.2.1', 65002, 1);
    plain.rib.announce(a.id, 'ipv4-unicast', v4('10.9.0.0/24'), attrs(), '192.0.2.2');
    nowMs += 30_000;
    plain.rib.announce(
      b.id,
      'ipv4-unicast',
      v4('10.9.0.0/24'),
      attrs({ asPath: [{ type: 2, asns: [65002] }] }),
      '192.0.2.1',
    );
    expect(bestOf(plain.rib, '10.9.0.0/24')[0]?.source.info.address).toBe('192.0.2.1');
  });

  it('installs a learned route, publishes each changed prefix once however often it changed', () => {
    const { rib, source } = setup();
    const a = source('192.0.2.1', 65001, 1);
    const queue = rib.subscribe('ipv4-unicast');
    rib.announce(a.id, 'ipv4-unicast', v4('10.233.2.0/24'), attrs({ med: 1 }), '192.0.2.1');
    rib.announce(a.id, 'ipv4-unicast', v4('10.233.2.0/24'), attrs({ med: 2 }), '192.0.2.1');
    rib.announce(a.id, 'ipv4-unicast', v4('10.233.2.0/24'), attrs({ med: 3 }), '192.0.2.1');
    expect(queue.size).toBe(1);
    const p = queue.take();
    expect(rib.installedRoutes('ipv4-unicast', p)).toHaveLength(1);
    expect(rib.routeAttr('ipv4-unicast', rib.bestRoute('ipv4-unicast', p)).med).toBe(3);
    // The same attributes again change nothing.
    rib.announce(a.id, 'ipv4-unicast', v4('10.233.2.0/24'), attrs({ med: 3 }), '192.0.2.1');
    expect(queue.size).toBe(0);
  });

  it('picks the best of two peers, explains the loser, falls back on withdraw', () => {
    const { rib, source } = setup();
    const a = source('192.0.2.1', 64512, 1);
    const b = source('192.0.2.2', 64512, 2);
    rib.announce(a.id, 'ipv4-unicast', v4('10.1.0.0/16'), attrs({ localPref: 100 }), '192.0.2.1');
    rib.announce(b.id, 'ipv4-unicast', v4('10.1.0.0/16'), attrs({ localPref: 200 }), '192.0.2.2');
    let routes = bestOf(rib, '10.1.0.0/16');
    expect(routes.map((r) => [r.source.info.address, r.best, r.lostBecause])).toEqual([
      ['192.0.2.2', true, undefined],
      ['192.0.2.1', false, 'local-pref'],
    ]);
    rib.withdraw(b.id, 'ipv4-unicast', v4('10.1.0.0/16'));
    routes = bestOf(rib, '10.1.0.0/16');
    expect(routes.map((r) => [r.source.info.address, r.best])).toEqual([['192.0.2.1', true]]);
    rib.withdraw(a.id, 'ipv4-unicast', v4('10.1.0.0/16'));
    expect(bestOf(rib, '10.1.0.0/16')).toEqual([]);
    expect(rib.locRibCount('ipv4-unicast')).toBe(0);
  });

  it('ECMP: up to maxPaths equal paths from different peers', () => {
    const { rib, source } = setup({ maxPaths: 4 });
    const peers = [1, 2, 3].map((n) => source(`192.0.2.${n}`, 65001, n));
    for (const peer of peers)
      rib.announce(peer.id, 'ipv4-unicast', v4('10.9.0.0/16'), attrs(), peer.info.address);
    // A worse path (longer AS_PATH) is not part of the set.
    const worse = source('192.0.2.9', 65001, 9);
    rib.announce(
      worse.id,
      'ipv4-unicast',
      v4('10.9.0.0/16'),
      attrs({ asPath: [{ type: 2, asns: [65001, 65002] }] }),
      '192.0.2.9',
    );
    const routes = bestOf(rib, '10.9.0.0/16');
    expect(routes.filter((r) => r.installed).map((r) => r.source.info.address)).toEqual([
      '192.0.2.1',
      '192.0.2.2',
      '192.0.2.3',
    ]);
    expect(routes.find((r) => r.source.info.address === '192.0.2.9')?.lostBecause).toBe('as-path-length');
    const two = setup({ maxPaths: 2 });
    const twoPeers = [1, 2, 3].map((n) => two.source(`192.0.2.${n}`, 65001, n));
    for (const peer of twoPeers)
      two.rib.announce(peer.id, 'ipv4-unicast', v4('10.9.0.0/16'), attrs(), peer.info.address);
    expect(bestOf(two.rib, '10.9.0.0/16').filter((r) => r.installed)).toHaveLength(2);
  });

  it('import policy: prefix lists decide acceptance, set changes LOCAL_PREF; received vs accepted counted', () => {
    const { rib, source } = setup();
    const policy = compilePolicy([{ prefixes: ['10.233.0.0/16 le 32'], set: { localPref: 300 } }]);
    const a = source('192.0.2.1', 65001, 1, { importPolicy: policy });
    rib.announce(
      a.id,
      'ipv4-unicast',
      v4('10.233.1.0/24', '10.0.0.0/8', '10.233.0.0/16'),
      attrs(),
      '192.0.2.1',
    );
    expect(a.received[0]).toBe(3);
    expect(a.accepted[0]).toBe(2);
    expect(bestOf(rib, '10.233.1.0/24')[0]?.attr.localPref).toBe(300);
    expect(bestOf(rib, '10.0.0.0/8')[0]).toMatchObject({
      accepted: false,
      best: false,
      lostBecause: 'policy',
    });
    // Soft reconfiguration inbound: the new policy is applied to what was received.
    a.info.importPolicy = ACCEPT_ALL;
    finish(rib.reapplyImport(a.id));
    expect(a.accepted[0]).toBe(3);
    expect(bestOf(rib, '10.0.0.0/8')[0]?.best).toBe(true);
    expect(bestOf(rib, '10.233.1.0/24')[0]?.attr.localPref).toBeNull();
  });

  it('loop checks: our AS from eBGP, our router ID as ORIGINATOR_ID, our cluster in CLUSTER_LIST', () => {
    const { rib, source } = setup();
    const external = source('192.0.2.1', 65001, 1);
    const internal = source('192.0.2.2', 64512, 2);
    rib.announce(
      external.id,
      'ipv4-unicast',
      v4('10.1.0.0/16'),
      attrs({ asPath: [{ type: 2, asns: [65001, 64512] }] }),
      '192.0.2.1',
    );
    rib.announce(
      internal.id,
      'ipv4-unicast',
      v4('10.2.0.0/16'),
      attrs({ originatorId: '10.0.0.1' }),
      '192.0.2.2',
    );
    rib.announce(
      internal.id,
      'ipv4-unicast',
      v4('10.3.0.0/16'),
      attrs({ clusterList: ['10.9.9.9', '10.0.0.1'] }),
      '192.0.2.2',
    );
    expect(bestOf(rib, '10.1.0.0/16')[0]?.lostBecause).toBe('as-path-loop');
    expect(bestOf(rib, '10.2.0.0/16')[0]?.lostBecause).toBe('originator-loop');
    expect(bestOf(rib, '10.3.0.0/16')[0]?.lostBecause).toBe('cluster-loop');
    expect(rib.locRibCount('ipv4-unicast')).toBe(0);
  });

  it('graceful restart: stale routes stay installed, re-announced ones are fresh, the rest are swept', () => {
    const { rib, source } = setup();
    const a = source('192.0.2.1', 64512, 1);
    rib.announce(a.id, 'ipv4-unicast', v4('10.1.0.0/16', '10.2.0.0/16'), attrs(), '192.0.2.1');
    expect(finish(rib.markStale(a.id, 'ipv4-unicast'))).toBe(2);
    expect(bestOf(rib, '10.1.0.0/16')[0]).toMatchObject({ stale: true, best: true });
    rib.announce(a.id, 'ipv4-unicast', v4('10.1.0.0/16'), attrs(), '192.0.2.1');
    expect(bestOf(rib, '10.1.0.0/16')[0]?.stale).toBe(false);
    expect(finish(rib.sweepStale(a.id, 'ipv4-unicast'))).toBe(1);
    expect(bestOf(rib, '10.2.0.0/16')).toEqual([]);
    expect(rib.locRibCount('ipv4-unicast')).toBe(1);
  });

  it('an unreachable next hop makes a path ineligible until the tracker says otherwise', () => {
    const { rib, source } = setup();
    const a = source('192.0.2.1', 64512, 1);
    const b = source('192.0.2.2', 64512, 2);
    rib.announce(a.id, 'ipv4-unicast', v4('10.1.0.0/16'), attrs({ localPref: 200 }), '198.51.100.1');
    rib.announce(b.id, 'ipv4-unicast', v4('10.1.0.0/16'), attrs(), '192.0.2.2');
    const queue = rib.subscribe('ipv4-unicast');
    let reachable = false;
    finish(
      rib.setNextHopTracker({
        cost: (_family, attr) => (attr.nextHop === '198.51.100.1' && !reachable ? null : 0),
      }),
    );
    expect(bestOf(rib, '10.1.0.0/16').map((r) => [r.source.info.address, r.best, r.lostBecause])).toEqual([
      ['192.0.2.2', true, undefined],
      ['192.0.2.1', false, 'next-hop-unreachable'],
    ]);
    expect(queue.size).toBe(1);
    reachable = true;
    finish(rib.redecideAll());
    expect(bestOf(rib, '10.1.0.0/16')[0]?.source.info.address).toBe('192.0.2.1');
  });

  it('a flushed source leaves no route and no attribute set behind', () => {
    const { rib, source } = setup();
    const baseline = rib.attrs.size;
    const a = source('192.0.2.1', 64512, 1);
    for (let i = 0; i < 50; i++)
      rib.announce(a.id, 'ipv4-unicast', v4(`10.${i}.0.0/16`), attrs({ med: i }), '192.0.2.1');
    rib.announce(LOCAL_SOURCE, 'ipv4-unicast', v4('10.233.1.0/24'), { origin: 0, asPath: [] }, null);
    expect(rib.attrs.size).toBe(baseline + 51);
    finish(rib.removeSource(a.id));
    expect(rib.family('ipv4-unicast').routes.count).toBe(1);
    expect(rib.attrs.size).toBe(baseline + 1);
    expect(rib.locRibCount('ipv4-unicast')).toBe(1);
  });

  it('a flush removes exactly the routes its source had when it began, announced again or not, whatever runs between its slices', () => {
    // Slots are reused, so routes announced during a flush land both ahead of
    // and behind its marking; a second flush of the same source can start
    // while the first is still marking. Checked against a model: a flush
    // removes the prefixes the source had when the flush was created, unless
    // announced again after that.
    const random = seededRandom(7);
    for (let round = 0; round < 40; round++) {
      const { rib, source } = setup();
      const a = source('192.0.2.1', 64512, 1);
      const b = source('192.0.2.2', 64512, 2);
      const held = new Set<number>();
      const announce = (n: number) => {
        rib.announce(a.id, 'ipv4-unicast', v4(text(n)), attrs({ med: n % 3 }), '192.0.2.1');
        held.add(n);
      };
      for (let n = 0; n < 300; n++) announce(n);
      // Other routes in between, so a's routes are not all adjacent slots.
      for (let n = 0; n < 100; n++)
        rib.announce(b.id, 'ipv4-unicast', v4(text(1000 + n)), attrs(), '192.0.2.2');
      // Free some of a's slots so new routes reuse slots the marking has not reached.
      for (let n = 0; n < 300; n += 7) {
        rib.withdraw(a.id, 'ipv4-unicast', v4(text(n)));
        held.delete(n);
      }
      const jobs: { job: ReturnType<Rib['flushSource']>; doomed: Set<number> }[] = [];
      const startFlush = () =>
        jobs.push({ job: rib.flushSource(a.id, 'ipv4-unicast'), doomed: new Set(held) });
      startFlush();
      let steps = 0;
      while (jobs.length > 0 && steps++ < 20_000) {
        const action = random(10);
        if (action < 4) {
          const n = random(400);
          announce(n);
          for (const j of jobs) j.doomed.delete(n);
        } else if (action === 4 && jobs.length < 3 && steps < 2000) startFlush();
        else {
          // Jobs run in the order they were asked for (daemon/rib-jobs.ts).
          const head = jobs[0];
          if (head === undefined) break;
          if (head.job.step(1 + random(40))) {
            for (const n of head.doomed) held.delete(n);
            jobs.shift();
          }
        }
      }
      expect(jobs).toHaveLength(0);
      const left = new Set<number>();
      for (let n = 0; n < 400; n++) {
        const routes = bestOf(rib, text(n)).filter((r) => r.source.id === a.id);
        if (routes.length > 0) left.add(n);
      }
      expect([...left].sort((x, y) => x - y)).toEqual([...held].sort((x, y) => x - y));
      expect(rib.locRibCount('ipv4-unicast')).toBe(held.size + 100);
    }
  });

  it('graceful restart marked a slice at a time: the sweep removes exactly what was not announced again since the marking began', () => {
    const random = seededRandom(11);
    for (let round = 0; round < 40; round++) {
      const { rib, source } = setup();
      const a = source('192.0.2.1', 64512, 1);
      const b = source('192.0.2.2', 64512, 2);
      const held = new Set<number>();
      const announce = (n: number) => {
        rib.announce(a.id, 'ipv4-unicast', v4(text(n)), attrs({ med: n % 3 }), '192.0.2.1');
        held.add(n);
      };
      for (let n = 0; n < 300; n++) {
        announce(n);
        if (n % 3 === 0) rib.announce(b.id, 'ipv4-unicast', v4(text(1000 + n)), attrs(), '192.0.2.2');
      }
      for (let n = 0; n < 300; n += 5) {
        rib.withdraw(a.id, 'ipv4-unicast', v4(text(n)));
        held.delete(n);
      }
      // The session went down: stale from now on, unless announced again; then End-of-RIB: swept.
      const stale = new Set(held);
      const jobs = [rib.markStale(a.id, 'ipv4-unicast'), rib.sweepStale(a.id, 'ipv4-unicast')];
      // b's session goes down meanwhile: its own flush must not touch a's marks.
      jobs.splice(1, 0, rib.flushSource(b.id));
      let steps = 0;
      while (jobs.length > 0 && steps++ < 20_000) {
        if (random(3) === 0) {
          const n = random(400);
          announce(n);
          stale.delete(n);
        } else if ((jobs[0] as ReturnType<Rib['markStale']>).step(1 + random(40))) jobs.shift();
      }
      expect(jobs).toHaveLength(0);
      for (const n of stale) held.delete(n);
      const left: number[] = [];
      for (let n = 0; n < 400; n++) if (bestOf(rib, text(n)).some((r) => r.source.id === a.id)) left.push(n);
      expect(left).toEqual([...held].sort((x, y) => x - y));
      expect(rib.locRibCount('ipv4-unicast')).toBe(held.size);
      expect(bestOf(rib, text(1)).every((r) => !r.stale)).toBe(true);
    }
  });

  it('interns by the wire key: one set per distinct key, policy results and next hops kept apart', () => {
    const { rib, source } = setup();
    const a = source('192.0.2.1', 64512, 1);
    const b = source('192.0.2.2', 64512, 2, {
      importPolicy: compilePolicy([{ prefixes: ['10.9.0.0/16 le 32'], set: { localPref: 300 } }]),
    });
    const baseline = rib.attrs.size;
    const received = attrs({ nextHop: '192.0.2.9' });
    const key = Buffer.from('4iKEY', 'latin1');
    // The same key from two UPDATEs and two sources: one set.
    rib.announce(a.id, 'ipv4-unicast', v4('10.1.0.0/24'), received, '192.0.2.9', null, key);
    rib.announce(a.id, 'ipv4-unicast', v4('10.1.1.0/24'), received, '192.0.2.9', null, key);
    rib.announce(b.id, 'ipv4-unicast', v4('10.1.2.0/24'), received, '192.0.2.9', null, key);
    expect(rib.attrs.size).toBe(baseline + 1);
    // A policy that sets LOCAL_PREF makes its own set, never confused with the received one.
    rib.announce(b.id, 'ipv4-unicast', v4('10.9.0.0/24'), received, '192.0.2.9', null, key);
    expect(rib.attrs.size).toBe(baseline + 2);
    const [modified] = bestOf(rib, '10.9.0.0/24');
    expect(modified?.attr.localPref).toBe(300);
    expect(modified?.rawAttr.localPref).toBe(null);
    const [plain] = bestOf(rib, '10.1.2.0/24');
    expect(plain?.attr.localPref).toBe(null);
    // The same bytes with another next hop outside them (MP_REACH): another set.
    rib.announce(a.id, 'ipv4-unicast', v4('10.1.3.0/24'), received, '192.0.2.77', null, key);
    expect(rib.attrs.size).toBe(baseline + 3);
    expect(bestOf(rib, '10.1.3.0/24')[0]?.attr.nextHop).toBe('192.0.2.77');
    expect(bestOf(rib, '10.1.0.0/24')[0]?.attr.nextHop).toBe('192.0.2.9');
    finish(rib.flushSource(a.id));
    finish(rib.flushSource(b.id));
    expect(rib.attrs.size).toBe(baseline);
  });
});
