// The kernel writer's decisions without a kernel: what one dirty prefix
// needs written, how a dump of our routes compares with the desired state
// (missing, extra, different; adopted routes before and after the sweep;
// unresolved next hops rightly absent; blackholes; ECMP in any order), the
// `fib diff` entries, notifications about our routes, and which write
// errors count (and are rewritten by the next reconcile).
import { describe, expect, it } from 'vitest';
import { ADOPTED, type DesiredState, FAILED, NONE, STALE, signatureOf } from '../../src/netlink/desired.js';
import {
  adoptOwned,
  diffFamily,
  ESRCH,
  FamilyComparison,
  notificationMatters,
  programStep,
  repairNotified,
  Step,
  stepCounts,
  sweepAdopted,
  withdrawAll,
  writeFailed,
} from '../../src/netlink/reconcile.js';
import { RouteType } from '../../src/netlink/rtnetlink.js';
import { drain, ETH1, ETH2, idOf, kernelRoute, want, world } from './helpers/world.js';

/** A world with four hop sets and one prefix, 10.233.2.0/24. */
function setup() {
  const { state } = world();
  const sets = {
    ok: state.hopSet([{ address: '10.98.0.2' }], false),
    other: state.hopSet([{ address: '10.99.0.2' }], false),
    ecmp: state.hopSet([{ address: '10.99.0.2' }, { address: '10.98.0.2' }], false),
    unresolved: state.hopSet([{ address: '192.0.2.1' }], false),
    blackhole: state.hopSet([], true),
  };
  const p = idOf(state, '10.233.2.0/24');
  return { state, sets, p, family: state.v4 };
}

type SetName = 'ok' | 'other' | 'ecmp' | 'unresolved' | 'blackhole';
type Slot = SetName | 'NONE' | 'ADOPTED' | 'FAILED' | 'STALE';

function slot(sets: Record<SetName, number>, value: Slot): number {
  if (value === 'NONE') return NONE;
  if (value === 'ADOPTED') return ADOPTED;
  if (value === 'FAILED') return FAILED;
  if (value === 'STALE') return STALE;
  return sets[value];
}

describe('programStep: what one dirty prefix needs', () => {
  const cases: { desired: Slot; programmed: Slot; swept?: boolean; step: Step; after: Slot }[] = [
    { desired: 'ok', programmed: 'ok', step: Step.none, after: 'ok' },
    { desired: 'ok', programmed: 'NONE', step: Step.install, after: 'ok' },
    { desired: 'ok', programmed: 'other', step: Step.install, after: 'ok' },
    { desired: 'ok', programmed: 'FAILED', step: Step.install, after: 'ok' },
    { desired: 'ok', programmed: 'ADOPTED', step: Step.install, after: 'ok' },
    { desired: 'ecmp', programmed: 'ok', step: Step.install, after: 'ecmp' },
    { desired: 'blackhole', programmed: 'NONE', step: Step.install, after: 'blackhole' },
    { desired: 'blackhole', programmed: 'ok', step: Step.install, after: 'blackhole' },
    { desired: 'NONE', programmed: 'NONE', step: Step.none, after: 'NONE' },
    { desired: 'NONE', programmed: 'ok', step: Step.remove, after: 'NONE' },
    // FAILED with nothing desired: a reconcile found an owned route nobody wants.
    { desired: 'NONE', programmed: 'FAILED', step: Step.remove, after: 'NONE' },
    { desired: 'NONE', programmed: 'ADOPTED', swept: false, step: Step.none, after: 'ADOPTED' },
    { desired: 'NONE', programmed: 'ADOPTED', swept: true, step: Step.remove, after: 'NONE' },
    { desired: 'unresolved', programmed: 'NONE', step: Step.unresolved, after: 'NONE' },
    { desired: 'unresolved', programmed: 'ok', step: Step.unresolvedRemove, after: 'NONE' },
    { desired: 'unresolved', programmed: 'ADOPTED', step: Step.unresolvedRemove, after: 'NONE' },
    { desired: 'unresolved', programmed: 'FAILED', step: Step.unresolvedForget, after: 'NONE' },
    // Written with a resolution that changed: the kernel has it, so it goes (or is rewritten).
    { desired: 'unresolved', programmed: 'STALE', step: Step.unresolvedRemove, after: 'NONE' },
    { desired: 'ok', programmed: 'STALE', step: Step.install, after: 'ok' },
    { desired: 'NONE', programmed: 'STALE', step: Step.remove, after: 'NONE' },
  ];
  it.each(cases)('desired $desired, programmed $programmed, swept $swept: step $step', (c) => {
    const { state, sets, p, family } = setup();
    state.swept = c.swept ?? false;
    family.setDesired(p, slot(sets, c.desired));
    family.setProgrammed(p, slot(sets, c.programmed));
    expect(programStep(state, family, p)).toBe(c.step);
    expect(family.programmedOf(p)).toBe(slot(sets, c.after));
  });

  it('counts what goes to the kernel, and a forgotten failure', () => {
    expect([Step.none, Step.unresolved].map(stepCounts)).toEqual([false, false]);
    expect([Step.install, Step.remove, Step.unresolvedRemove, Step.unresolvedForget].map(stepCounts)).toEqual(
      [true, true, true, true],
    );
  });
});

