// One budget per turn of the event loop for the agent's background work (the
// update groups' encoding and writing, the RIB's whole-table jobs). Each
// source used to take its own fixed slice, so a turn grew with the number of
// sources: ten update groups with different policies made a turn of some
// 80 ms, and a control request, which needs two or three turns (accept,
// read, reply), waited for all of them. Now the sources that run in one turn
// share TURN_BUDGET_MS; each still gets MIN_SLICE_MS, so none starves. BGP
// input has its own share (src/bgp/input-pacer.ts): it runs in the poll
// phase, before this work in the check phase.

/** Background work per turn, all sources together (besides BGP input's own share). */
export const TURN_BUDGET_MS = 8;
/** What every source gets even when the turn's budget is spent: progress for each. */
export const MIN_SLICE_MS = 0.5;

export class TurnBudget {
  /** Start of the current turn's background work, or -1 before the first slice of a turn. */
  private turnStart = -1;

  constructor(
    private readonly budgetMs: number,
    private readonly minSliceMs: number,
    private readonly now: () => number,
    /** Runs `reset` at the next turn, before that turn's work (setImmediate: queued behind this turn's). */
    private readonly atNextTurn: (reset: () => void) => void,
  ) {}

  /** Milliseconds of this turn's budget not yet used (the whole budget before the turn's first slice). */
  left(): number {
    return this.turnStart < 0 ? this.budgetMs : this.turnStart + this.budgetMs - this.now();
  }

  /** When a slice that would like `wantedMs` must stop: within the turn's budget, but at least minSliceMs from now. */
  deadline(wantedMs: number): number {
    const now = this.now();
    if (this.turnStart < 0) {
      this.turnStart = now;
      this.atNextTurn(() => {
        this.turnStart = -1;
      });
    }
    const left = this.turnStart + this.budgetMs - now;
    return now + Math.max(this.minSliceMs, Math.min(wantedMs, left));
  }
}

/** The process's budget: every background source shares it. */
export const turnBudget = new TurnBudget(
  TURN_BUDGET_MS,
  MIN_SLICE_MS,
  () => performance.now(),
  (reset) => setImmediate(reset),
);
