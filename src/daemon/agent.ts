// The daemon: a validated configuration made into running parts (speaker,
// RIB and routing, control API, metrics), and the reload that applies only
// the difference. The parts do the work; this file wires them.

import type http from 'node:http';
import { buildApiRoutes } from '../api/routes.js';
import { ControlServer } from '../api/server.js';
import type { ReloadChanges } from '../api/types.js';
import type { BfdService } from '../bfd/service.js';
import { CeaseSubcode } from '../bgp/codec/iana.js';
import type { EncodeError } from '../bgp/codec/pack.js';
import type { NeighborConfig, Peer, PeerEvents } from '../bgp/peer.js';
import { describeReason } from '../bgp/peer.js';
import { Speaker, type SpeakerConfig } from '../bgp/speaker.js';
import { loadConfigIsolated } from '../config/isolated.js';
import { reloadDifferences } from '../config/reload-diff.js';
import {
  type AgentConfig,
  ConfigError,
  dynamicNeighborSettings,
  type NeighborSettings,
} from '../config/types.js';
import type { ForwardingWriter } from '../fib/types.js';
import type { Logger } from '../log/logger.js';
import { type AgentMetrics, noMetrics } from '../metrics/agent-metrics.js';
import type { OverlayWriterConfig } from '../netlink/types.js';
import type { KernelWriter } from '../netlink/writer.js';
import type { OvsWriter } from '../ovs/writer.js';
import { AttributeEncodingCache } from '../rib/encoding-cache.js';
import { LocalRoutes } from '../rib/origination.js';
import { ACCEPT_ALL, compilePolicy, type Policy, REJECT_ALL } from '../rib/policy.js';
import { Rib } from '../rib/rib.js';
import { BfdCoupling, sessionSpecOf } from './bfd-coupling.js';
import { agentControl } from './control.js';
import { FibFeed } from './fib-feed.js';
import { metricSources } from './metric-sources.js';
import { Monitors } from './monitors.js';
import { notificationLogLine } from './notification-log.js';
import { OvsFeed } from './ovs-feed.js';
import { RibJobs } from './rib-jobs.js';
import { type PeerPolicies, Routing } from './routing.js';
import { UpdateGroups } from './update-groups.js';

/** The overlay as the kernel writer takes it, or null when mode is never. */
export function overlayWriterConfig(config: AgentConfig): OverlayWriterConfig | null {
  const overlay = config.overlay;
  if (overlay.mode === 'never') return null;
  return {
    mode: overlay.mode,
    device: overlay.device,
    vni: overlay.vni,
    port: overlay.port,
    mtu: overlay.mtu,
    // The router id is the node's address in most clusters (and in seeds 000 and 001).
    localAddress: overlay.localAddress ?? config.routerId,
  };
}

export function neighborConfigOf(settings: NeighborSettings): NeighborConfig {
  return {
    address: settings.address,
    port: settings.port,
    asn: settings.asn,
    localAddress: settings.localAddress,
    families: settings.families,
    holdTimeSeconds: settings.holdTimeSeconds,
    connectRetrySeconds: settings.connectRetrySeconds,
    passive: settings.passive,
    delayOpenSeconds: settings.delayOpenSeconds,
    password: settings.password,
    ttlSecurity: settings.ttlSecurity,
    addPath: settings.addPath,
    routeReflectorClient: settings.routeReflectorClient,
    description: settings.description,
    shutdown: settings.shutdown,
    ...(settings.peerGroup !== undefined ? { peerGroup: settings.peerGroup } : {}),
    ...(settings.listenRange !== undefined ? { listenRange: settings.listenRange } : {}),
  };
}

export function speakerConfigOf(config: AgentConfig, restarting: boolean): SpeakerConfig {
  return {
    local: {
      asn: config.asn,
      routerId: config.routerId,
      hostname: config.hostname,
      gracefulRestart: config.gracefulRestart.enabled
        ? {
            restartTimeSeconds: config.gracefulRestart.restartTimeSeconds,
            restarting,
            forwardingPreserved: restarting,
          }
        : null,
      extendedMessage: true,
    },
    listen: config.listen,
    neighbors: config.neighbors.map(neighborConfigOf),
    listenRanges: config.listenRanges.map((range) => ({
      prefix: range.prefix,
      limit: range.limit,
      peerGroup: range.peerGroup,
      template: neighborConfigOf(range.template),
    })),
  };
}

