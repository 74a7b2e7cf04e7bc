// Routed mode needs each next hop's MAC. The compiler notes next hops it has
// no MAC for (DesiredState.wantedNeighbors); this resolves them through a
// NeighborResolver, off the write path (a missing neighbour can take a
// second to resolve; the other routes are written meanwhile), and feeds the
// answers back, which recompiles what they change. A resolver that pushes
// changes (a MAC moved) and a refresh timer keep the MACs current.
import type { DesiredState } from './desired.js';
import type { NeighborResolver } from './neighbors.js';
import type { OvsLogger } from './types.js';

export class NeighborSync {
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly known = new Map<string, string | null>();
  private stopped = false;

  constructor(
    private readonly resolver: NeighborResolver | null,
    private readonly desired: DesiredState,
    private readonly logger: OvsLogger,
    /** Called after answers changed the desired state. */
    private readonly changed: () => void,
  ) {}

  start(refreshMs: number): void {
    this.stopped = false;
    this.unsubscribe =
      this.resolver?.subscribe?.((address) => {
        this.desired.wantedNeighbors.add(address);
        this.kick();
      }) ?? null;
    if (refreshMs > 0) {
      this.timer = setInterval(() => {
        for (const address of this.desired.neighborAddresses()) this.desired.wantedNeighbors.add(address);
        this.kick();
      }, refreshMs);
      this.timer.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** True while next hops wait to be resolved. */
  get busy(): boolean {
    return this.running !== null || this.desired.wantedNeighbors.size > 0;
  }

  /** Resolves what is wanted (one round at a time); resolves when nothing is left. */
  kick(): Promise<void> {
    if (this.running === null && !this.stopped && this.desired.wantedNeighbors.size > 0) {
      this.running = this.loop().finally(() => {
        this.running = null;
        this.changed();
      });
    }
    return this.running ?? Promise.resolve();
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.desired.wantedNeighbors.size > 0) {
      const addresses = [...this.desired.wantedNeighbors];
      this.desired.wantedNeighbors.clear();
      const resolver = this.resolver;
      const answers = await Promise.all(
        addresses.map(async (address) => {
          const mac = resolver === null ? null : await resolver.resolve(address).catch(() => null);
          return [address, mac] as const;
        }),
      );
      if (this.stopped) return;
      for (const [address, mac] of answers) {
        const before = this.known.get(address);
        if (before !== undefined && before !== mac) {
          if (mac === null)
            this.logger.warn(
              { nextHop: address, was: before },
              'ovs: next hop lost its MAC; its routes wait',
            );
          else this.logger.info({ nextHop: address, mac, was: before }, 'ovs: next-hop MAC changed');
        } else if (before === undefined && mac === null) {
          this.logger.warn(
            { nextHop: address },
            'ovs: next hop has no MAC in the neighbour table; its routes wait',
          );
        }
        this.known.set(address, mac);
      }
      this.desired.setNeighborMacs(new Map(answers));
      this.changed();
    }
  }
}
