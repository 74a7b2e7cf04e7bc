// The kernel writer's desired state without a kernel: next-hop sets are
// interned and resolved against the kernel view (connected, recursive,
// unresolved, blackhole), their signature matches the kernel's own listing
// whatever the order, and route changes mark prefixes dirty once.
import { describe, expect, it } from 'vitest';
import { ADOPTED, FAILED, FamilyState, NONE, STALE, signatureOf } from '../../src/netlink/desired.js';
import { programStep, Step } from '../../src/netlink/reconcile.js';
import { RESERVED_ENTRIES } from '../../src/util/capacity.js';
import { drain, ETH1, ETH2, idOf, kernelRoute, prefixWords, want, world } from './helpers/world.js';

const hop = (address: string, interfaceName?: string) =>
  interfaceName === undefined ? { address } : { address, interfaceName };

describe('hop sets', () => {
  it('interns a set once, whatever the order of its next hops', () => {
    const { state } = world();
    const a = state.hopSet([hop('10.98.0.2'), hop('10.99.0.2')], false);
    expect(state.hopSet([hop('10.99.0.2'), hop('10.98.0.2')], false)).toBe(a);
    expect(state.hopSet([hop('10.98.0.2')], false)).not.toBe(a);
    // The interface is part of the key (an IPv6 link-local next hop needs it).
    expect(state.hopSet([hop('fe80::2', 'eth1')], false)).not.toBe(state.hopSet([hop('fe80::2')], false));
  });

  it('interns every blackhole as one set, next hops or not', () => {
    const { state } = world();
    const blackhole = state.hopSet([], true);
    expect(state.hopSet([hop('10.98.0.2')], true)).toBe(blackhole);
    const set = state.hopSets[blackhole];
    expect(set?.signature).toBe('blackhole');
    expect(set?.resolved).toEqual([]);
    expect(state.unresolved(set!)).toBe(false);
  });

  const cases: {
    name: string;
    hops: { address: string; interfaceName?: string }[];
    signature: string;
    unresolved: boolean;
  }[] = [
    { name: 'connected', hops: [hop('10.98.0.2')], signature: '10.98.0.2@2', unresolved: false },
    {
      name: 'recursive through another protocol’s route',
      hops: [hop('10.50.1.1')],
      signature: '10.98.0.254@2',
      unresolved: false,
    },
    { name: 'on a down link', hops: [hop('10.97.0.2')], signature: '', unresolved: true },
    { name: 'nowhere', hops: [hop('192.0.2.1')], signature: '', unresolved: true },
    { name: 'IPv6 connected', hops: [hop('fd98::2')], signature: 'fd98::2@2', unresolved: false },
    {
      name: 'IPv6 link-local with its interface',
      hops: [hop('fe80::2', 'eth1')],
      signature: 'fe80::2@2',
      unresolved: false,
    },
    { name: 'IPv6 link-local without one', hops: [hop('fe80::2')], signature: '', unresolved: true },
    {
      name: 'ECMP, listed in any order',
      hops: [hop('10.99.0.2'), hop('10.98.0.2')],
      signature: '10.98.0.2@2,10.99.0.2@3',
      unresolved: false,
    },
    {
      name: 'ECMP with one unresolved member',
      hops: [hop('192.0.2.1'), hop('10.98.0.2')],
      signature: '10.98.0.2@2',
      unresolved: false,
    },
    {
      name: 'two next hops behind one gateway are one kernel next hop',
      hops: [hop('10.50.1.1'), hop('10.50.2.2')],
      signature: '10.98.0.254@2',
      unresolved: false,
    },
  ];
  it.each(cases)('resolves $name', ({ hops, signature, unresolved }) => {
    const { state } = world();
    const set = state.hopSets[state.hopSet(hops, false)]!;
    expect(set.signature).toBe(signature);
    expect(state.unresolved(set)).toBe(unresolved);
  });

  it('has the signature of the kernel’s own listing of the route, in either order', () => {
    const { state } = world();
    const set = state.hopSets[state.hopSet([hop('10.98.0.2'), hop('10.99.0.2')], false)]!;
    const listed = (order: { gateway: string; ifindex: number }[]) =>
      kernelRoute('10.233.2.0/24', order).nextHops;
    const a = { gateway: '10.98.0.2', ifindex: ETH1 };
    const b = { gateway: '10.99.0.2', ifindex: ETH2 };
    expect(signatureOf(false, listed([a, b]))).toBe(set.signature);
    expect(signatureOf(false, listed([b, a]))).toBe(set.signature);
    expect(signatureOf(false, listed([a]))).not.toBe(set.signature);
    expect(signatureOf(true, listed([a, b]))).toBe('blackhole');
    // A device route (no gateway) is not a gateway route.
    expect(signatureOf(false, [{ gateway: null, ifindex: ETH1 }])).toBe('-@2');
  });
});