/** RFC 8212: an eBGP session without a policy neither imports nor exports. */
function effectivePolicy(settings: NeighborSettings, which: 'import' | 'export', localAsn: number): Policy {
  const raw = settings[which];
  if (raw !== undefined) return compilePolicy(raw);
  return settings.asn === localAsn ? ACCEPT_ALL : REJECT_ALL;
}

export function policiesOf(config: AgentConfig, settings: NeighborSettings): PeerPolicies {
  return {
    importPolicy: effectivePolicy(settings, 'import', config.asn),
    exportPolicy: effectivePolicy(settings, 'export', config.asn),
    nextHopSelf: settings.nextHopSelf,
    enforceFirstAs: settings.enforceFirstAs,
    maxPrefix: settings.maxPrefix,
    staleRoutesTimeSeconds: config.gracefulRestart.staleRoutesTimeSeconds,
  };
}

export interface AgentOptions {
  readonly configPath: string;
  readonly log: Logger;
  /** The previous run left routes behind that it preserved (Graceful Restart, restarting side). */
  readonly restarting?: boolean;
}

export class Agent {
  config: AgentConfig;
  /** Prometheus when metrics.listen is set (loaded at start), else nothing. */
  metrics: AgentMetrics = noMetrics;
  readonly rib: Rib;
  readonly routing: Routing;
  /** Routes from `originate:` and `agentctl rib add`. */
  readonly localRoutes: LocalRoutes;
  readonly speaker: Speaker;
  /** agentctl monitor's sources (best-path and session changes). */
  readonly monitors: Monitors;
  private readonly api: ControlServer;
  private metricsServer: http.Server | null = null;
  private readonly log: Logger;
  kernel: KernelWriter | null = null;
  private feed: FibFeed | null = null;
  ovs: OvsWriter | null = null;
  private ovsFeed: OvsFeed | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private redecideTimer: NodeJS.Timeout | null = null;
  /** The BFD worker, started when a neighbor first asks for BFD. */
  bfd: BfdService | null = null;
  private bfdStarting: Promise<BfdService | null> | null = null;
  readonly bfdCoupling: BfdCoupling;
  readonly startedAt = Date.now();

  constructor(
    config: AgentConfig,
    private readonly options: AgentOptions,
  ) {
    this.config = config;
    this.log = options.log;
    this.rib = new Rib({
      localAsn: config.asn,
      routerId: config.routerId,
      clusterId: config.clusterId,
      maxPaths: config.maxPaths,
      alwaysCompareMed: config.alwaysCompareMed,
      preferOldestExternal: config.preferOldestEbgpPath,
    });
    this.localRoutes = new LocalRoutes(this.rib);
    this.monitors = new Monitors(this.rib);
    const events = {
      refused: (neighbor: string, error: EncodeError) => this.metrics.refusedPrefix(neighbor, error.kind),
      internalError: (peer: Peer | null, error: unknown, where: string) =>
        this.internalError(peer, error, where),
    };
    const jobs = new RibJobs((error) => events.internalError(null, error, 'RIB job'));
    const groups = new UpdateGroups({
      rib: this.rib,
      // Outgoing attribute encodings, shared by every group.
      encodings: new AttributeEncodingCache(),
      advertisementIntervalMs: config.advertisementIntervalMs,
      log: this.log,
      refused: (neighbors, error) => {
        for (const neighbor of neighbors) events.refused(neighbor, error);
      },
      jobs,
    });
    this.routing = new Routing(this.rib, this.log, events, groups, jobs);
    this.bfdCoupling = new BfdCoupling((address) => this.speaker.peer(address), this.log);
    this.speaker = new Speaker(
      speakerConfigOf(config, options.restarting ?? false),
      this.peerEvents(),
      this.log,
      {
        added: (peer) => {
          this.routing.addPeer(peer, policiesOf(this.config, this.settingsOf(peer)));
          this.bfdCoupling.peerAdded(peer);
          if (peer.config.listenRange !== undefined) this.dynamicChanged(peer.address);
        },
        removed: (peer) => {
          this.routing.removePeer(peer);
          if (peer.config.listenRange !== undefined) this.dynamicChanged(peer.address);
        },
      },
    );
    // A dynamic neighbor kept only for its stale routes goes once they do:
    // after the event that released them (it may be the session's own
    // transition) has run to its end.
    this.routing.onStaleReleased((peer) => setImmediate(() => this.forgetIfFinished(peer)));
    this.api = new ControlServer(config.api.socket, buildApiRoutes(agentControl(this)));
  }

