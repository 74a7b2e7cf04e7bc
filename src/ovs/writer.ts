// The OVS flow writer: the ForwardingWriter the daemon feeds with route
// commands, wired from small parts:
//
//   apply(commands) ─► DesiredState (desired.ts: next-hop sets, compiled actions, dirty prefixes)
//   OVSDB monitor (ovsdb/watcher.ts) ─► bridge ports ─► recompile   ◄─ next-hop MACs (neighbor-sync.ts)
//   OpenflowSession (session.ts) ─► connection, reconnect with backoff, FLOW_REMOVED
//   Pump (pump.ts) ─► full sync (dump.ts) + chunks planned (reconcile.ts) and written as ONF bundles
//   show()/diff() ─► fresh dumps formatted by view.ts
//
// Nothing here throws to the caller for a switch that is missing or
// misbehaving: it is logged, counted and retried, and the BGP side goes on.
import type { FibCommand, FibDiffEntry, FibEntry, ForwardingWriter } from '../fib/types.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { GroupIdAllocator, groupIdRange } from './compile.js';
import { DesiredState } from './desired.js';
import { dumpFlowsForShow, dumpGroups, dumpInstalled } from './dump.js';
import { NeighborSync } from './neighbor-sync.js';
import { type NeighborResolver, NetlinkNeighborResolver } from './neighbors.js';
import type { OpenflowConnection, OpenflowConnectionOptions } from './openflow/connection.js';
import type { BridgeFacts } from './ovsdb/facts.js';
import { BridgeWatcher } from './ovsdb/watcher.js';
import { parsePrefixInto, prefixVersion } from './prefix.js';
import { Pump } from './pump.js';
import { OpenflowSession } from './session.js';
import { openflowTarget } from './target.js';
import { noopMetrics, type OvsLogger, type OvsMetrics, type OvsStatus, silentLogger } from './types.js';
import { diffEntries, showEntries } from './view.js';

/** The `fib.ovs` configuration (src/config/load.ts OvsFibConfig has this shape). */
export interface OvsWriterConfig {
  readonly enabled: boolean;
  readonly bridge: string;
  readonly table: number;
  readonly mode: 'routed' | 'tunnel';
  /** unix:PATH or tcp:HOST:PORT; null: `<dir of the ovsdb socket>/<bridge>.mgmt`. */
  readonly openflow: string | null;
  readonly ovsdb: string;
  readonly uplinkPort: string | null;
  readonly tunnelPort: string | null;
  readonly cookie: bigint;
}

/** How long sweepStale() waits for wanted routes that do not compile yet. */
const SWEEP_WAIT_MS = 10_000;

export interface OvsWriterOptions {
  /** Prefixes per bundle; default 50,000. */
  readonly batchSize?: number;
  /** Full dump-and-converge this often; default 60 s (0: only at connect). */
  readonly reconcileIntervalMs?: number;
  /** Next-hop MACs are asked for again this often; default 30 s (0: never). */
  readonly neighborRefreshMs?: number;
  /** Atomic ONF bundles (default); false: plain flow mods closed by a BARRIER (not atomic). */
  readonly bundles?: boolean;
  readonly backoff?: BackoffOptions;
  readonly connection?: OpenflowConnectionOptions;
  /** How long start() waits for the first sync before returning (work goes on afterwards); default 10 s. */
  readonly startTimeoutMs?: number;
  /**
   * Keep the flows of ours found in the bridge, even unwanted, until
   * sweepStale(): a restarted agent keeps forwarding while its peers send
   * their routes again (as the kernel writer keeps what it adopts). Default off.
   */
  readonly keepFoundUntilSweep?: boolean;
}

export interface OvsWriterDependencies {
  readonly logger?: OvsLogger;
  readonly metrics?: OvsMetrics;
  /** Routed mode: next-hop MACs. Default: a NetlinkNeighborResolver on the agent's namespace. */
  readonly neighbors?: NeighborResolver;
  readonly options?: OvsWriterOptions;
}

export class OvsWriter implements ForwardingWriter {
  readonly name = 'ovs';
  /** Our flows found in the bridge by the first sync (a previous run left them), when kept until the sweep. */
  adopted = 0;
  private readonly logger: OvsLogger;
  private readonly metrics: OvsMetrics;
  private readonly options: OvsWriterOptions;
  private readonly groupIds: GroupIdAllocator;
  private readonly desired: DesiredState;
  private readonly watcher: BridgeWatcher;
  private readonly session: OpenflowSession;
  private readonly pump: Pump;
  private neighborSync: NeighborSync;
  private readonly givenResolver: NeighborResolver | null;
  private ownedResolver: NeighborResolver | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  /** A sweepStale() waiting for the wanted routes to compile. */
  private sweepTimer: NodeJS.Timeout | null = null;
  private flushWaiters: (() => void)[] = [];
  private started = false;
  private synced: (() => void) | null = null;
  /** OVSDB answered (facts) or failed once: routes can be compiled as well as they can be. */
  private factsSettled = false;
  private readonly scratch = new Uint8Array(16);

