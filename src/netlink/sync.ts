// Full comparisons with the kernel, through dumps of our routes only:
// adoption at start, reconcile (on a timer, after lost messages, and on
// demand), and the fresh dumps behind `fib show` and `fib diff`. What a dump
// means is decided in reconcile.ts; this file runs the dumps and the timers.

import type { FibDiffEntry, FibEntry } from '../fib/types.js';
import { CoalescedRun } from './coalesced-run.js';
import type { DesiredState, FamilyState } from './desired.js';
import { signatureOf } from './desired.js';
import type { DumpVisitor, RouteDumps } from './dump.js';
import type { Programmer } from './programmer.js';
import { type ActualRoute, adoptOwned, diffFamily, FamilyComparison } from './reconcile.js';
import { type DumpFilter, type KernelRoute, RouteType } from './rtnetlink.js';
import type { KernelWriterMetrics, RouteOwner, WriterLog } from './types.js';
import { actualRoute, describeSet, type InterfaceNames, showEntry } from './view.js';

/** Lost messages come in bursts: one reconcile after them. */
const RECONCILE_DELAY_MS = 200;

export class RouteSync {
  /** Our routes only: with strict checking the kernel sends no others (blackholes too: any type). */
  private readonly filter: DumpFilter;
  /** Reconciles asked for by events: one at a time, one more if asked during one. */
  private readonly soon: CoalescedRun;
  private periodicTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly state: DesiredState,
    private readonly dumps: RouteDumps,
    private readonly programmer: Programmer,
    private readonly owner: RouteOwner,
    private readonly names: InterfaceNames,
    private readonly log: WriterLog,
    private readonly metrics: KernelWriterMetrics,
  ) {
    this.filter = { table: owner.table, protocol: owner.protocol, type: 0 };
    this.soon = new CoalescedRun(
      RECONCILE_DELAY_MS,
      async () => {
        await this.reconcile();
      },
      (error) => {
        // A refused dump (EBUSY, say): try again shortly.
        this.log.error({ error: String(error) }, 'kernel: reconcile failed, retrying');
        this.soon.request();
      },
    );
  }

  /** Marks the routes of ours already in the kernel as ADOPTED (see reconcile.ts). Returns how many. */
  async adopt(): Promise<number> {
    let count = 0;
    for (const family of this.state.families) {
      let found = 0;
      const restart = (): void => {
        found = 0;
      };
      await this.dumps.consistent(
        family.af,
        restart,
        this.owned((route) => {
          if (adoptOwned(family, this.prefixOf(family, route))) found++;
        }),
        this.filter,
      );
      count += found;
    }
    if (count > 0) {
      this.log.info(
        { routes: count, table: this.owner.table, protocol: this.owner.protocol },
        'kernel: keeping routes from the previous run until peers have sent theirs again',
      );
    }
    return count;
  }

  /** Reconciles every `intervalMs` (0: never). */
  startPeriodic(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.periodicTimer = setInterval(() => this.schedule(), intervalMs);
    this.periodicTimer.unref();
  }

  stop(): void {
    this.soon.stop();
    if (this.periodicTimer !== null) clearInterval(this.periodicTimer);
  }

  /** A reconcile shortly (requests in a burst, or during a reconcile, make one more). */
  schedule(): void {
    this.soon.request();
  }

  /**
   * Compares the kernel with the desired set and writes what differs:
   * missing or changed routes are put back (counted as repairs), owned routes
   * nobody wants are removed (once the initial sweep is done).
   */
  async reconcile(): Promise<{ repaired: number; removed: number }> {
    let repaired = 0;
    let removed = 0;
    for (const family of this.state.families) {
      const comparison = new FamilyComparison(this.state, family);
      const consistent = await this.dumps.dump(
        family.af,
        this.owned((route) =>
          comparison.owned(
            this.prefixOf(family, route),
            signatureOf(route.type === RouteType.blackhole, route.nextHops),
          ),
        ),
        this.filter,
      );
      // An interrupted dump may have skipped routes: do not take them for
      // deleted; look again shortly.
      if (consistent) comparison.finish();
      else this.schedule();
      repaired += comparison.repaired;
      removed += comparison.removed;
    }
    if (repaired > 0) {
      this.metrics.repaired(repaired);
      this.log.warn({ repaired }, 'kernel: routes changed or deleted outside the agent were put back');
    }
    if (removed > 0) this.log.info({ removed }, 'kernel: owned routes nobody wants were removed');
    if (repaired > 0 || removed > 0) this.programmer.schedule();
    return { repaired, removed };
  }

  async show(): Promise<readonly FibEntry[]> {
    const entries: FibEntry[] = [];
    for (const family of this.state.families) {
      await this.dumps.dump(
        family.af,
        this.owned((route) => entries.push(showEntry(route, this.names))),
        this.filter,
      );
    }
    return entries;
  }

  async diff(): Promise<readonly FibDiffEntry[]> {
    const entries: FibDiffEntry[] = [];
    for (const family of this.state.families) {
      const actual = new Map<number, ActualRoute>();
      await this.dumps.consistent(
        family.af,
        () => actual.clear(),
        this.owned((route) => actual.set(this.prefixOf(family, route), actualRoute(route, this.names))),
        this.filter,
      );
      entries.push(...diffFamily(this.state, family, actual, (set) => describeSet(set, this.names)));
    }
    return entries;
  }

  /** A dump visitor for our routes (our protocol, our table): the others are not even parsed. */
  private owned(route: (route: KernelRoute) => void): DumpVisitor {
    return {
      wants: (peek) => peek.protocol === this.owner.protocol && peek.table === this.owner.table,
      route,
    };
  }

  private prefixOf(family: FamilyState, route: KernelRoute): number {
    return this.state.prefixOf(family, route.destination, route.prefixLength);
  }
}
