// The kernel FIB writer: desired routes in, kernel routes out. It owns the
// routes with its protocol id in its table and nothing else. Changes go out
// as RTM_NEWROUTE with NLM_F_REPLACE (never delete-then-add, so no forwarding
// gap), thousands per sendmsg() with no per-route acknowledgement (errors
// still come back, keyed by sequence number). At start it adopts what is
// there; routes nobody wants any more are removed only by sweepStale(), so a
// restarted agent keeps forwarding while its peers send everything again.
// Route and link notifications repair hand edits and re-resolve next hops.

import { createRtNetlink, RawNetlinkSocket } from 'netlink';
import type { FibCommand, FibDiffEntry, FibEntry, FibNextHop, ForwardingWriter } from '../fib/types.js';
import { CommandChannel } from './command-channel.js';
import { DesiredState, type FamilyState, type HopSet, NONE, signatureOf, wordsOf } from './desired.js';
import { type DumpVisitor, RouteDumps } from './dump.js';
import { addressBytes, bytesToAddress, KernelView, type Resolution } from './kernel-view.js';
import { Programmer } from './programmer.js';
import {
  type ActualRoute,
  adoptOwned,
  diffFamily,
  FamilyComparison,
  notificationMatters,
  repairNotified,
  sweepAdopted,
} from './reconcile.js';
import {
  AF_INET,
  AF_INET6,
  type KernelRoute,
  NETLINK_ROUTE,
  NlMsgType,
  parseRoute,
  peekRoute,
  RouteType,
  RtnlGroup,
  routePeek,
  splitMessages,
} from './rtnetlink.js';
import { dropMessagesFromPort, netlinkDescriptor, netlinkTable, setNoEnobufs } from './socket-options.js';

import { type KernelWriterConfig, type KernelWriterMetrics, noMetrics, type WriterLog } from './types.js';

export type { KernelWriterConfig, KernelWriterMetrics, WriterLog } from './types.js';

export class KernelWriter implements ForwardingWriter {
  readonly name = 'kernel';
  private readonly view = new KernelView();
  private readonly state = new DesiredState(this.view);
  private readonly v4 = this.state.v4;
  private readonly v6 = this.state.v6;
  private readonly dumps = new RouteDumps();
  private readonly programmer: Programmer;
  private command: CommandChannel | null = null;
  private monitor: RawNetlinkSocket | null = null;
  private viewTimer: NodeJS.Timeout | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private periodicTimer: NodeJS.Timeout | null = null;
  private dropsTimer: NodeJS.Timeout | null = null;
  /** Kernel drop counts of the two sockets when last looked at (see watchDrops). */
  private drops = { command: 0, monitor: 0 };
  /** The monitor's filter drops the echoes of our writes in the kernel (see socket-options.ts). */
  private echoesFiltered = false;
  private reachabilityListeners: (() => void)[] = [];
  private readonly resolutionCache = new Map<string, Resolution | null>();
  private readonly keyWords = new Uint32Array(4);
  private readonly peek = routePeek();

  constructor(
    private readonly config: KernelWriterConfig,
    private readonly log: WriterLog,
    private readonly metrics: KernelWriterMetrics = noMetrics,
  ) {
    this.programmer = new Programmer(this.state, config, log, metrics);
  }

  // ------------------------------------------------------------ lifecycle

