// agentctl monitor's sources: best-path changes from the Loc-RIB and session
// state changes from the speaker, fanned out to each watcher. A watcher of
// the RIB gets its own change queues, so a prefix that flaps while the
// watcher's socket is busy is reported once, as it is by then (memory stays
// bounded by the table, never by the rate of change).

import type { MonitorEvent, MonitorKind } from '../api/types.js';
import { type AddressFamily, addressFamilies } from '../bgp/family.js';
import type { Rib } from '../rib/rib.js';
import type { ChangeQueue } from '../util/change-queue.js';
import { bestPathJson } from './rib-query.js';

/** Prefixes reported per turn of the event loop, per watcher: sessions get the rest. */
const PREFIXES_PER_TURN = 4096;

type Emit = (event: MonitorEvent) => void;

export class Monitors {
  private readonly neighborWatchers = new Set<Emit>();

  constructor(private readonly rib: Rib) {}

  /** The speaker's stateChanged, for the watchers of neighbors. */
  neighborChanged(neighbor: string, from: string, to: string, reason: string | null): void {
    if (this.neighborWatchers.size === 0) return;
    const event: MonitorEvent = {
      type: 'neighbor',
      time: new Date().toISOString(),
      neighbor,
      from,
      to,
      reason,
    };
    for (const emit of [...this.neighborWatchers]) emit(event);
  }

  watch(kinds: readonly MonitorKind[], emit: Emit): () => void {
    const stops: (() => void)[] = [];
    if (kinds.includes('neighbor')) {
      this.neighborWatchers.add(emit);
      stops.push(() => this.neighborWatchers.delete(emit));
    }
    if (kinds.includes('rib')) stops.push(this.watchRib(emit));
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      for (const stop of stops) stop();
    };
  }

  private watchRib(emit: Emit): () => void {
    const queues = new Map<AddressFamily, ChangeQueue>();
    let scheduled = false;
    let closed = false;
    const drain = (): void => {
      scheduled = false;
      if (closed) return;
      let budget = PREFIXES_PER_TURN;
      for (const [family, queue] of queues) {
        const table = this.rib.family(family).prefixes;
        while (budget > 0 && !closed) {
          const p = queue.take();
          if (p < 0) break;
          budget--;
          emit({
            type: 'rib',
            time: new Date().toISOString(),
            family,
            prefix: table.toString(p),
            best: bestPathJson(this.rib, family, p),
          });
        }
      }
      if (budget === 0) schedule();
    };
    const schedule = (): void => {
      if (scheduled || closed) return;
      scheduled = true;
      setImmediate(drain);
    };
    for (const family of addressFamilies) {
      const queue = this.rib.subscribe(family);
      queue.onPending = schedule;
      queues.set(family, queue);
    }
    return () => {
      closed = true;
      for (const [family, queue] of queues) {
        queue.onPending = null;
        this.rib.unsubscribe(family, queue);
      }
    };
  }
}
