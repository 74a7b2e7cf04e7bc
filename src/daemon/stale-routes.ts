// One neighbor's stale routes: runs the Graceful Restart and Enhanced Route
// Refresh machines (src/bgp/graceful-restart.ts, enhanced-refresh.ts) and
// carries out their actions on the RIB and on the neighbor's timers. The
// machines decide; this only executes, and feeds timer expiries back.

import * as refresh from '../bgp/enhanced-refresh.js';
import type { AddressFamily } from '../bgp/family.js';
import type { DownReason } from '../bgp/fsm.js';
import * as restart from '../bgp/graceful-restart.js';
import type { NegotiatedSession } from '../bgp/negotiation.js';
import type { LogSink } from '../log/logger.js';
import type { Rib } from '../rib/rib.js';
import type { NamedTimers } from './named-timers.js';
import type { RibJobs } from './rib-jobs.js';

export class StaleRoutes {
  private gracefulRestart = restart.initialGracefulRestartState;
  private enhancedRefresh = refresh.initialEnhancedRefreshState;

  constructor(
    private readonly rib: Rib,
    private readonly sourceId: number,
    private readonly neighbor: string,
    private readonly timers: NamedTimers,
    /** Removals of many routes run here, a slice at a time. */
    private readonly jobs: RibJobs,
    private readonly log: LogSink,
    /** Read at each step: a reload may change it. */
    private readonly staleRoutesTimeSeconds: () => number,
    /** Graceful Restart no longer keeps any family stale (after it kept one). */
    private readonly released: () => void = () => {},
  ) {}

  /** Families whose routes are kept as stale by Graceful Restart now. */
  get staleFamilies(): readonly AddressFamily[] {
    return [...this.gracefulRestart.stale.keys()];
  }

  /** The session came up: families not preserved across a restart go, the others wait for End-of-RIB. */
  established(negotiated: NegotiatedSession): void {
    const preserved = new Set<AddressFamily>();
    for (const [family, f] of negotiated.gracefulRestart?.families ?? [])
      if (f.forwardingPreserved) preserved.add(family);
    this.restartEvent({ type: 'established', families: negotiated.families, preserved });
  }

  /** The session `negotiated` (null if it never got there) ended for `reason`. */
  down(reason: DownReason, negotiated: NegotiatedSession | null): void {
    this.refreshEvent({ type: 'session-down' });
    const capability = negotiated?.gracefulRestart ?? null;
    this.restartEvent({
      type: 'session-down',
      // RFC 4724 §4.2: a session that ends without a NOTIFICATION (TCP closed
      // or reset, or a new connection from the restarted peer) keeps its routes.
      connectionFailed: reason.kind === 'connection-failed',
      families: negotiated?.families ?? [],
      peerCapability:
        capability === null
          ? null
          : {
              restartTimeSeconds: capability.restartTimeSeconds,
              families: new Set(capability.families.keys()),
            },
    });
  }

  restartEvent(event: restart.GracefulRestartEvent): void {
    const keptBefore = this.gracefulRestart.stale.size > 0;
    this.stepRestart(event);
    if (keptBefore && this.gracefulRestart.stale.size === 0) this.released();
  }

  private stepRestart(event: restart.GracefulRestartEvent): void {
    const result = restart.step(
      { staleRoutesTimeSeconds: this.staleRoutesTimeSeconds() },
      this.gracefulRestart,
      event,
    );
    this.gracefulRestart = result.state;
    for (const action of result.actions) {
      switch (action.type) {
        case 'mark-stale': {
          const family = action.family;
          const restartTimeSeconds =
            event.type === 'session-down' ? event.peerCapability?.restartTimeSeconds : undefined;
          // Marked a slice at a time; a sweep asked for later runs after it.
          this.jobs.run(this.rib.markStale(this.sourceId, family), (job) =>
            this.log.info(
              { neighbor: this.neighbor, family, routes: job.done, restartTimeSeconds },
              'graceful restart: keeping routes as stale',
            ),
          );
          break;
        }
        case 'flush':
          this.jobs.run(this.rib.flushSource(this.sourceId, action.family));
          break;
        case 'flush-all':
          this.jobs.run(this.rib.flushSource(this.sourceId));
          break;
        case 'sweep':
          this.sweep(action.family, action.why);
          break;
        case 'start-timer': {
          const timer = action.timer;
          this.timers.start(`gr ${restart.timerName(timer)}`, action.seconds * 1000, () =>
            this.restartEvent({ type: 'timer-expired', timer }),
          );
          break;
        }
        case 'stop-timer':
          this.timers.stop(`gr ${restart.timerName(action.timer)}`);
          break;
        default: {
          const unreachable: never = action;
          throw new Error(`unknown graceful restart action ${JSON.stringify(unreachable)}`);
        }
      }
    }
  }

  refreshEvent(event: refresh.EnhancedRefreshEvent): void {
    const result = refresh.step(
      { staleRoutesTimeSeconds: this.staleRoutesTimeSeconds() },
      this.enhancedRefresh,
      event,
    );
    this.enhancedRefresh = result.state;
    for (const action of result.actions) {
      const timer = `err stale ${action.family}`;
      switch (action.type) {
        case 'mark-stale':
          this.jobs.run(this.rib.markStale(this.sourceId, action.family));
          break;
        case 'sweep':
          this.sweep(action.family, action.why);
          break;
        case 'start-stale-timer': {
          const family = action.family;
          this.timers.start(timer, action.seconds * 1000, () =>
            this.refreshEvent({ type: 'stale-timer-expired', family }),
          );
          break;
        }
        case 'stop-stale-timer':
          this.timers.stop(timer);
          break;
        default: {
          const unreachable: never = action;
          throw new Error(`unknown enhanced route refresh action ${JSON.stringify(unreachable)}`);
        }
      }
    }
  }

  private sweep(family: AddressFamily, why: string): void {
    this.jobs.run(this.rib.sweepStale(this.sourceId, family), (job) =>
      this.log.info({ neighbor: this.neighbor, family, removed: job.done }, `stale routes swept: ${why}`),
    );
  }
}
