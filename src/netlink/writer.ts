// The kernel FIB writer: desired routes in, kernel routes out. It owns the
// routes with its protocol id in its table and nothing else. Wired from
// small parts:
//
//   hopSet/setRoute/apply ─► DesiredState (desired.ts: prefix tables, hop sets, dirty queues)
//   Programmer (programmer.ts) ─► programStep (reconcile.ts) ─► RTM_NEWROUTE/DELROUTE, 1024 a sendmsg()
//        └─ CommandChannel (command-channel.ts, a worker thread) ─► kernel; error replies by sequence number
//   RouteMonitor (monitor.ts) ─► link/address/other routes changed: read the view again (view-reader.ts)
//                             ─► one of ours changed outside: put it back; messages lost: reconcile
//   reconcile()/diff()/show() ─► RouteDumps (dump.ts) ─► FamilyComparison/diffFamily (reconcile.ts), view.ts
//
// Changes go out as NLM_F_REPLACE (never delete-then-add, so no forwarding
// gap). At start it adopts what is there; routes nobody wants any more are
// removed only by sweepStale(), so a restarted agent keeps forwarding while
// its peers send everything again.

import type { FibCommand, FibDiffEntry, FibEntry, FibNextHop, ForwardingWriter } from '../fib/types.js';
import type { PrefixTable } from '../net/prefix-table.js';
import { CoalescedRun } from './coalesced-run.js';
import { CommandChannel } from './command-channel.js';
import {
  DesiredState,
  type NextHopResolver,
  NONE,
  type PrefixTables,
  parsePrefixWords,
  signatureOf,
} from './desired.js';
import { RouteDumps } from './dump.js';
import { addressBytes, bytesToAddress, KernelView, type Resolution } from './kernel-view.js';
import { RouteMonitor } from './monitor.js';
import type { OverlayDevice, OverlayDeviceConfig } from './overlay-device.js';
import { formatMac, type Vtep, vtepMac } from './overlay-plan.js';
import { OverlayResolver } from './overlay-resolver.js';
import { Programmer } from './programmer.js';
import { notificationMatters, repairNotified, sweepAdopted, withdrawAll } from './reconcile.js';
import { parseRoute, type RoutePeek, RouteType } from './rtnetlink.js';
import { RouteSync } from './sync.js';
import {
  type KernelWriterConfig,
  type KernelWriterMetrics,
  noMetrics,
  type OverlayMetrics,
  type WriterLog,
} from './types.js';
import { describeSet } from './view.js';
import { readKernelView } from './view-reader.js';

export type { KernelWriterConfig, KernelWriterMetrics, WriterLog } from './types.js';

/** Notifications come in bursts (a link with many addresses, a daemon's table): one view read after them. */
const VIEW_REFRESH_DELAY_MS = 50;

/** Changes come in bursts (a peer's table): the VTEPs are worked out once after them. */
const VTEP_DELAY_MS = 20;
/** The overlay device and its entries are checked this often besides notifications. */
const OVERLAY_RECONCILE_MS = 10_000;

/** How often ids of prefixes neither wanted nor installed are handed back. */
const RECLAIM_INTERVAL_MS = 10_000;