describe('adoption and the sweep', () => {
  it('adopts what it has not programmed, again after an interrupted dump, and nothing it wrote', () => {
    const { sets, p, family } = setup();
    expect(adoptOwned(family, p)).toBe(true);
    expect(family.programmedOf(p)).toBe(ADOPTED);
    expect(adoptOwned(family, p)).toBe(true);
    family.setProgrammed(p, sets.ok);
    expect(adoptOwned(family, p)).toBe(false);
    expect(family.programmedOf(p)).toBe(sets.ok);
  });

  it('sweeps the adopted routes nobody wanted again, and only those', () => {
    const { state, sets } = setup();
    const family = state.v4;
    const stale = idOf(state, '10.233.8.0/24');
    const back = want(state, '10.233.9.0/24', sets.ok);
    const ours = want(state, '10.233.10.0/24', sets.ok);
    family.setProgrammed(stale, ADOPTED);
    family.setProgrammed(back, ADOPTED);
    family.setProgrammed(ours, sets.ok);
    drain(family);
    expect(sweepAdopted(state)).toBe(1);
    expect(state.swept).toBe(true);
    expect(drain(family)).toEqual(['10.233.8.0/24']);
    expect(programStep(state, family, stale)).toBe(Step.remove);
  });

  it('withdraws everything owned (agent --cleanup, a stop without Graceful Restart)', () => {
    const { state, sets } = setup();
    const family = state.v4;
    const adopted = idOf(state, '10.233.8.0/24');
    const ours = want(state, '10.233.10.0/24', sets.ok);
    const pending = want(state, '10.233.11.0/24', sets.ok);
    family.setProgrammed(adopted, ADOPTED);
    family.setProgrammed(ours, sets.ok);
    drain(family);
    family.queue.mark(pending);
    expect(withdrawAll(state)).toBe(2);
    expect(drain(family).sort()).toEqual(['10.233.10.0/24', '10.233.11.0/24', '10.233.8.0/24']);
    for (const p of [adopted, ours]) expect(programStep(state, family, p)).toBe(Step.remove);
    expect(programStep(state, family, pending)).toBe(Step.none);
  });
});

/** One comparison over a dump of `routes` (prefix -> how the kernel lists it). */
function compare(
  state: DesiredState,
  routes: Record<string, ReturnType<typeof kernelRoute>>,
  consistent = true,
): FamilyComparison {
  const comparison = new FamilyComparison(state, state.v4);
  for (const [prefix, route] of Object.entries(routes)) {
    comparison.owned(idOf(state, prefix), signatureOf(route.type === RouteType.blackhole, route.nextHops));
  }
  if (consistent) comparison.finish();
  return comparison;
}

const via = (gateway: string, ifindex: number) => ({ gateway, ifindex });

