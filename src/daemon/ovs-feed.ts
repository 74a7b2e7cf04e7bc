// Loc-RIB changes to the OVS flow writer: for every changed prefix, the route
// the bridge should have now, as a FibCommand (the installed paths' next hops
// as one ECMP set, a blackhole for RFC 7999 BLACKHOLE, a withdraw when there
// is no best path or the best path is our own). Like the kernel feed
// (fib-feed.ts), changes are drained once per turn of the event loop with a
// budget, so a prefix that changed ten times meanwhile is sent once and a
// full table does not stall the sessions. Next-hop lists are shared per
// next-hop set, so a route costs one command object, not an array.

import { type AddressFamily, addressFamilies, familyTable } from '../bgp/family.js';
import type { FibCommand, FibNextHop, ForwardingWriter, IpVersion } from '../fib/types.js';
import { LOCAL_SOURCE, type Rib } from '../rib/rib.js';
import type { ChangeQueue } from '../util/change-queue.js';

const PREFIXES_PER_TURN = 32_768;
const NO_HOPS: readonly FibNextHop[] = [];

export class OvsFeed {
  private readonly queues = new Map<AddressFamily, ChangeQueue>();
  private readonly hopLists = new Map<string, readonly FibNextHop[]>();
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly rib: Rib,
    private readonly writer: Pick<ForwardingWriter, 'apply'>,
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

  private drain(): void {
    this.scheduled = false;
    if (this.closed) return;
    let budget = PREFIXES_PER_TURN;
    const commands: FibCommand[] = [];
    for (const family of addressFamilies) {
      const queue = this.queues.get(family) as ChangeQueue;
      const table = this.rib.family(family).prefixes;
      const version: IpVersion = familyTable[family].ipVersion;
      while (budget > 0) {
        const p = queue.take();
        if (p < 0) break;
        budget--;
        commands.push(this.commandFor(family, version, p, table.toString(p)));
      }
    }
    if (commands.length > 0) this.writer.apply(commands);
    if (budget === 0) this.schedule();
  }

  /** What the bridge should have for prefix `p` now. */
  private commandFor(family: AddressFamily, version: IpVersion, p: number, prefix: string): FibCommand {
    const best = this.rib.bestRoute(family, p);
    // Our own prefixes are delivered locally: no flow for them.
    if (best < 0 || this.rib.routeSource(family, best).id === LOCAL_SOURCE)
      return { kind: 'withdraw', version, prefix };
    const attr = this.rib.routeAttr(family, best);
    if (attr.blackhole)
      return { kind: 'install', route: { version, prefix, nextHops: NO_HOPS, blackhole: true } };
    if (this.rib.installedCount(family, p) === 1) {
      if (attr.nextHop === null) return { kind: 'withdraw', version, prefix };
      const nextHops = this.hops(attr.nextHop, () => [attr.nextHop as string]);
      return { kind: 'install', route: { version, prefix, nextHops, blackhole: false } };
    }
    const addresses = [
      ...new Set(
        this.rib
          .installedRoutes(family, p)
          .filter((route) => this.rib.routeSource(family, route).id !== LOCAL_SOURCE)
          .map((route) => this.rib.routeAttr(family, route).nextHop)
          .filter((hop): hop is string => hop !== null),
      ),
    ].sort();
    if (addresses.length === 0) return { kind: 'withdraw', version, prefix };
    const nextHops = this.hops(addresses.join(','), () => addresses);
    return { kind: 'install', route: { version, prefix, nextHops, blackhole: false } };
  }

  /** One shared next-hop list per set of addresses (keyed by their sorted text). */
  private hops(key: string, addresses: () => readonly string[]): readonly FibNextHop[] {
    let list = this.hopLists.get(key);
    if (list === undefined) {
      list = addresses().map((address) => ({ address }));
      this.hopLists.set(key, list);
    }
    return list;
  }

  close(): void {
    this.closed = true;
    for (const [family, queue] of this.queues) {
      queue.onPending = null;
      this.rib.unsubscribe(family, queue);
    }
  }
}
