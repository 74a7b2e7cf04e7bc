// Loc-RIB changes to the kernel writer: for every changed prefix, what the
// kernel should have now (the installed paths' next hops as one ECMP route,
// a blackhole for RFC 7999 BLACKHOLE, nothing for our own prefixes). Changes
// are drained once per turn of the event loop, so a prefix that changed ten
// times meanwhile is written once. No object per route: next-hop sets are
// interned by the writer and cached here by next-hop text.

import { type AddressFamily, addressFamilies, familyTable } from '../bgp/family.js';
import type { KernelWriter } from '../netlink/writer.js';
import type { AttrSet } from '../rib/attribute-store.js';
import { LOCAL_SOURCE, type NextHopTracker, type Rib } from '../rib/rib.js';
import type { ChangeQueue } from '../util/change-queue.js';
import { TimeSlice } from '../util/time-slice.js';

/** The feed's time per turn (a count of prefixes took 10-30 ms on this box, more on a slower one). */
const SLICE_MS = 6;

export class FibFeed {
  private readonly queues = new Map<AddressFamily, ChangeQueue>();
  private readonly hopSets = new Map<string, number>();
  private readonly words = new Uint32Array(4);
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly rib: Rib,
    private readonly writer: KernelWriter,
    /**
     * An exception in a drain (a bug): reported, and the feed goes on with
     * the next prefixes; the writer's periodic reconcile repairs the rest.
     */
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    for (const family of addressFamilies) {
      const queue = rib.subscribe(family);
      queue.onPending = () => this.schedule();
      this.queues.set(family, queue);
      rib.markAllInstalled(family, queue);
    }
    this.schedule();
  }

  /**
   * The RIB's view of next hops: reachable as the kernel resolves them. A
   * BLACKHOLE route needs no reachable next hop (RFC 7999 §3: it is dropped).
   */
  tracker(): NextHopTracker {
    return {
      cost: (_family, attr: AttrSet) =>
        attr.nextHop === null || attr.blackhole ? 0 : this.writer.reachability(attr.nextHop),
    };
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      try {
        this.drain();
      } catch (error) {
        this.onError(error);
        this.schedule();
      }
    });
  }

  private hopSetFor(key: string, addresses: readonly string[], blackhole: boolean): number {
    let id = this.hopSets.get(key);
    if (id === undefined) {
      id = this.writer.hopSet(
        addresses.map((address) => ({ address })),
        blackhole,
      );
      this.hopSets.set(key, id);
    }
    return id;
  }

  private drain(): void {
    this.scheduled = false;
    if (this.closed) return;
    const slice = new TimeSlice(performance.now() + SLICE_MS);
    for (const family of addressFamilies) {
      const queue = this.queues.get(family) as ChangeQueue;
      const table = this.rib.family(family).prefixes;
      const version = familyTable[family].ipVersion;
      // The daemon gives the writer the RIB's tables: ids cross as they are.
      const shared = this.writer.sharesPrefixIds(version, table);
      for (;;) {
        if (slice.spent()) {
          this.schedule();
          return;
        }
        const p = queue.take();
        if (p < 0) break;
        if (shared) this.writer.setRouteOf(version, p, this.desiredHopSet(family, p));
        else {
          table.copyKey(p, this.words, 0);
          this.writer.setRoute(version, this.words, 0, table.length(p), this.desiredHopSet(family, p));
        }
      }
    }
  }

  /** The hop set the kernel should have for prefix `p`, or -1 for none. */
  private desiredHopSet(family: AddressFamily, p: number): number {
    const best = this.rib.bestRoute(family, p);
    if (best < 0) return -1;
    // Our own prefixes are already reachable locally: no kernel route for them.
    if (this.rib.routeSource(family, best).id === LOCAL_SOURCE) return -1;
    const attr = this.rib.routeAttr(family, best);
    if (attr.blackhole) return this.hopSetFor('blackhole', [], true);
    if (this.rib.installedCount(family, p) === 1) {
      const hop = attr.nextHop;
      return hop === null ? -1 : this.hopSetFor(hop, [hop], false);
    }
    const installed = this.rib.installedRoutes(family, p);
    const addresses = [
      ...new Set(
        installed
          .filter((route) => this.rib.routeSource(family, route).id !== LOCAL_SOURCE)
          .map((route) => this.rib.routeAttr(family, route).nextHop)
          .filter((hop): hop is string => hop !== null),
      ),
    ].sort();
    if (addresses.length === 0) return -1;
    return this.hopSetFor(addresses.join(','), addresses, false);
  }

  close(): void {
    this.closed = true;
    for (const [family, queue] of this.queues) {
      queue.onPending = null;
      this.rib.unsubscribe(family, queue);
    }
  }
}