describe('FamilyComparison: desired vs a dump of our routes', () => {
  const cases: {
    name: string;
    desired: Slot;
    programmed: Slot;
    swept?: boolean;
    kernel: ReturnType<typeof kernelRoute> | null;
    consistent?: boolean;
    repaired: number;
    removed: number;
    after: Slot;
  }[] = [
    {
      name: 'in sync',
      desired: 'ok',
      programmed: 'ok',
      kernel: kernelRoute('10.233.2.0/24', [via('10.98.0.2', ETH1)]),
      repaired: 0,
      removed: 0,
      after: 'ok',
    },
    {
      name: 'missing',
      desired: 'ok',
      programmed: 'ok',
      kernel: null,
      repaired: 1,
      removed: 0,
      after: 'FAILED',
    },
    {
      name: 'missing, but the dump was interrupted',
      desired: 'ok',
      programmed: 'ok',
      kernel: null,
      consistent: false,
      repaired: 0,
      removed: 0,
      after: 'ok',
    },
    {
      name: 'different next hop',
      desired: 'ok',
      programmed: 'ok',
      kernel: kernelRoute('10.233.2.0/24', [via('10.99.0.2', ETH2)]),
      repaired: 1,
      removed: 0,
      after: 'FAILED',
    },
    {
      name: 'ECMP listed in another order',
      desired: 'ecmp',
      programmed: 'ecmp',
      kernel: kernelRoute('10.233.2.0/24', [via('10.99.0.2', ETH2), via('10.98.0.2', ETH1)]),
      repaired: 0,
      removed: 0,
      after: 'ecmp',
    },
    {
      name: 'ECMP with a member gone',
      desired: 'ecmp',
      programmed: 'ecmp',
      kernel: kernelRoute('10.233.2.0/24', [via('10.98.0.2', ETH1)]),
      repaired: 1,
      removed: 0,
      after: 'FAILED',
    },
    {
      name: 'blackhole in sync',
      desired: 'blackhole',
      programmed: 'blackhole',
      kernel: kernelRoute('10.233.2.0/24', [], { blackhole: true }),
      repaired: 0,
      removed: 0,
      after: 'blackhole',
    },
    {
      name: 'blackhole missing',
      desired: 'blackhole',
      programmed: 'blackhole',
      kernel: null,
      repaired: 1,
      removed: 0,
      after: 'FAILED',
    },
    {
      name: 'blackhole replaced by a unicast route',
      desired: 'blackhole',
      programmed: 'blackhole',
      kernel: kernelRoute('10.233.2.0/24', [via('10.98.0.2', ETH1)]),
      repaired: 1,
      removed: 0,
      after: 'FAILED',
    },
    {
      name: 'unresolved and absent: rightly absent',
      desired: 'unresolved',
      programmed: 'NONE',
      kernel: null,
      repaired: 0,
      removed: 0,
      after: 'NONE',
    },
    {
      // Nothing reaches its next hop now, yet the kernel holds it: it must go.
      name: 'unresolved but present',
      desired: 'unresolved',
      programmed: 'NONE',
      kernel: kernelRoute('10.233.2.0/24', [via('10.98.0.2', ETH1)]),
      repaired: 1,
      removed: 0,
      after: 'STALE',
    },
    {
      name: 'extra: ours, nobody wants it',
      desired: 'NONE',
      programmed: 'NONE',
      kernel: kernelRoute('10.233.2.0/24', [via('10.98.0.2', ETH1)]),
      repaired: 0,
      removed: 1,
      after: 'FAILED',
    },
    {
      name: 'extra, adopted, before the sweep: kept',
      desired: 'NONE',
      programmed: 'ADOPTED',
      swept: false,
      kernel: kernelRoute('10.233.2.0/24', [via('10.98.0.2', ETH1)]),
      repaired: 0,
      removed: 0,
      after: 'ADOPTED',
    },
    {
      name: 'extra, adopted, after the sweep: removed',
      desired: 'NONE',
      programmed: 'ADOPTED',
      swept: true,
      kernel: kernelRoute('10.233.2.0/24', [via('10.98.0.2', ETH1)]),
      repaired: 0,
      removed: 1,
      after: 'FAILED',
    },
    {
      name: 'adopted and wanted again with other next hops',
      desired: 'ok',
      programmed: 'ADOPTED',
      kernel: kernelRoute('10.233.2.0/24', [via('10.99.0.2', ETH2)]),
      repaired: 1,
      removed: 0,
      after: 'FAILED',
    },
  ];
  it.each(cases)('$name', (c) => {
    const { state, sets, p, family } = setup();
    state.swept = c.swept ?? false;
    family.setDesired(p, slot(sets, c.desired));
    family.setProgrammed(p, slot(sets, c.programmed));
    const result = compare(state, c.kernel === null ? {} : { '10.233.2.0/24': c.kernel }, c.consistent);
    expect({ repaired: result.repaired, removed: result.removed }).toEqual({
      repaired: c.repaired,
      removed: c.removed,
    });
    expect(family.programmedOf(p)).toBe(slot(sets, c.after));
    expect(drain(family)).toEqual(c.repaired + c.removed > 0 ? ['10.233.2.0/24'] : []);
    // What is marked is then written: a repair installs, a removal deletes.
    if (c.repaired + c.removed > 0) {
      const expected =
        c.removed > 0
          ? Step.remove
          : c.desired === 'unresolved'
            ? c.kernel === null
              ? Step.unresolvedForget
              : Step.unresolvedRemove
            : Step.install;
      expect(programStep(state, family, p)).toBe(expected);
    }
  });

  it('takes a prefix it never heard of for extra (interned from the dump)', () => {
    const { state } = setup();
    const result = compare(state, {
      '10.233.77.0/24': kernelRoute('10.233.77.0/24', [via('10.98.0.2', ETH1)]),
    });
    expect(result.removed).toBe(1);
    expect(drain(state.v4)).toEqual(['10.233.77.0/24']);
  });

  it('finds prefixes wanted after it started (the table grew during the dump)', () => {
    const { state, sets } = setup();
    const comparison = new FamilyComparison(state, state.v4);
    want(state, '10.233.200.0/24', sets.ok);
    drain(state.v4);
    comparison.finish();
    expect(comparison.repaired).toBe(1);
    expect(drain(state.v4)).toEqual(['10.233.200.0/24']);
  });
});