  private settingsOf(peer: Peer): NeighborSettings {
    const range = peer.config.listenRange;
    const settings =
      range === undefined
        ? this.config.neighbors.find((n) => n.address === peer.address)
        : (() => {
            const found = this.config.listenRanges.find((r) => r.prefix === range);
            return found === undefined ? undefined : dynamicNeighborSettings(found, peer.address);
          })();
    if (settings === undefined) throw new Error(`no configuration for neighbor ${peer.address}`);
    return settings;
  }

  /** The settings of the dynamic neighbors there are now (listen ranges). */
  private dynamicSettings(): NeighborSettings[] {
    const ranges = new Set(this.config.listenRanges.map((r) => r.prefix));
    return this.speaker
      .allPeers()
      .filter((peer) => peer.config.listenRange !== undefined && ranges.has(peer.config.listenRange))
      .map((peer) => this.settingsOf(peer));
  }

  /**
   * A dynamic neighbor came or went: its BFD session follows, and once gone
   * its per-neighbor metric series go too.
   */
  private dynamicChanged(address: string): void {
    void this.syncBfd(null).catch((error: unknown) =>
      this.log.warn({ neighbor: address, err: String(error) }, 'BFD: could not follow a dynamic neighbor'),
    );
    if (this.speaker.peer(address) === undefined) {
      this.bfdCoupling.removed(address);
      this.metrics.forgetNeighbor(address);
    }
  }

  /**
   * A dynamic neighbor exists while it has a connection or holds stale
   * routes (Graceful Restart helper, RFC 4724 §4.2: it may come back within
   * the restart time); after that it is forgotten with its routes and state.
   * Not while held down by BFD (RFC 5882 §4.2: it must not come straight
   * back) or disabled by an operator: forgotten, it could reconnect at once.
   */
  private forgetIfFinished(peer: Peer): void {
    if (peer.config.listenRange === undefined || this.speaker.peer(peer.address) !== peer) return;
    if (peer.connected || peer.held !== null || peer.disabled) return;
    if (this.routing.holdsStaleRoutes(peer)) return;
    if (this.speaker.removeDynamic(peer.address))
      this.log.info(
        { neighbor: peer.address, listenRange: peer.config.listenRange },
        `dynamic neighbor ${peer.address} removed: its session ended`,
      );
  }

  private peerEvents(): PeerEvents {
    return {
      established: (peer, negotiated) => {
        this.log.info(
          {
            neighbor: peer.address,
            asn: negotiated.peerAsn,
            routerId: negotiated.peerRouterId,
            holdTimeSeconds: negotiated.holdTimeSeconds,
            families: negotiated.families,
            gracefulRestart: negotiated.gracefulRestart !== null,
          },
          'session established',
        );
        this.routing.established(peer, negotiated);
      },
      down: (peer, reason) => {
        this.metrics.flap(peer.address);
        this.routing.down(peer, reason);
      },
      update: (peer, update, errors) => this.routing.update(peer, update, errors),
      routeRefresh: (peer, message) => this.routing.routeRefresh(peer, message),
      writable: (peer) => this.routing.writable(peer),
      internalError: (peer, error, where) => this.internalError(peer, error, where),
      stateChanged: (peer, from, to, reason) => {
        this.log.info(
          {
            neighbor: peer.address,
            from,
            to,
            ...(reason !== undefined ? { reason: describeReason(reason) } : {}),
          },
          `neighbor ${peer.address} ${from} -> ${to}`,
        );
        this.monitors.neighborChanged(
          peer.address,
          from,
          to,
          reason !== undefined ? describeReason(reason) : null,
        );
        // Without a connection now (Idle, or Active after a failure in
        // OpenSent): after the session's down event has run (stale routes decided).
        if ((to === 'idle' || to === 'active' || to === 'connect') && peer.config.listenRange !== undefined)
          setImmediate(() => this.forgetIfFinished(peer));
      },
      notification: (peer, direction, code, subcode, detail, data) => {
        this.metrics.notification(peer.address, direction, code, subcode);
        const line = notificationLogLine(peer.address, direction, code, subcode, detail, data);
        this.log[line.level](line.fields, line.message);
      },
    };
  }

