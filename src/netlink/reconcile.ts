// Decisions without a kernel: what to write for one dirty prefix, how our
// routes in a dump compare with the desired state (repairs, removals, the
// `fib diff` entries), what a notification about one of our routes means,
// and which write errors matter. Pure functions over DesiredState
// (desired.ts); they mark prefixes dirty and record what is programmed, and
// the programmer (programmer.ts) does the writing.
//
// The adoption rules (graceful restart, RFC 4724 §4.1): routes of ours found
// at start are ADOPTED and kept, wanted or not, until sweepStale(); after
// it, an owned route nobody wants is removed. A route whose next hops do not
// resolve is rightly absent: neither missing nor repaired.

import type { FibDiffEntry } from '../fib/types.js';
import { ADOPTED, type DesiredState, FAILED, type FamilyState, type HopSet, NONE, STALE } from './desired.js';

/** What programStep decided for one prefix (a number: it runs once per route on the hot path). */
export const Step = {
  /** Nothing to write. */
  none: 0,
  /** Write the desired hop set (RTM_NEWROUTE, create|replace). */
  install: 1,
  /** Delete the route (RTM_DELROUTE). */
  remove: 2,
  /** The next hops do not resolve and our route is there: delete it. */
  unresolvedRemove: 3,
  /** The next hops do not resolve and the last write had failed: forget it, nothing to write. */
  unresolvedForget: 4,
  /** The next hops do not resolve and nothing of ours is there. */
  unresolved: 5,
} as const;
export type Step = (typeof Step)[keyof typeof Step];

/** Whether a step counts as a route written (for the batch metrics and the per-turn budget). */
export function stepCounts(step: Step): boolean {
  return step !== Step.none && step !== Step.unresolved;
}

/**
 * Decides what to write for dirty prefix `p` and records it as programmed
 * (the write goes out in the same turn; a failure comes back as an error
 * reply, see writeFailed).
 */
export function programStep(state: DesiredState, family: FamilyState, p: number): Step {
  const desired = family.desiredOf(p);
  const programmed = family.programmedOf(p);
  if (desired >= 0 && desired === programmed) return Step.none;
  if (desired < 0) {
    if (programmed === NONE) return Step.none;
    if (programmed === ADOPTED && !state.swept) return Step.none; // kept until sweepStale()
    family.setProgrammed(p, NONE);
    return Step.remove;
  }
  const set = state.hopSets[desired] as HopSet;
  if (state.unresolved(set)) {
    // Nothing reaches the next hop now: no route (re-resolved on kernel changes).
    family.setProgrammed(p, NONE);
    if (programmed === NONE) return Step.unresolved;
    return programmed === FAILED ? Step.unresolvedForget : Step.unresolvedRemove;
  }
  family.setProgrammed(p, desired);
  return Step.install;
}

/** Routes in the kernel at start: ours from a previous run, kept until sweepStale(). Returns whether newly adopted. */
export function adoptOwned(family: FamilyState, p: number): boolean {
  const programmed = family.programmedOf(p);
  if (programmed !== NONE && programmed !== ADOPTED) return false;
  family.setProgrammed(p, ADOPTED);
  return true;
}

/** sweepStale(): adopted routes that nobody wanted again are marked for removal. Returns how many. */
export function sweepAdopted(state: DesiredState): number {
  state.swept = true;
  let count = 0;
  for (const family of state.families) {
    for (let p = 0; p < family.table.capacity; p++) {
      if (family.programmedOf(p) === ADOPTED && family.desiredOf(p) === NONE) {
        family.queue.mark(p);
        count++;
      }
    }
  }
  return count;
}

/**
 * Nothing is wanted any more (agent --cleanup, or a stop without Graceful
 * Restart): every owned route, adopted or written by us, is marked for
 * removal. Returns how many are in the kernel (or on their way) now.
 */
export function withdrawAll(state: DesiredState): number {
  state.swept = true;
  let count = 0;
  for (const family of state.families) {
    for (let p = 0; p < family.table.capacity; p++) {
      if (!family.holds(p)) continue;
      const owned = family.programmedOf(p) !== NONE;
      if (family.desiredOf(p) === NONE && !owned) continue;
      family.setDesired(p, NONE);
      family.queue.mark(p);
      if (owned) count++;
    }
  }
  return count;
}

/** Whether an owned route that nobody wants should go now (adopted ones wait for the sweep). */
function unwantedGoes(state: DesiredState, family: FamilyState, p: number): boolean {
  return state.swept || family.programmedOf(p) !== ADOPTED;
}

/** Forces a rewrite of `p` at the next turn: FAILED differs from every desired state. */
function markForRewrite(family: FamilyState, p: number): void {
  family.setProgrammed(p, FAILED);
  family.queue.mark(p);
}

/**
 * A wanted route is in the kernel but not as wanted: rewritten, or, when
 * nothing resolves its next hops now, removed (STALE: FAILED would take it
 * for a write that never landed and leave it there).
 */