describe('failed writes', () => {
  const cases: { name: string; desired: Slot; code: number; counts: boolean }[] = [
    { name: 'an ACK', desired: 'ok', code: 0, counts: false },
    { name: 'deleting what was already gone', desired: 'NONE', code: ESRCH, counts: false },
    { name: 'ESRCH while the route is wanted', desired: 'ok', code: ESRCH, counts: true },
    { name: 'ENETUNREACH on install', desired: 'ok', code: -101, counts: true },
    { name: 'EPERM on delete', desired: 'NONE', code: -1, counts: true },
  ];
  it.each(cases)('$name counts: $counts', ({ desired, code, counts }) => {
    const { sets, p, family } = setup();
    family.setDesired(p, slot(sets, desired));
    family.setProgrammed(p, slot(sets, desired));
    expect(writeFailed(family, p, code)).toBe(counts);
    expect(family.programmedOf(p)).toBe(counts ? FAILED : slot(sets, desired));
  });

  it('are retried: the next reconcile rewrites a route whose write failed', () => {
    const { state, sets, p, family } = setup();
    family.setDesired(p, sets.ok);
    expect(programStep(state, family, p)).toBe(Step.install);
    expect(writeFailed(family, p, -101)).toBe(true);
    // Not queued at once (the kernel just refused it): the reconcile finds it missing.
    expect(drain(family)).toEqual([]);
    expect(compare(state, {}).repaired).toBe(1);
    expect(drain(family)).toEqual(['10.233.2.0/24']);
    expect(programStep(state, family, p)).toBe(Step.install);
    expect(family.programmedOf(p)).toBe(sets.ok);
  });
});