describe('setRoute', () => {
  it('marks a prefix once per change, and not for the same hop set again', () => {
    const { state } = world();
    const set = state.hopSet([hop('10.98.0.2')], false);
    const p = want(state, '10.233.2.0/24', set);
    want(state, '10.233.2.0/24', set);
    expect(state.v4.desiredOf(p)).toBe(set);
    expect(state.pending).toBe(1);
    expect(drain(state.v4)).toEqual(['10.233.2.0/24']);
    want(state, '10.233.2.0/24', set);
    expect(state.pending).toBe(0);
    want(state, '10.233.2.0/24', NONE);
    expect(state.v4.desiredOf(p)).toBe(NONE);
    expect(drain(state.v4)).toEqual(['10.233.2.0/24']);
  });

  it('counts the prefixes programmed with one of our hop sets as their state changes', () => {
    const { state } = world();
    const set = state.hopSet([hop('10.98.0.2')], false);
    const other = state.hopSet([hop('10.99.0.2')], false);
    const a = want(state, '10.233.2.0/24', set);
    const b = want(state, '10.233.3.0/24', set);
    expect(state.v4.installed).toBe(0);
    state.v4.setProgrammed(a, set);
    state.v4.setProgrammed(b, ADOPTED);
    expect(state.v4.installed).toBe(1);
    state.v4.setProgrammed(a, other);
    state.v4.setProgrammed(b, set);
    expect(state.v4.installed).toBe(2);
    state.v4.setProgrammed(a, FAILED);
    state.v4.setProgrammed(b, STALE);
    state.v4.setProgrammed(b, NONE);
    expect(state.v4.installed).toBe(0);
  });

  it('ignores the withdrawal of a prefix it never had (and does not intern it)', () => {
    const { state } = world();
    expect(want(state, '10.233.9.0/24', NONE)).toBe(-1);
    expect(state.v4.table.capacity).toBe(0);
    expect(state.pending).toBe(0);
  });

  it('refuses a hop set it did not hand out', () => {
    const { state } = world();
    const { words } = prefixWords(state, '10.233.2.0/24');
    expect(() => state.setRoute(4, words, 0, 24, 7)).toThrow('unknown hop set 7');
  });

  it('keeps IPv4 and IPv6 apart', () => {
    const { state } = world();
    const set = state.hopSet([hop('fd98::2')], false);
    const p = want(state, 'fd00:233:2::/64', set);
    expect(state.v6.desiredOf(p)).toBe(set);
    expect(drain(state.v6)).toEqual(['fd00:233:2::/64']);
    expect(drain(state.v4)).toEqual([]);
    expect(state.familyOf(10)).toBe(state.v6);
    expect(state.familyOf(2)).toBe(state.v4);
  });
});

describe('resolveAgain', () => {
  it('marks every wanted prefix when a set resolves differently', () => {
    const { view, state } = world();
    const set = state.hopSet([hop('10.98.0.2')], false);
    const blackhole = state.hopSet([], true);
    want(state, '10.233.2.0/24', set);
    want(state, '10.233.3.0/24', blackhole);
    want(state, '10.233.4.0/24', set);
    want(state, '10.233.4.0/24', NONE);
    drain(state.v4);
    view.interfaces.set(ETH1, { index: ETH1, name: 'eth1', up: false });
    expect(state.resolveAgain()).toBe(true);
    expect(state.unresolved(state.hopSets[set]!)).toBe(true);
    expect(drain(state.v4)).toEqual(['10.233.2.0/24', '10.233.3.0/24']);
  });

  it('a route written with the old resolution is stale: rewritten, or removed when nothing resolves now', () => {
    const { view, state } = world();
    const set = state.hopSet([hop('10.98.0.2')], false);
    const p = want(state, '10.233.2.0/24', set);
    drain(state.v4);
    expect(programStep(state, state.v4, p)).toBe(Step.install);
    view.interfaces.set(ETH1, { index: ETH1, name: 'eth1', up: false });
    expect(state.resolveAgain()).toBe(true);
    expect(state.v4.programmedOf(p)).toBe(STALE);
    // Before this fix the step was "none": desired and programmed were the same set.
    expect(programStep(state, state.v4, p)).toBe(Step.unresolvedRemove);
    expect(state.v4.programmedOf(p)).toBe(NONE);
  });

  it('marks nothing when every set resolves as before', () => {
    const { state } = world();
    want(state, '10.233.2.0/24', state.hopSet([hop('10.98.0.2')], false));
    drain(state.v4);
    expect(state.resolveAgain()).toBe(false);
    expect(state.pending).toBe(0);
  });
});