function markPresentButWrong(state: DesiredState, family: FamilyState, p: number, set: HopSet): void {
  if (!state.unresolved(set)) {
    markForRewrite(family, p);
    return;
  }
  family.setProgrammed(p, STALE);
  family.queue.mark(p);
}

/**
 * One family's full comparison: feed it every route of ours in a dump
 * (`owned`), then, if the dump was consistent, `finish` finds the wanted
 * routes that were not there. Routes to fix are marked for rewrite.
 */
export class FamilyComparison {
  repaired = 0;
  removed = 0;
  private seen: Uint8Array;

  constructor(
    private readonly state: DesiredState,
    private readonly family: FamilyState,
  ) {
    this.seen = new Uint8Array(family.table.capacity);
  }

  /** One route of ours in the dump: prefix id `p`, next hops as `signature` (signatureOf). */
  owned(p: number, signature: string): void {
    const state = this.state;
    const family = this.family;
    if (p >= this.seen.length) {
      const grown = new Uint8Array(Math.max(family.table.capacity, p + 1));
      grown.set(this.seen);
      this.seen = grown;
    }
    this.seen[p] = 1;
    const desired = family.desiredOf(p);
    if (desired < 0) {
      if (unwantedGoes(state, family, p)) {
        markForRewrite(family, p); // FAILED with nothing desired: a delete
        this.removed++;
      }
      return;
    }
    const set = state.hopSets[desired] as HopSet;
    if (signature !== set.signature) {
      markPresentButWrong(state, family, p, set);
      this.repaired++;
    }
  }

  /** After a consistent dump (an interrupted one may have skipped routes that are there). */
  finish(): void {
    const state = this.state;
    const family = this.family;
    for (let p = 0; p < family.table.capacity; p++) {
      const desired = family.desiredOf(p);
      if (desired < 0 || this.seen[p] === 1) continue;
      if (state.unresolved(state.hopSets[desired] as HopSet)) continue; // rightly absent
      markForRewrite(family, p);
      this.repaired++;
    }
  }
}

/** One of our routes as a dump showed it, for `fib diff`. */
export interface ActualRoute {
  readonly signature: string;
  /** How `fib diff` prints it. */
  readonly text: string;
}

/** `fib diff` for one family: desired vs what a dump showed (`actual`, by prefix id). Marks nothing. */
export function diffFamily(
  state: DesiredState,
  family: FamilyState,
  actual: ReadonlyMap<number, ActualRoute>,
  describe: (set: HopSet) => string,
): FibDiffEntry[] {
  const entries: FibDiffEntry[] = [];
  for (let p = 0; p < family.table.capacity; p++) {
    const desired = family.desiredOf(p);
    const have = actual.get(p);
    if (desired < 0) {
      if (have !== undefined && unwantedGoes(state, family, p)) {
        entries.push({
          prefix: family.table.toString(p),
          problem: 'extra',
          desired: null,
          actual: have.text,
        });
      }
      continue;
    }
    const set = state.hopSets[desired] as HopSet;
    if (state.unresolved(set)) continue;
    if (have === undefined)
      entries.push({
        prefix: family.table.toString(p),
        problem: 'missing',
        desired: describe(set),
        actual: null,
      });
    else if (have.signature !== set.signature)
      entries.push({
        prefix: family.table.toString(p),
        problem: 'different',
        desired: describe(set),
        actual: have.text,
      });
  }
  return entries;
}

/**
 * Whether a notification about our route `p` needs a look: the route is
 * wanted (an unwanted one is a reconcile's business), and it is not the
 * echo of our own write (only a concern when the kernel does not filter
 * echoes for us: then a change within a second of our write is taken for
 * ours).
 */
export function notificationMatters(
  family: FamilyState,
  p: number,
  echoesFiltered: boolean,
  nowSeconds: number,
): boolean {
  if (p < 0 || family.desiredOf(p) < 0) return false;
  return echoesFiltered || nowSeconds - (family.writtenSeconds[p] as number) > 1;
}

/**
 * A wanted route of ours was changed (`signature`: how it is now) or
 * deleted outside the agent: marks it for rewrite. Returns the desired set
 * when it did (for the log), null when the route is as desired.
 */
export function repairNotified(
  state: DesiredState,
  family: FamilyState,
  p: number,
  signature: string,
  deleted: boolean,
): HopSet | null {
  const set = state.hopSets[family.desiredOf(p)] as HopSet;
  if (!deleted && signature === set.signature) return null;
  if (deleted) markForRewrite(family, p);
  else markPresentButWrong(state, family, p, set);
  return set;
}

/** -ESRCH: the route to delete was not there. */
export const ESRCH = -3;

/**
 * An error reply (negative errno) to our write for `p`. Deleting what was
 * already gone is fine; anything else is recorded as FAILED (rewritten by
 * the next reconcile). Returns whether it counts as a failure.
 */
export function writeFailed(family: FamilyState, p: number, code: number): boolean {
  if (code === 0) return false;
  if (code === ESRCH && family.desiredOf(p) === NONE) return false;
  family.setProgrammed(p, FAILED);
  return true;
}
