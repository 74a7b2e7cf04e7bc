// Runs the RIB's whole-table work (a session's routes removed, stale routes
// swept, every prefix decided again, an import policy applied again) a
// slice at a time, yielding to the event loop between slices, so a peer
// with a full table going down does not stop keepalives, other sessions or
// the control API for the second its routes take to go. Jobs run in the
// order they were asked for.

import type { RibJob } from '../rib/rib.js';
import { turnBudget } from '../util/turn-budget.js';

/** Routes or prefixes per step(); steps continue until the slice's time is up. */
const STEP_UNITS = 512;
const SLICE_MS = 4;
const RESERVED_MS = 2;

interface Queued {
  readonly job: RibJob;
  readonly onDone: ((job: RibJob) => void) | undefined;
  /** Housekeeping (id reclamation): no reserved share of a busy turn. */
  readonly background: boolean;
}

export class RibJobs {
  private readonly queue: Queued[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private closed = false;

  /** `onError`: an exception in a job (a bug): reported, and the job dropped. */
  constructor(private readonly onError: (error: unknown) => void) {}

  get pending(): number {
    return this.queue.length;
  }

  run(job: RibJob, onDone?: (job: RibJob) => void, options: { background?: boolean } = {}): void {
    if (this.closed) return;
    this.queue.push({ job, onDone, background: options.background ?? false });
    this.schedule();
  }

  /** Runs every queued job to its end now (shutdown). */
  finishAll(): void {
    while (this.queue.length > 0) this.slice(Number.POSITIVE_INFINITY);
  }

  close(): void {
    this.closed = true;
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    this.queue.length = 0;
  }

  private schedule(): void {
    if (this.scheduled !== null || this.closed) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = null;
      // At least RESERVED_MS even after the update groups spent the turn's
      // budget: a down neighbor's withdrawals or a sweep must not crawl
      // (housekeeping takes only what the budget leaves).
      const reserved = this.queue[0]?.background === true ? 0 : RESERVED_MS;
      this.slice(Math.max(turnBudget.deadline(SLICE_MS), performance.now() + reserved));
      if (this.queue.length > 0) this.schedule();
    });
  }

  private slice(deadline: number): void {
    while (this.queue.length > 0) {
      const head = this.queue[0] as Queued;
      let finished: boolean;
      try {
        finished = head.job.step(STEP_UNITS);
      } catch (error) {
        this.queue.shift();
        this.onError(error);
        continue;
      }
      if (finished) {
        this.queue.shift();
        try {
          head.onDone?.(head.job);
        } catch (error) {
          this.onError(error);
        }
      }
      if (performance.now() >= deadline) return;
    }
  }
}