describe('fib diff', () => {
  function diff(
    desired: Slot,
    programmed: Slot,
    kernel: ReturnType<typeof kernelRoute> | null,
    swept = false,
  ) {
    const { state, sets, p, family } = setup();
    state.swept = swept;
    family.setDesired(p, slot(sets, desired));
    family.setProgrammed(p, slot(sets, programmed));
    const actual = new Map<number, { signature: string; text: string }>();
    if (kernel !== null)
      actual.set(p, {
        signature: signatureOf(kernel.type === RouteType.blackhole, kernel.nextHops),
        text: kernel.type === RouteType.blackhole ? 'blackhole' : 'via x',
      });
    return diffFamily(state, family, actual, (set) => `set ${set.key}`);
  }
  const ok = kernelRoute('10.233.2.0/24', [via('10.98.0.2', ETH1)]);
  const other = kernelRoute('10.233.2.0/24', [via('10.99.0.2', ETH2)]);

  const cases: {
    name: string;
    desired: Slot;
    programmed: Slot;
    kernel: ReturnType<typeof kernelRoute> | null;
    swept?: boolean;
    entries: unknown[];
  }[] = [
    { name: 'in sync', desired: 'ok', programmed: 'ok', kernel: ok, entries: [] },
    {
      name: 'missing',
      desired: 'ok',
      programmed: 'ok',
      kernel: null,
      entries: [{ prefix: '10.233.2.0/24', problem: 'missing', desired: 'set 10.98.0.2%', actual: null }],
    },
    {
      name: 'different',
      desired: 'ok',
      programmed: 'ok',
      kernel: other,
      entries: [
        { prefix: '10.233.2.0/24', problem: 'different', desired: 'set 10.98.0.2%', actual: 'via x' },
      ],
    },
    {
      name: 'extra',
      desired: 'NONE',
      programmed: 'NONE',
      kernel: ok,
      entries: [{ prefix: '10.233.2.0/24', problem: 'extra', desired: null, actual: 'via x' }],
    },
    { name: 'adopted before the sweep', desired: 'NONE', programmed: 'ADOPTED', kernel: ok, entries: [] },
    {
      name: 'adopted after the sweep',
      desired: 'NONE',
      programmed: 'ADOPTED',
      kernel: ok,
      swept: true,
      entries: [{ prefix: '10.233.2.0/24', problem: 'extra', desired: null, actual: 'via x' }],
    },
    { name: 'unresolved and absent', desired: 'unresolved', programmed: 'NONE', kernel: null, entries: [] },
    {
      name: 'blackhole missing',
      desired: 'blackhole',
      programmed: 'blackhole',
      kernel: null,
      entries: [{ prefix: '10.233.2.0/24', problem: 'missing', desired: 'set blackhole', actual: null }],
    },
    { name: 'nothing anywhere', desired: 'NONE', programmed: 'NONE', kernel: null, entries: [] },
  ];
  it.each(cases)('$name', (c) => {
    expect(diff(c.desired, c.programmed, c.kernel, c.swept)).toEqual(c.entries);
  });

  it('marks nothing', () => {
    const { state, sets, p, family } = setup();
    family.setDesired(p, sets.ok);
    diffFamily(state, family, new Map(), () => '');
    expect(family.programmedOf(p)).toBe(NONE);
    expect(drain(family)).toEqual([]);
  });
});

describe('notifications about our routes', () => {
  it.each([
    { name: 'unknown prefix', wanted: false, known: false, filtered: true, age: 10, matters: false },
    {
      name: 'not wanted (a reconcile removes it)',
      wanted: false,
      known: true,
      filtered: true,
      age: 10,
      matters: false,
    },
    {
      name: 'wanted, echoes filtered in the kernel',
      wanted: true,
      known: true,
      filtered: true,
      age: 0,
      matters: true,
    },
    {
      name: 'wanted, just written, unfiltered: our echo',
      wanted: true,
      known: true,
      filtered: false,
      age: 1,
      matters: false,
    },
    {
      name: 'wanted, written long ago, unfiltered',
      wanted: true,
      known: true,
      filtered: false,
      age: 2,
      matters: true,
    },
  ])('$name: $matters', ({ wanted, known, filtered, age, matters }) => {
    const { sets, p, family } = setup();
    family.setDesired(p, wanted ? sets.ok : NONE);
    family.writtenSeconds[p] = 100;
    expect(notificationMatters(family, known ? p : -1, filtered, 100 + age)).toBe(matters);
  });

  it.each([
    { name: 'deleted', kernel: ok(), deleted: true, repair: true },
    {
      name: 'changed',
      kernel: kernelRoute('10.233.2.0/24', [via('10.99.0.2', ETH2)]),
      deleted: false,
      repair: true,
    },
    { name: 'as desired (someone re-added it)', kernel: ok(), deleted: false, repair: false },
  ])('$name: repair $repair', ({ kernel, deleted, repair }) => {
    const { state, sets, p, family } = setup();
    family.setDesired(p, sets.ok);
    family.setProgrammed(p, sets.ok);
    const set = repairNotified(state, family, p, signatureOf(false, kernel.nextHops), deleted);
    expect(set?.id ?? null).toBe(repair ? sets.ok : null);
    expect(family.programmedOf(p)).toBe(repair ? FAILED : sets.ok);
    expect(drain(family)).toEqual(repair ? ['10.233.2.0/24'] : []);
  });

  function ok() {
    return kernelRoute('10.233.2.0/24', [via('10.98.0.2', ETH1)]);
  }
});