  constructor(
    readonly config: OvsWriterConfig,
    dependencies: OvsWriterDependencies = {},
  ) {
    this.logger = dependencies.logger ?? silentLogger;
    this.metrics = dependencies.metrics ?? noopMetrics;
    this.options = dependencies.options ?? {};
    this.groupIds = new GroupIdAllocator(groupIdRange(config.cookie));
    this.desired = new DesiredState(
      {
        mode: config.mode,
        bridge: config.bridge,
        uplinkPort: config.uplinkPort,
        tunnelPort: config.tunnelPort,
      },
      this.groupIds,
    );
    this.givenResolver = dependencies.neighbors ?? null;
    this.neighborSync = new NeighborSync(this.givenResolver, this.desired, this.logger, () => this.kick());
    const retry = new Backoff(this.options.backoff);
    this.pump = new Pump(
      {
        cookie: config.cookie,
        table: config.table,
        batchSize: this.options.batchSize ?? 50_000,
        bundles: this.options.bundles ?? true,
        retryMs: () => retry.next(),
      },
      this.desired,
      this.groupIds,
      () => this.session.connection,
      this.logger,
      this.metrics,
      () => this.settle(),
    );
    this.pump.keepUnwanted = this.options.keepFoundUntilSweep ?? false;
    this.session = new OpenflowSession(
      openflowTarget(config),
      config.bridge,
      this.logger,
      this.metrics,
      {
        ...(this.options.backoff !== undefined ? { backoff: this.options.backoff } : {}),
        ...(this.options.connection !== undefined ? { connection: this.options.connection } : {}),
      },
      {
        connected: () => this.pump.connected(),
        disconnected: () => this.settle(),
        flowRemoved: (message) => this.pump.flowRemoved(message),
      },
    );
    this.watcher = new BridgeWatcher({
      target: config.ovsdb,
      bridge: config.bridge,
      logger: this.logger,
      backoff: this.options.backoff ?? {},
      onFacts: (facts) => this.onFacts(facts),
      onFailure: () => {
        this.factsSettled = true;
        this.settle();
      },
      onState: (state) => {
        this.metrics.setConnectionState('ovsdb', state);
        if (state === 'no-bridge') this.session.bridgeChanged(false);
      },
    });
  }

  // --- ForwardingWriter -------------------------------------------------------

  /** Connects (OVSDB and OpenFlow) and waits for the first sync, at most startTimeoutMs; never throws for OVS. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.config.mode === 'routed' && this.givenResolver === null) {
      try {
        this.ownedResolver = new NetlinkNeighborResolver({
          refreshMs: this.options.neighborRefreshMs ?? 30_000,
        });
        this.neighborSync = new NeighborSync(this.ownedResolver, this.desired, this.logger, () =>
          this.kick(),
        );
      } catch (error) {
        this.logger.error(
          { err: String(error) },
          'ovs: cannot read the neighbour table; routed flows need next-hop MACs',
        );
      }
    }
    this.neighborSync.start(this.options.neighborRefreshMs ?? 30_000);
    this.metrics.setConnectionState('ovsdb', 'connecting');
    this.watcher.start();
    this.session.start();
    const reconcileMs = this.options.reconcileIntervalMs ?? 60_000;
    if (reconcileMs > 0) {
      this.reconcileTimer = setInterval(() => this.pump.requestFullSync(), reconcileMs);
      this.reconcileTimer.unref();
    }
    const first = new Promise<void>((resolve) => {
      this.synced = resolve;
    });
    const timeoutMs = this.options.startTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | null = null;
    await Promise.race([first, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    if (timer !== null) clearTimeout(timer);
    this.synced = null;
    if (this.pump.keepUnwanted) {
      this.adopted = this.pump.installed.flows.size;
      if (this.adopted > 0)
        this.logger.info(
          { flows: this.adopted },
          'ovs: keeping flows from the previous run until peers have sent theirs again',
        );
      else this.pump.keepUnwanted = false;
    }
  }

  /** Ends keeping what the previous run left: a full sync removes what nobody wanted again. */
  sweepStale(): void {
    if (!this.pump.keepUnwanted || this.sweepTimer !== null) return;
    // A route wanted again but not compilable yet (its next hop's MAC or the
    // uplink port still being learned after the restart) would have its
    // working flow deleted by the sweep and written again a moment later: a
    // packet lost. So the sweep waits until every wanted route compiles (or
    // SWEEP_WAIT_MS), and one turn at least, for the feed's last changes.
    const deadline = Date.now() + SWEEP_WAIT_MS;
    const attempt = (): void => {
      this.sweepTimer = null;
      if (!this.started || !this.pump.keepUnwanted) return;
      if (this.desired.unprogrammedCount() > 0 && Date.now() < deadline) {
        this.sweepTimer = setTimeout(attempt, 100);
        return;
      }
      this.pump.keepUnwanted = false;
      this.pump.requestFullSync();
    };
    this.sweepTimer = setTimeout(attempt, 0);
  }