export class KernelWriter implements ForwardingWriter {
  readonly name = 'kernel';
  /** Owned routes found in the kernel at start (a previous run preserved forwarding). */
  adopted = 0;
  private readonly view = new KernelView();
  /** Next hops resolve through the overlay when one is configured (overlay-resolver.ts). */
  private readonly resolver: NextHopResolver;
  private readonly state: DesiredState;
  /** The overlay's VXLAN device and its entries (null: no overlay, or not started yet). */
  private overlay: OverlayDevice | null = null;
  /** What the overlay device is made from (null: no overlay). */
  private readonly overlayDevice: OverlayDeviceConfig | null = null;
  private readonly overlayMetrics: OverlayMetrics | undefined;
  /** Which VTEPs the wanted routes go through: worked out after changes, a few at a time. */
  private readonly vtepRun = new CoalescedRun(
    VTEP_DELAY_MS,
    async () => this.updateVteps(),
    (error) => this.log.error({ error: String(error) }, 'overlay: cannot work out the VTEPs'),
  );
  private readonly dumps = new RouteDumps();
  private readonly programmer: Programmer;
  private readonly sync: RouteSync;
  private command: CommandChannel | null = null;
  private monitor: RouteMonitor | null = null;
  /** View reads asked for by notifications: one at a time, one more if asked during one. */
  private readonly viewRefresh = new CoalescedRun(
    VIEW_REFRESH_DELAY_MS,
    () => this.refreshView(),
    (error) => this.log.error({ error: String(error) }, 'kernel: cannot read links and routes'),
  );
  private readonly reachabilityListeners: (() => void)[] = [];
  private readonly resolutionCache = new Map<string, Resolution | null>();
  private readonly keyWords = new Uint32Array(4);
  private reclaimTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: KernelWriterConfig,
    private readonly log: WriterLog,
    private readonly metrics: KernelWriterMetrics = noMetrics,
    overlayMetrics?: OverlayMetrics,
    /** The RIB's prefix tables: the writer indexes its columns by the RIB's ids (see setRouteOf). */
    private readonly prefixTables: PrefixTables = {},
  ) {
    const overlay = config.overlay ?? null;
    const local = overlay === null ? null : addressBytes(overlay.localAddress);
    if (overlay !== null && local !== null) {
      this.resolver = new OverlayResolver(this.view, {
        mode: overlay.mode,
        device: overlay.device,
        family: local.family,
      });
      this.overlayDevice = {
        device: overlay.device,
        vni: overlay.vni,
        port: overlay.port,
        mtu: overlay.mtu,
        local: local.bytes,
        reconcileIntervalMs: OVERLAY_RECONCILE_MS,
      };
      this.overlayMetrics = overlayMetrics;
    } else this.resolver = this.view;
    this.state = new DesiredState(this.resolver, prefixTables);
    this.programmer = new Programmer(this.state, config, log, metrics);
    this.sync = new RouteSync(this.state, this.dumps, this.programmer, config, this.view, log, metrics);
  }

  /** Opens the sockets, learns links, addresses and routes, and adopts the routes we own (see `adopted`). */
  async start(): Promise<void> {
    const command = await CommandChannel.open({
      message: (datagram) => {
        if (!this.dumps.receive(datagram)) this.programmer.receive(datagram);
      },
      error: (message) => this.log.error({ error: message }, 'kernel: netlink command socket error'),
      writable: () => this.programmer.schedule(),
    });
    if (command.strictError !== null)
      this.log.warn({ error: command.strictError }, 'kernel: dumps not filtered by the kernel, read in full');
    this.command = command;
    this.dumps.attach(command);
    this.programmer.attach(command);
    const events = {
      viewChanged: () => this.viewRefresh.request(),
      ownedRouteChanged: (peek: RoutePeek, payload: Buffer, deleted: boolean) =>
        this.onOwnedRoute(peek, payload, deleted),
      lost: (notificationsLost: boolean) => {
        if (notificationsLost) this.viewRefresh.request();
        this.sync.schedule();
      },
    };
    this.monitor = RouteMonitor.open(this.config, command, events, this.log);
    this.programmer.echoesFiltered = () => this.monitor?.echoesFiltered ?? false;
    if (this.overlayDevice !== null) {
      // Loaded only with an overlay: it brings the netlink package's full codec.
      const { OverlayDevice } = await import('./overlay-device.js');
      this.overlay = new OverlayDevice(this.overlayDevice, this.log, this.overlayMetrics);
      // The device first: the first view then resolves overlay next hops through it.
      await this.overlay.start();
    }
    await this.refreshView();
    this.adopted = await this.sync.adopt();
    this.sync.startPeriodic(this.config.reconcileIntervalMs);
    this.reclaimTimer = setInterval(() => this.reclaim(), RECLAIM_INTERVAL_MS);
    this.reclaimTimer.unref();
  }

  /**
   * Hands back the ids of prefixes neither wanted nor installed, between
   * dumps (a comparison under way holds ids): a churning table stays bounded.
   */
  private reclaim(): void {
    if (this.dumps.busy) return;
    for (const family of this.state.families) family.reclaim();
  }

  /** Leaves the kernel as it is (routes stay: a restart keeps forwarding) and closes the sockets. */
  async stop(): Promise<void> {
    if (this.reclaimTimer !== null) clearInterval(this.reclaimTimer);
    this.viewRefresh.stop();
    this.vtepRun.stop();
    this.overlay?.stop();
    this.sync.stop();
    this.monitor?.close();
    this.monitor = null;
    await this.flush().catch(() => undefined);
    await this.command?.close();
    this.dumps.attach(null);
    this.programmer.attach(null);
    this.command = null;
  }

  /**
   * Interns a next-hop set (or blackhole). Sets are kept for the writer's
   * life: there are as many as distinct next-hop combinations (a few per
   * peer), not per route.
   */
  hopSet(nextHops: readonly FibNextHop[], blackhole: boolean): number {
    return this.state.hopSet(nextHops, blackhole);
  }

  /**
   * Sets what the kernel should have for one prefix: a hop set id, or -1 to
   * remove it. `words` are the prefix's network-order words (1 for IPv4, 4
   * for IPv6) starting at `at`. Programmed later, in a batch.
   */
  setRoute(version: 4 | 6, words: ArrayLike<number>, at: number, length: number, hopSet: number): void {
    if (this.state.setRoute(version, words, at, length, hopSet)) {
      this.programmer.schedule();
      if (this.overlay !== null) this.vtepRun.request();
    }
  }

  /**
   * setRoute() by the id of the prefix in `table`, when that is the table
   * the writer was given (see sharesPrefixIds): a full table's changes
   * cross over without copying and hashing every key again.
   */
  setRouteOf(version: 4 | 6, p: number, hopSet: number): void {
    if (this.state.setRouteOf(version, p, hopSet)) {
      this.programmer.schedule();
      if (this.overlay !== null) this.vtepRun.request();
    }
  }

  /** True when the writer indexes its routes by the ids of `table` (setRouteOf may be used). */
  sharesPrefixIds(version: 4 | 6, table: PrefixTable): boolean {
    return (version === 4 ? this.prefixTables.v4 : this.prefixTables.v6) === table;
  }

  /**
   * The remote VTEPs of the hop sets the wanted routes use (gateways onlink
   * on the device), handed to the device adapter for its fdb and neighbour
   * entries. A scan of the desired prefixes, after a burst of changes.
   */
  private updateVteps(): void {
    const overlay = this.overlay;
    if (overlay === null) return;
    const used = new Uint8Array(this.state.hopSets.length);
    for (const family of this.state.families)
      for (let p = 0; p < family.table.capacity; p++) {
        const id = family.desiredOf(p);
        if (id >= 0) used[id] = 1;
      }
    const vteps = new Map<string, Vtep>();
    for (const set of this.state.hopSets) {
      if (used[set.id] !== 1) continue;
      for (const hop of set.resolved) {
        if (hop.onlink !== true) continue; // only the overlay's hops are onlink
        const address = bytesToAddress(hop.gateway);
        vteps.set(address, { address, mac: formatMac(vtepMac(hop.gateway)) });
      }
    }
    overlay.setWanted([...vteps.values()]);
  }

  apply(commands: readonly FibCommand[]): void {
    for (const command of commands) {
      const prefix = command.kind === 'install' ? command.route.prefix : command.prefix;
      const version = command.kind === 'install' ? command.route.version : command.version;
      const length = parsePrefixWords(prefix, this.keyWords);
      if (length < 0) {
        this.log.warn({ prefix }, 'kernel: not a prefix, ignored');
        continue;
      }
      const hopSet =
        command.kind === 'install' ? this.hopSet(command.route.nextHops, command.route.blackhole) : NONE;
      this.setRoute(version, this.keyWords, 0, length, hopSet);
    }
  }

  /** Resolves once everything set so far reached the kernel. */
  flush(): Promise<void> {
    return this.programmer.flush();
  }

  private async refreshView(): Promise<void> {
    await readKernelView(this.view, this.dumps, this.config.protocol);
    this.resolutionCache.clear();
    // Routes whose next hops now resolve differently are written again.
    if (this.state.resolveAgain()) this.programmer.schedule();
    if (this.overlay !== null) this.vtepRun.request();
    for (const listener of this.reachabilityListeners) listener();
  }

  /** One of our routes changed in the kernel: put it back if it is wanted and not as wanted. */
  private onOwnedRoute(peek: RoutePeek, payload: Buffer, deleted: boolean): void {
    const family = this.state.familyOf(peek.family);
    const p = family.table.findKey(peek.words, 0, peek.prefixLength);
    const echoesFiltered = this.monitor?.echoesFiltered ?? false;
    if (!notificationMatters(family, p, echoesFiltered, this.programmer.nowSeconds())) return;
    const route = parseRoute(payload);
    if (route === null) return;
    const actual = signatureOf(route.type === RouteType.blackhole, route.nextHops);
    const set = repairNotified(this.state, family, p, actual, deleted);
    if (set === null) return;
    this.metrics.repaired(1);
    this.log.warn(
      {
        prefix: family.table.toString(p),
        change: deleted ? 'deleted' : 'changed',
        desired: describeSet(set, this.view),
      },
      'kernel: route changed outside the agent, putting it back',
    );
    this.programmer.schedule();
  }

  /** Compares the kernel with the desired set and writes what differs (see RouteSync.reconcile). */
  reconcile(): Promise<{ repaired: number; removed: number }> {
    return this.sync.reconcile();
  }

  /** Removes adopted routes that were not wanted again (after peers' End-of-RIB, RFC 4724 §4.1). */
  sweepStale(): number {
    const count = sweepAdopted(this.state);
    this.overlay?.sweep();
    if (count > 0)
      this.log.info(
        { routes: count },
        'kernel: removing routes from the previous run that did not come back',
      );
    this.programmer.schedule();
    return count;
  }

  /**
   * Removes every route we own, adopted or ours, and waits until the kernel
   * has them gone: `agent --cleanup`, or stopping with Graceful Restart off.
   * Returns how many there were.
   */
  async removeAll(): Promise<number> {
    const count = withdrawAll(this.state);
    this.log.info({ routes: count }, 'kernel: removing every route the agent owns');
    this.programmer.schedule();
    await this.flush();
    // Then the overlay's device, with its fdb and neighbour entries.
    this.vtepRun.stop();
    await this.overlay?.remove();
    return count;
  }

  /** The cost to reach a next hop, or null when the kernel cannot reach it now. */
  reachability(address: string): number | null {
    let resolution = this.resolutionCache.get(address);
    if (resolution === undefined) {
      resolution = this.resolver.resolve(address);
      this.resolutionCache.set(address, resolution);
    }
    return resolution === null ? null : resolution.cost;
  }

  /** Called after links, addresses or other routes changed (next hops may resolve differently). */
  onReachabilityChange(listener: () => void): void {
    this.reachabilityListeners.push(listener);
  }

  show(): Promise<readonly FibEntry[]> {
    return this.sync.show();
  }

  diff(): Promise<readonly FibDiffEntry[]> {
    return this.sync.diff();
  }
}