describe('FamilyState', () => {
  it('grows its arrays past the first thousand prefixes with NONE in the new slots', () => {
    const family = new FamilyState(4);
    family.setDesired(3, 5);
    family.writtenSeconds[3] = 9;
    family.ensure(5000);
    expect(family.capacity).toBeGreaterThan(5000);
    expect(family.desiredOf(3)).toBe(5);
    expect(family.writtenSeconds[3]).toBe(9);
    expect(family.desiredOf(5000)).toBe(NONE);
    expect(family.programmedOf(4999)).toBe(NONE);
  });

  it('jumps to reserved room past 64k prefixes, where every new slot reads NONE', () => {
    const family = new FamilyState(4);
    family.setProgrammed(70, 2);
    family.ensure(70_000);
    expect(family.capacity).toBe(RESERVED_ENTRIES);
    expect(family.programmedOf(70)).toBe(2);
    expect(family.desiredOf(RESERVED_ENTRIES - 1)).toBe(NONE);
    expect(family.programmedOf(RESERVED_ENTRIES + 5)).toBe(NONE);
  });

  it('stores states in two octets a prefix, and four once a hop-set id does not fit, keeping every value', () => {
    const family = new FamilyState(4);
    const key = new Uint32Array(1);
    const ids = [0, 1, 2, 3, 4].map((n) => {
      key[0] = (0x0ae90000 + n * 256) >>> 0;
      return family.intern(key, 0, 24);
    });
    const [a = 0, b = 0, c = 0, d = 0, e = 0] = ids;
    family.setDesired(a, 7);
    family.setProgrammed(a, 7);
    family.setProgrammed(b, ADOPTED);
    family.setProgrammed(c, FAILED);
    family.setProgrammed(d, STALE);
    family.setDesired(d, 65_531); // the largest that fits
    expect(family.stateWidth).toBe(2);
    family.setDesired(e, 65_532);
    expect(family.stateWidth).toBe(4);
    expect([a, b, c, d, e].map((p) => [family.desiredOf(p), family.programmedOf(p)])).toEqual([
      [7, 7],
      [NONE, ADOPTED],
      [NONE, FAILED],
      [65_531, STALE],
      [65_532, NONE],
    ]);
    family.ensure(70_000);
    expect(family.desiredOf(e)).toBe(65_532);
    expect(family.desiredOf(69_999)).toBe(NONE);
  });

  it('hands back the ids of prefixes neither wanted, installed nor queued; the others stay', () => {
    const { state } = world();
    const set = state.hopSet([hop('10.98.0.2')], false);
    const gone = want(state, '10.233.1.0/24', set);
    const kept = want(state, '10.233.2.0/24', set);
    drain(state.v4);
    state.v4.setProgrammed(gone, NONE);
    want(state, '10.233.1.0/24', NONE);
    expect(state.v4.reclaim()).toBe(0); // still queued: its removal is not written yet
    drain(state.v4);
    state.v4.setProgrammed(kept, set);
    expect(state.v4.reclaim()).toBe(1);
    expect(state.v4.table.isLive(gone)).toBe(false);
    expect(state.v4.table.isLive(kept)).toBe(true);
    // The id goes to the next new prefix.
    expect(want(state, '10.233.3.0/24', set)).toBe(gone);
  });

  it('interns the prefix of a dumped route with a slot for it', () => {
    const { state } = world();
    const p = idOf(state, '10.233.7.0/24');
    expect(state.v4.table.toString(p)).toBe('10.233.7.0/24');
    expect(state.v4.programmedOf(p)).toBe(NONE);
    expect(idOf(state, '10.233.7.0/24')).toBe(p);
  });
});