  /** Opens the sockets, learns links, addresses and routes, and adopts the routes we own (see `adopted`). */
  async start(): Promise<void> {
    const command = await CommandChannel.open({
      message: (datagram) => {
        if (!this.dumps.receive(datagram)) this.programmer.receive(datagram);
      },
      error: (message) => this.log.error({ error: message }, 'kernel: netlink command socket error'),
      writable: () => this.schedule(),
    });
    this.command = command;
    this.dumps.attach(command);
    this.programmer.attach(command);
    const monitor = new RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: 8 << 20, sendBufferSize: 1 << 16 });
    for (const group of [
      RtnlGroup.link,
      RtnlGroup.ipv4Ifaddr,
      RtnlGroup.ipv6Ifaddr,
      RtnlGroup.ipv4Route,
      RtnlGroup.ipv6Route,
    ]) {
      monitor.addMembership(group);
    }
    monitor.on('message', (datagram: Buffer) => this.onNotification(datagram));
    monitor.on('error', (error) => {
      // ENOBUFS: notifications were lost; a full comparison finds whatever changed.
      this.log.warn({ error: error.message }, 'kernel: notifications lost, reconciling');
      this.scheduleViewRefresh();
      this.scheduleReconcile();
    });
    this.monitor = monitor;
    this.hardenSockets(command, monitor);
    await this.refreshView();
    await this.adoptExisting();
    if (this.config.reconcileIntervalMs > 0) {
      this.periodicTimer = setInterval(() => this.reconcileLogged(), this.config.reconcileIntervalMs);
      this.periodicTimer.unref();
    }
  }

  /**
   * NETLINK_NO_ENOBUFS on both sockets (an overflow would otherwise abort
   * the process inside the netlink package) and the echo filter on the
   * monitor; dropped messages are then noticed by watchDrops().
   */
  private hardenSockets(command: CommandChannel, monitor: RawNetlinkSocket): void {
    const commandPort = command.port;
    const monitorPort = monitor.address().port;
    try {
      if (command.hardenError !== null) throw new Error(command.hardenError);
      const monitorFd = netlinkDescriptor(monitorPort);
      setNoEnobufs(monitorFd);
      dropMessagesFromPort(monitorFd, commandPort);
      this.echoesFiltered = true;
    } catch (error) {
      this.log.warn(
        { error: (error as Error).message },
        'kernel: could not set netlink socket options; a notification overflow may stop the agent',
      );
      return;
    }
    this.dropsTimer = setInterval(() => this.watchDrops(commandPort, monitorPort), 1000);
    this.dropsTimer.unref();
  }

  /** Messages the kernel could not queue for us: lost notifications or error reports mean a full comparison. */
  private watchDrops(commandPort: number, monitorPort: number): void {
    const table = netlinkTable();
    const command = table.get(commandPort)?.drops ?? 0;
    const monitor = table.get(monitorPort)?.drops ?? 0;
    if (command === this.drops.command && monitor === this.drops.monitor) return;
    this.log.warn(
      { notifications: monitor - this.drops.monitor, replies: command - this.drops.command },
      'kernel: netlink messages dropped, reconciling',
    );
    this.drops = { command, monitor };
    if (monitor > 0) this.scheduleViewRefresh();
    this.scheduleReconcile();
  }

  /** Owned routes found in the kernel at start (a previous run preserved forwarding). */
  adopted = 0;

  private async adoptExisting(): Promise<void> {
    let count = 0;
    for (const family of [this.v4, this.v6]) {
      let found = 0;
      await this.dumps.consistent(
        family.af,
        () => {
          found = 0;
        },
        this.owned((route) => {
          if (adoptOwned(family, this.prefixOf(family, route))) found++;
        }),
      );
      count += found;
    }
    this.adopted = count;
    if (count > 0) {
      this.log.info(
        { routes: count, table: this.config.table, protocol: this.config.protocol },
        'kernel: keeping routes from the previous run until peers have sent theirs again',
      );
    }
  }

  /** Leaves the kernel as it is (routes stay: a restart keeps forwarding) and closes the sockets. */
  async stop(): Promise<void> {
    for (const timer of [this.viewTimer, this.reconcileTimer]) if (timer !== null) clearTimeout(timer);
    if (this.periodicTimer !== null) clearInterval(this.periodicTimer);
    if (this.dropsTimer !== null) clearInterval(this.dropsTimer);
    await this.flush().catch(() => undefined);
    await this.command?.close();
    this.monitor?.close();
    this.dumps.attach(null);
    this.programmer.attach(null);
    this.command = null;
    this.monitor = null;
  }

  // ------------------------------------------------------------ desired state

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
    if (this.state.setRoute(version, words, at, length, hopSet)) this.schedule();
  }

  apply(commands: readonly FibCommand[]): void {
    for (const command of commands) {
      const prefix = command.kind === 'install' ? command.route.prefix : command.prefix;
      const version = command.kind === 'install' ? command.route.version : command.version;
      const [addressText, lengthText] = prefix.split('/');
      const parsed = addressBytes(addressText ?? '');
      if (parsed === null) {
        this.log.warn({ prefix }, 'kernel: not a prefix, ignored');
        continue;
      }
      const words = this.keyWords.subarray(0, version === 4 ? 1 : 4);
      wordsOf(parsed.bytes, words);
      const hopSet =
        command.kind === 'install' ? this.hopSet(command.route.nextHops, command.route.blackhole) : NONE;
      this.setRoute(version, words, 0, Number(lengthText), hopSet);
    }
  }

  private schedule(): void {
    this.programmer.schedule();
  }

  /** Resolves once everything set so far reached the kernel. */
  flush(): Promise<void> {
    return this.programmer.flush();
  }

  // ------------------------------------------------------------ kernel view

  /** A dump visitor for our routes (our protocol, our table): the others are not even parsed. */
  private owned(route: (route: KernelRoute) => void): DumpVisitor {
    return {
      wants: (peek) => peek.protocol === this.config.protocol && peek.table === this.config.table,
      route,
    };
  }

  private prefixOf(family: FamilyState, route: KernelRoute): number {
    return this.state.prefixOf(family, route.destination, route.prefixLength);
  }

  private async refreshView(): Promise<void> {
    const rt = createRtNetlink();
    try {
      const links = await rt.getLinks();
      const addresses = await rt.getAddresses();
      const interfaces = new Map<number, { index: number; name: string; up: boolean }>();
      for (const link of links) {
        const index = link.data.index ?? 0;
        const flags = link.data.flags ?? {};
        interfaces.set(index, {
          index,
          name: String(link.attrs.ifname ?? `if${index}`),
          up: flags.up === true && flags.lowerUp === true,
        });
      }
      const subnets = addresses.flatMap((a) => {
        const bytes = a.attrs.local ?? a.attrs.address;
        if (bytes === undefined || a.data.family === undefined) return [];
        return [
          {
            family: a.data.family,
            ifindex: a.data.index ?? 0,
            address: Uint8Array.from(bytes),
            prefixLength: a.data.prefixlen ?? 0,
          },
        ];
      });
      const routes: KernelRoute[] = [];
      for (const af of [AF_INET, AF_INET6]) {
        const first = routes.length;
        await this.dumps.consistent(
          af,
          () => {
            routes.length = first;
          },
          {
            // Only main-table routes of other protocols carry next hops for us (not our own, not local/broadcast).
            wants: (peek) =>
              peek.protocol !== this.config.protocol && peek.table === 254 && peek.type === RouteType.unicast,
            route: (route) => routes.push(route),
          },
        );
      }
      this.view.interfaces = interfaces;
      this.view.subnets = subnets;
      this.view.routes = routes;
    } finally {
      rt.socket.close();
    }
    this.onViewChanged();
  }

  private onViewChanged(): void {
    this.resolutionCache.clear();
    // Routes whose next hops now resolve differently are written again.
    if (this.state.resolveAgain()) this.schedule();
    for (const listener of this.reachabilityListeners) listener();
  }

  private scheduleViewRefresh(): void {
    if (this.viewTimer !== null) return;
    this.viewTimer = setTimeout(() => {
      this.viewTimer = null;
      this.refreshView().catch((error: unknown) =>
        this.log.error({ error: String(error) }, 'kernel: cannot read links and routes'),
      );
    }, 50);
  }

  private onNotification(datagram: Buffer): void {
    for (const message of splitMessages(datagram)) {
      switch (message.type) {
        case NlMsgType.newLink:
        case NlMsgType.delLink:
        case NlMsgType.newAddr:
        case NlMsgType.delAddr:
          this.scheduleViewRefresh();
          break;
        case NlMsgType.newRoute:
        case NlMsgType.delRoute: {
          const peek = this.peek;
          if (!peekRoute(message.payload, peek)) break;
          if (peek.protocol !== this.config.protocol || peek.table !== this.config.table) {
            // Another protocol's route: it may carry (or stop carrying) a next hop of ours.
            if (peek.table === 254) this.scheduleViewRefresh();
            break;
          }
          const family = peek.family === AF_INET ? this.v4 : this.v6;
          const p = family.table.findKey(peek.words, 0, peek.prefixLength);
          if (!notificationMatters(family, p, this.echoesFiltered, this.programmer.nowSeconds())) break;
          const route = parseRoute(message.payload);
          if (route !== null) this.checkOwned(family, p, route, message.type === NlMsgType.delRoute);
          break;
        }
        default:
          break;
      }
    }
  }

  /** An owned, wanted route changed outside the agent: repair it. */
  private checkOwned(family: FamilyState, p: number, route: KernelRoute, deleted: boolean): void {
    const actual = signatureOf(route.type === RouteType.blackhole, route.nextHops);
    const set = repairNotified(this.state, family, p, actual, deleted);
    if (set === null) return;
    this.metrics.repaired(1);
    this.log.warn(
      {
        prefix: family.table.toString(p),
        change: deleted ? 'deleted' : 'changed',
        desired: this.describeSet(set),
      },
      'kernel: route changed outside the agent, putting it back',
    );
    this.schedule();
  }

  /** A reconcile whose failure (a refused dump) is logged and retried, never thrown at a timer. */
  private reconcileLogged(): void {
    this.reconcile().catch((error: unknown) => {
      this.log.error({ error: String(error) }, 'kernel: reconcile failed, retrying');
      this.scheduleReconcile();
    });
  }

  private scheduleReconcile(): void {
    if (this.reconcileTimer !== null) return;
    this.reconcileTimer = setTimeout(() => {
      this.reconcileTimer = null;
      this.reconcileLogged();
    }, 200);
  }

  /**
   * Compares the kernel with the desired set and writes what differs:
   * missing or changed routes are put back (counted as repairs), owned routes
   * nobody wants are removed (once the initial sweep is done).
   */
  async reconcile(): Promise<{ repaired: number; removed: number }> {
    let repaired = 0;
    let removed = 0;
    for (const family of [this.v4, this.v6]) {
      const comparison = new FamilyComparison(this.state, family);
      const consistent = await this.dumps.dump(
        family.af,
        this.owned((route) =>
          comparison.owned(
            this.prefixOf(family, route),
            signatureOf(route.type === RouteType.blackhole, route.nextHops),
          ),
        ),
      );
      // An interrupted dump may have skipped routes: do not take them for
      // deleted; look again shortly.
      if (consistent) comparison.finish();
      else this.scheduleReconcile();
      repaired += comparison.repaired;
      removed += comparison.removed;
    }
    if (repaired > 0) {
      this.metrics.repaired(repaired);
      this.log.warn({ repaired }, 'kernel: routes changed or deleted outside the agent were put back');
    }
    if (removed > 0) this.log.info({ removed }, 'kernel: owned routes nobody wants were removed');
    if (repaired > 0 || removed > 0) this.schedule();
    return { repaired, removed };
  }

  /** Removes adopted routes that were not wanted again (after peers' End-of-RIB, RFC 4724 §4.1). */
  sweepStale(): number {
    const count = sweepAdopted(this.state);
    if (count > 0)
      this.log.info(
        { routes: count },
        'kernel: removing routes from the previous run that did not come back',
      );
    this.schedule();
    return count;
  }

  // ------------------------------------------------------------ reachability (for the RIB)

  /** The cost to reach a next hop, or null when the kernel cannot reach it now. */
  reachability(address: string): number | null {
    let resolution = this.resolutionCache.get(address);
    if (resolution === undefined) {
      resolution = this.view.resolve(address);
      this.resolutionCache.set(address, resolution);
    }
    return resolution === null ? null : resolution.cost;
  }

  /** Called after links, addresses or other routes changed (next hops may resolve differently). */
  onReachabilityChange(listener: () => void): void {
    this.reachabilityListeners.push(listener);
  }

  // ------------------------------------------------------------ show / diff

  private formatRoute(route: KernelRoute): string {
    const prefix = `${bytesToAddress(route.destination)}/${route.prefixLength}`;
    const proto = route.protocol === 186 ? 'bgp' : String(route.protocol);
    const tail = `proto ${proto} metric ${route.metric}`;
    if (route.type === RouteType.blackhole) return `blackhole ${prefix} ${tail}`;
    const hops = route.nextHops.map(
      (hop) =>
        `${hop.gateway === null ? '' : `via ${bytesToAddress(hop.gateway)} `}dev ${this.view.interfaceName(hop.ifindex)}`,
    );
    if (hops.length === 1) return `${prefix} ${hops[0]} ${tail}`;
    return `${prefix} ${tail} ${hops.map((h) => `nexthop ${h}`).join(' ')}`;
  }

  async show(): Promise<readonly FibEntry[]> {
    const entries: FibEntry[] = [];
    for (const family of [this.v4, this.v6]) {
      await this.dumps.dump(
        family.af,
        this.owned((route) => {
          const prefix = `${bytesToAddress(route.destination)}/${route.prefixLength}`;
          entries.push({
            prefix,
            text: this.formatRoute(route),
            detail: {
              type: route.type === RouteType.blackhole ? 'blackhole' : 'unicast',
              metric: route.metric,
              table: route.table,
              protocol: route.protocol,
              nextHops: route.nextHops.map((hop) => ({
                gateway: hop.gateway === null ? null : bytesToAddress(hop.gateway),
                dev: this.view.interfaceName(hop.ifindex),
              })),
            },
          });
        }),
      );
    }
    return entries;
  }

  private describeSet(set: HopSet): string {
    if (set.blackhole) return 'blackhole';
    if (set.resolved.length === 0) return `unresolved (${set.nextHops.map((h) => h.address).join(', ')})`;
    return set.resolved
      .map((hop) => `via ${bytesToAddress(hop.gateway)} dev ${this.view.interfaceName(hop.ifindex)}`)
      .join(', ');
  }

  async diff(): Promise<readonly FibDiffEntry[]> {
    const entries: FibDiffEntry[] = [];
    for (const family of [this.v4, this.v6]) {
      const actual = new Map<number, ActualRoute>();
      await this.dumps.consistent(
        family.af,
        () => actual.clear(),
        this.owned((route) => {
          const hops = route.nextHops.map(
            (hop) =>
              `via ${hop.gateway === null ? '-' : bytesToAddress(hop.gateway)} dev ${this.view.interfaceName(hop.ifindex)}`,
          );
          actual.set(this.prefixOf(family, route), {
            signature: signatureOf(route.type === RouteType.blackhole, route.nextHops),
            text: route.type === RouteType.blackhole ? 'blackhole' : hops.join(', '),
          });
        }),
      );
      entries.push(...diffFamily(this.state, family, actual, (set) => this.describeSet(set)));
    }
    return entries;
  }
}