  apply(commands: readonly FibCommand[]): void {
    for (const command of commands) {
      if (command.kind === 'withdraw') {
        this.desired.withdraw(command.prefix);
        continue;
      }
      const route = command.route;
      if (parsePrefixInto(route.prefix, this.scratch) < 0 || prefixVersion(route.prefix) !== route.version) {
        this.logger.warn({ prefix: route.prefix }, 'ovs: not a canonical prefix; route ignored');
        continue;
      }
      this.desired.install(route);
    }
    this.metrics.setUnprogrammed(this.desired.unprogrammedCount());
    this.kick();
  }

  flush(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  async show(): Promise<readonly FibEntry[]> {
    const connection = this.requireConnection();
    const [{ raw, decoded }, groups] = await Promise.all([
      dumpFlowsForShow(connection, this.config.cookie),
      dumpGroups(connection),
    ]);
    return showEntries(raw, decoded, groups, this.groupIds.range);
  }

  async diff(): Promise<readonly FibDiffEntry[]> {
    const connection = this.requireConnection();
    const actual = await dumpInstalled(
      connection,
      this.config.cookie,
      this.config.table,
      this.groupIds.range,
    );
    return diffEntries(this.desired, actual);
  }

  /**
   * Withdraws every flow we want (stopping with Graceful Restart off) and
   * waits, at most `timeoutMs`, until the bridge has them gone; with OVS away
   * they stay, as they would after a crash. Returns how many prefixes went.
   */
  async removeAll(timeoutMs = 5000): Promise<number> {
    this.pump.keepUnwanted = false;
    const prefixes = [...this.desired.routes.keys()];
    for (const prefix of prefixes) this.desired.withdraw(prefix);
    this.kick();
    let timer: NodeJS.Timeout | null = null;
    await Promise.race([
      this.flush(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    if (timer !== null) clearTimeout(timer);
    return prefixes.length;
  }

  /** Stops; the flows stay in the bridge (forwarding goes on while the agent is away). */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.reconcileTimer !== null) clearInterval(this.reconcileTimer);
    this.reconcileTimer = null;
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    this.pump.stop();
    this.neighborSync.stop();
    this.ownedResolver?.close?.();
    this.ownedResolver = null;
    this.watcher.stop();
    this.session.stop();
    this.synced?.();
    this.release();
  }

  // --- extras -------------------------------------------------------------------

  /** Writer state for `agentctl fib show --ovs` and logs. */
  status(): OvsStatus {
    return {
      bridge: this.config.bridge,
      mode: this.config.mode,
      openflow: {
        target: this.session.targetText,
        state: this.session.state,
        lastError: this.session.lastError,
      },
      ovsdb: { target: this.config.ovsdb, state: this.watcher.state, lastError: this.watcher.lastError },
      flows: this.pump.installed.flows.size,
      groups: this.pump.installed.groups.size,
      routes: this.desired.size,
      pending: this.desired.dirty.size,
      unprogrammed: [...this.desired.unprogrammed()].map(([prefix, reason]) => ({ prefix, reason })),
      repairs: this.pump.repairs,
      lastSync: this.pump.lastSync,
    };
  }

  /** A full dump-and-converge now (what the timer does); resolves when converged or disconnected. */
  reconcile(): Promise<void> {
    this.pump.requestFullSync();
    return this.flush();
  }

  // --- internals -----------------------------------------------------------------

  private onFacts(facts: BridgeFacts): void {
    this.factsSettled = true;
    this.session.bridgeChanged(facts.present);
    this.desired.setPorts(facts.ports);
    this.metrics.setUnprogrammed(this.desired.unprogrammedCount());
    this.kick();
  }

  private kick(): void {
    if (!this.started) return;
    if (this.desired.wantedNeighbors.size > 0) void this.neighborSync.kick();
    this.pump.kick();
    this.settle();
  }

  private requireConnection(): OpenflowConnection {
    const connection = this.session.connection;
    if (connection === null)
      throw new Error(
        `ovs: not connected to ${this.session.targetText}${this.session.lastError ? `: ${this.session.lastError}` : ''}`,
      );
    return connection;
  }

  /**
   * Idle: nothing is being written, no next hop is being resolved, and either
   * nothing is left to write or there is no connection to write it on (a
   * flush does not wait for a switch that is not there).
   */
  private isIdle(): boolean {
    if (!this.started) return true;
    if (this.pump.busy || this.neighborSync.busy) return false;
    return this.session.connection === null || !this.pump.hasWork;
  }

  private settle(): void {
    if (!this.isIdle()) return;
    // start() returns once OVSDB has answered (or failed) and the first sync
    // converged (or OpenFlow failed): routes applied right after it compile
    // against the bridge's real ports.
    const openflowSettled =
      this.session.connection !== null ? this.pump.lastSync !== null : this.session.lastError !== null;
    if (this.synced !== null && this.factsSettled && openflowSettled) this.synced();
    this.release();
  }

  private release(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
