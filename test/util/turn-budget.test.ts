import { describe, expect, it } from 'vitest';
import { TurnBudget } from '../../src/util/turn-budget.js';

/** A fake clock and a fake "next turn": the test says when time passes and when a turn ends. */
function harness(budgetMs = 8, minSliceMs = 0.5) {
  let now = 1000;
  let pending: (() => void)[] = [];
  const budget = new TurnBudget(
    budgetMs,
    minSliceMs,
    () => now,
    (reset) => pending.push(reset),
  );
  return {
    budget,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
    nextTurn: () => {
      const resets = pending;
      pending = [];
      for (const reset of resets) reset();
    },
  };
}

describe('TurnBudget', () => {
  it('one source gets what it asks for within the budget', () => {
    const h = harness();
    expect(h.budget.deadline(4) - h.now()).toBe(4);
  });

  it('ten sources in one turn share the budget: the turn stays near 8 ms, not 10 x 8', () => {
    const h = harness();
    const start = h.now();
    for (let source = 0; source < 10; source++) {
      // Each works until its deadline (compute, then write: two slices).
      h.advance(h.budget.deadline(4) - h.now());
      h.advance(h.budget.deadline(4) - h.now());
    }
    // 8 ms of budget, then 0.5 ms per slice for the rest (progress for each).
    expect(h.now() - start).toBeLessThanOrEqual(8 + 20 * 0.5);
    expect(h.now() - start).toBeGreaterThanOrEqual(8);
  });

  it('the next turn starts with a full budget again', () => {
    const h = harness();
    h.advance(h.budget.deadline(20) - h.now());
    expect(h.budget.deadline(4) - h.now()).toBe(0.5);
    h.nextTurn();
    h.advance(1);
    expect(h.budget.deadline(4) - h.now()).toBe(4);
  });

  it('a source that asks for less than is left gets what it asked for', () => {
    const h = harness();
    h.advance(h.budget.deadline(3) - h.now());
    expect(h.budget.deadline(2) - h.now()).toBe(2);
    expect(h.budget.deadline(10) - h.now()).toBe(5);
  });
});