  /**
   * The last resort for a bug hit by one neighbor's input or timers: the
   * stack goes to the log with the neighbor, the session is reset (by the
   * caller) with Cease/Out of Resources, and every other session goes on.
   */
  private internalError(peer: Peer | null, error: unknown, where: string): void {
    const neighbor = peer?.address ?? '';
    this.metrics.internalError(neighbor, where);
    this.log.error(
      {
        ...(peer !== null ? { neighbor } : {}),
        where,
        err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error),
      },
      peer !== null
        ? `internal error on ${where} of neighbor ${neighbor}: resetting that session (Cease/Out of Resources)`
        : `internal error in the ${where}: the feed goes on`,
    );
  }

  /** Starts everything; throws (before any session starts) when a socket cannot be had. */
  async start(): Promise<void> {
    await this.api.start();
    try {
      if (this.config.metrics.listen !== null) {
        // prom-client and the exposition server are loaded only when asked for.
        const { Metrics, serveMetrics } = await import('../metrics/metrics.js');
        const metrics = new Metrics();
        metrics.setSources({
          ...metricSources(this.speaker, this.routing, this.rib),
          bfd: () => this.bfd?.all() ?? [],
        });
        this.metrics = metrics;
        this.metricsServer = await serveMetrics(metrics, this.config.metrics.listen);
      }
      await this.startKernel();
      await this.startOvs();
      const restarting = this.keepPreservedForwarding();
      this.speaker.setLocal(speakerConfigOf(this.config, restarting).local);
      this.logPolicyDefaults();
      this.localRoutes.syncConfigured(this.config.originate);
      await this.syncBfd(null);
      await this.speaker.start();
    } catch (error) {
      await this.api.stop();
      this.metricsServer?.close();
      await this.bfd?.stop();
      await this.ovs?.stop();
      await this.kernel?.stop();
      throw error;
    }
    this.log.info(
      {
        asn: this.config.asn,
        routerId: this.config.routerId,
        neighbors: this.config.neighbors.length,
        socket: this.config.api.socket,
      },
      'agent started',
    );
  }

  /** Starts the kernel writer (when enabled) before any session; it adopts the routes it finds. */
  private async startKernel(): Promise<void> {
    const settings = this.config.fib.kernel;
    if (!settings.enabled) return;
    // The netlink package and its worker thread only when the kernel is written.
    const { KernelWriter } = await import('../netlink/writer.js');
    const kernel = new KernelWriter(
      {
        table: settings.table,
        protocol: settings.protocol,
        metric: settings.metric,
        reconcileIntervalMs: 60_000,
        overlay: overlayWriterConfig(this.config),
      },
      this.log,
      this.metrics.fibSink('kernel'),
      this.metrics.overlaySink(),
      // One prefix table per family for RIB and kernel: a full table's keys held once.
      { v4: this.rib.family('ipv4-unicast').prefixes, v6: this.rib.family('ipv6-unicast').prefixes },
    );
    await kernel.start();
    this.kernel = kernel;
    const feed = new FibFeed(this.rib, kernel, (error) => this.internalError(null, error, 'fib feed'));
    this.feed = feed;
    this.routing.jobs.run(this.rib.setNextHopTracker(feed.tracker()));
    kernel.onReachabilityChange(() => this.scheduleRedecide());
  }

  /**
   * Kernel routes and OVS flows found from a previous run mean forwarding
   * was preserved, which peers are told with the Graceful Restart R and F
   * bits (RFC 4724 §3). Returns that. RFC 4724 §4.1: they are kept until
   * every peer has sent End-of-RIB, or the restart time has passed.
   */
  private keepPreservedForwarding(): boolean {
    const preserved = (this.kernel?.adopted ?? 0) + (this.ovs?.adopted ?? 0);
    if (preserved === 0 || (this.config.neighbors.length === 0 && this.config.listenRanges.length === 0)) {
      this.kernel?.sweepStale();
      this.ovs?.sweepStale();
    } else {
      this.routing.onEndOfRib(() => this.maybeSweep());
      this.sweepTimer = setTimeout(
        () => this.sweep('restart time passed'),
        this.config.gracefulRestart.restartTimeSeconds * 1000,
      );
      this.sweepTimer.unref();
    }
    return (this.options.restarting ?? false) || preserved > 0;
  }

  /**
   * Starts the OVS flow writer when enabled. OVS missing, the bridge missing
   * or ovs-vswitchd down is the writer's business (a log line, a metric,
   * retries): it never stops the agent or its BGP sessions.
   */
  private async startOvs(): Promise<void> {
    const settings = this.config.fib.ovs;
    if (!settings.enabled) return;
    const { OvsWriter } = await import('../ovs/writer.js');
    const ovs = new OvsWriter(settings, {
      logger: this.log,
      metrics: this.metrics.ovsSink(),
      // Kept until the sweep (keepPreservedForwarding), as the kernel's adopted routes.
      options: { startTimeoutMs: 5000, keepFoundUntilSweep: true },
    });
    try {
      await ovs.start();
    } catch (error) {
      this.log.error({ err: String(error) }, 'ovs: the flow writer failed to start; BGP goes on without it');
      await ovs.stop().catch(() => undefined);
      return;
    }
    this.ovs = ovs;
    this.ovsFeed = new OvsFeed(this.rib, ovs, (error) => this.internalError(null, error, 'ovs feed'));
  }

  /**
   * Gives the BFD worker the sessions the configuration asks for (starting it
   * the first time one is wanted); neighbors whose BFD went away are released
   * from a hold. A worker that cannot start costs BFD, never BGP.
   */
  private async syncBfd(previous: AgentConfig | null): Promise<void> {
    const specs = [...this.config.neighbors, ...this.dynamicSettings()].flatMap(
      (n) => sessionSpecOf(n) ?? [],
    );
    const wanted = new Set(specs.map((s) => s.key));
    for (const n of previous?.neighbors ?? [])
      if (n.bfd.enabled && !wanted.has(n.address)) this.bfdCoupling.removed(n.address);
    const service = specs.length > 0 ? await this.startBfd() : this.bfd;
    service?.configure(specs);
  }

  private startBfd(): Promise<BfdService | null> {
    if (this.bfdStarting !== null) return this.bfdStarting;
    this.bfdStarting = (async () => {
      try {
        const { BfdService } = await import('../bfd/service.js');
        const service = await BfdService.start({
          transition: (key, change, atMs) => this.bfdCoupling.transition(key, change, atMs),
          error: (key, message) =>
            this.log.warn({ ...(key !== null ? { neighbor: key } : {}), error: message }, `BFD: ${message}`),
        });
        this.bfd = service;
        return service;
      } catch (error) {
        this.log.error({ err: String(error) }, 'BFD: the worker failed to start; BGP goes on without BFD');
        return null;
      }
    })();
    return this.bfdStarting;
  }

  private maybeSweep(): void {
    if (this.sweepTimer === null) return;
    // Dynamic neighbors are not known until they reconnect: End-of-RIB from
    // the ones back so far says nothing of the others; the restart time decides.
    if (this.config.listenRanges.length > 0) return;
    const waiting = this.speaker
      .allPeers()
      .filter((peer) => !peer.config.shutdown)
      .some((peer) => !this.routing.hasAllEndOfRib(peer));
    if (!waiting) this.sweep('End-of-RIB from every peer');
  }

  private sweep(why: string): void {
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    const removed = this.kernel?.sweepStale() ?? 0;
    this.ovs?.sweepStale();
    this.log.info({ removed, why }, 'kernel routes and OVS flows kept from the previous run are settled');
  }

  /** Next hops resolve differently: the RIB decides again (at most every 100 ms). */
  private scheduleRedecide(): void {
    if (this.redecideTimer !== null) return;
    this.redecideTimer = setTimeout(() => {
      this.redecideTimer = null;
      this.routing.jobs.run(this.rib.redecideAll());
    }, 100);
  }

  private logPolicyDefaults(): void {
    for (const n of this.config.neighbors) {
      if (n.asn === this.config.asn) continue;
      if (n.import === undefined) {
        this.log.warn(
          { neighbor: n.address },
          'eBGP neighbor without an import policy: no routes are imported (RFC 8212); set import: accept-all to import',
        );
      }
      if (n.export === undefined) {
        this.log.warn(
          { neighbor: n.address },
          'eBGP neighbor without an export policy: no routes are exported (RFC 8212); set export: accept-all to export',
        );
      }
    }
  }

  /**
   * Reads the configuration file again and applies the difference. A broken
   * file is refused with its one-line error and the running configuration stays.
   */
  async reload(): Promise<ReloadChanges> {
    let next: AgentConfig;
    try {
      next = await loadConfigIsolated(this.options.configPath);
    } catch (error) {
      if (error instanceof ConfigError) {
        this.log.error(
          { error: error.message },
          'configuration reload refused; the running configuration stays',
        );
      }
      throw error;
    }
    const differences = reloadDifferences(this.config, next);
    if (differences.restartRequired.length > 0)
      this.log.warn(
        { keys: differences.restartRequired },
        `${differences.restartRequired.join(', ')}: changes take effect at the next start`,
      );
    const previous = this.config;
    this.config = next;
    const result = await this.speaker.reconfigure(speakerConfigOf(next, false));
    // Neighbors whose session stays up may still have new policies.
    for (const peer of this.speaker.allPeers()) {
      if (result.added.includes(peer.address) || result.restarted.includes(peer.address)) continue;
      this.routing.updatePolicies(peer, policiesOf(next, this.settingsOf(peer)));
    }
    if (
      previous.maxPaths !== next.maxPaths ||
      previous.alwaysCompareMed !== next.alwaysCompareMed ||
      previous.preferOldestEbgpPath !== next.preferOldestEbgpPath
    ) {
      this.routing.jobs.run(
        this.rib.setOptions({
          localAsn: next.asn,
          routerId: next.routerId,
          clusterId: next.clusterId,
          maxPaths: next.maxPaths,
          alwaysCompareMed: next.alwaysCompareMed,
          preferOldestExternal: next.preferOldestEbgpPath,
        }),
      );
    }
    this.localRoutes.syncConfigured(next.originate);
    // BFD changes re-tune the sessions in place (a Poll Sequence), BGP stays up.
    await this.syncBfd(previous);
    this.logPolicyDefaults();
    const changes: ReloadChanges = {
      ...result,
      // A restarted neighbor starts over with its new policies: not a change in place.
      policiesChanged: differences.policiesChanged.filter((c) => !result.restarted.includes(c.address)),
      restartRequired: differences.restartRequired,
    };
    this.log.info(changes, 'configuration reloaded');
    return changes;
  }

  /**
   * SIGTERM/SIGINT. With Graceful Restart (the default) the agent leaves as
   * SIGKILL would, so `systemctl restart agent` loses no packet: sessions
   * close without a NOTIFICATION (peers keep our routes as stale, RFC 4724
   * §4.2) and kernel routes and OVS flows stay for the next start to adopt.
   * Without it: Cease/Administrative Shutdown to every peer, and the routes
   * and flows the agent owns are removed. `agent --cleanup` removes them
   * after a graceful stop.
   */
  async stop(message = 'agent shutting down'): Promise<void> {
    const keepForwarding = this.config.gracefulRestart.enabled;
    if (keepForwarding) {
      // First: what the sessions' end withdraws from the RIB must not reach the kernel or OVS.
      this.feed?.close();
      this.ovsFeed?.close();
      await this.speaker.close();
    } else {
      await this.speaker.stop(message);
      this.feed?.close();
      this.ovsFeed?.close();
    }
    // AdminDown to BFD peers: not a failure for them (RFC 5882 §3.2).
    await this.bfd?.stop();
    this.routing.close();
    for (const timer of [this.sweepTimer, this.redecideTimer]) if (timer !== null) clearTimeout(timer);
    if (!keepForwarding) {
      const flows = (await this.ovs?.removeAll()) ?? 0;
      const routes = (await this.kernel?.removeAll()) ?? 0;
      this.log.info({ routes, flows }, 'Graceful Restart is off: kernel routes and OVS flows removed');
    }
    await this.ovs?.stop();
    await this.kernel?.stop();
    await this.api.stop();
    await new Promise<void>((resolve) =>
      this.metricsServer === null ? resolve() : this.metricsServer.close(() => resolve()),
    );
    this.log.info(
      { keptForwarding: keepForwarding },
      keepForwarding
        ? 'agent stopped; kernel routes and OVS flows stay (Graceful Restart; agent --cleanup removes them)'
        : 'agent stopped',
    );
  }

  /** A forwarding writer by name ('kernel', 'ovs'), when enabled. */
  writer(name: string): ForwardingWriter | null {
    if (name === 'kernel') return this.kernel;
    if (name === 'ovs') return this.ovs;
    return null;
  }

  /** Stops or starts one neighbor at run time (agentctl neighbor disable/enable). */
  setNeighborEnabled(address: string, enabled: boolean, message?: string): boolean {
    const peer = this.speaker.peer(address);
    if (peer === undefined) return false;
    if (enabled) peer.start();
    else peer.stop(CeaseSubcode.administrativeShutdown, message);
    return true;
  }
}
