// Prometheus metrics (prom-client). Hot counters (messages) are plain numbers
// kept by their owners and read at scrape time, so counting a message costs
// an increment, not a label lookup.

import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type BfdState, bfdStates } from '../bfd/iana.js';
import { errorCodeName, errorSubcodeName } from '../bgp/codec/iana.js';
import type { BgpMessageType } from '../bgp/codec/message.js';
import type { AddressFamily } from '../bgp/family.js';
import { type FsmStateName, fsmStateNames } from '../bgp/fsm.js';
import type { KernelWriterMetrics, OverlayMetrics } from '../netlink/types.js';
import {
  type OvsChannel,
  type OvsConnectionState,
  type OvsMetrics,
  ovsConnectionStates,
} from '../ovs/types.js';
import { agentVersion } from '../util/version.js';
import type { AgentMetrics, MetricSources, RibFamilySample } from './agent-metrics.js';

export type { MetricSources, PeerSample, RibFamilySample } from './agent-metrics.js';

const messageTypes: readonly BgpMessageType[] = [
  'open',
  'update',
  'notification',
  'keepalive',
  'routeRefresh',
];

const emptyRib: Record<AddressFamily, RibFamilySample> = {
  'ipv4-unicast': { prefixes: 0, paths: 0 },
  'ipv6-unicast': { prefixes: 0, paths: 0 },
};

export class Metrics implements AgentMetrics {
  readonly registry = new Registry();
  private readonly notifications: Counter<'neighbor' | 'direction' | 'code' | 'subcode' | 'name'>;
  private readonly flaps: Counter<'neighbor'>;
  private readonly refused: Counter<'neighbor' | 'reason'>;
  private readonly internalErrors: Counter<'neighbor' | 'where'>;
  private readonly fibRoutesGauge: Gauge<'writer' | 'family'>;
  private readonly fibRepairs: Counter<'writer'>;
  private readonly fibFailures: Counter<'writer'>;
  private readonly fibBatchSeconds: Histogram<'writer'>;
  private sources: MetricSources = { peers: () => [], rib: () => emptyRib };
  private ovs: OvsMetrics | null = null;

  constructor() {
    const registry = this.registry;
    // process_* and nodejs_* (RSS, CPU, event-loop lag, heap): what an
    // operator graphs first for a daemon holding a full table.
    collectDefaultMetrics({ register: registry });
    const self = this;
    new Gauge({
      name: 'agent_build_info',
      help: 'Always 1; the labels say which agent and which Node.js runs',
      labelNames: ['version', 'node'],
      registers: [registry],
    }).set({ version: agentVersion(), node: process.versions.node }, 1);
    new Gauge({
      name: 'bgp_neighbor_prefixes',
      help: 'Prefixes per neighbor, all families: received (its Adj-RIB-In), accepted (by its import policy), advertised (to it)',
      labelNames: ['neighbor', 'kind'],
      registers: [registry],
      collect() {
        this.reset();
        for (const peer of self.sources.peers())
          for (const kind of ['received', 'accepted', 'advertised'] as const)
            this.set({ neighbor: peer.address, kind }, peer.prefixes[kind]);
      },
    });
    new Gauge({
      name: 'bgp_rib_prefixes',
      help: 'Loc-RIB destinations with a best path, by family',
      labelNames: ['family'],
      registers: [registry],
      collect() {
        for (const [family, sample] of Object.entries(self.sources.rib()))
          this.set({ family }, sample.prefixes);
      },
    });
    new Gauge({
      name: 'bgp_rib_paths',
      help: 'Paths held from every source (neighbors and local), by family',
      labelNames: ['family'],
      registers: [registry],
      collect() {
        for (const [family, sample] of Object.entries(self.sources.rib())) this.set({ family }, sample.paths);
      },
    });
    new Gauge({
      name: 'bgp_sessions',
      help: 'BGP sessions by FSM state',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const counts = new Map<FsmStateName, number>(fsmStateNames.map((state) => [state, 0]));
        for (const peer of self.sources.peers()) counts.set(peer.state, (counts.get(peer.state) ?? 0) + 1);
        for (const [state, count] of counts) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'bgp_session_established',
      help: '1 when the session with this neighbor is Established',
      labelNames: ['neighbor'],
      registers: [registry],
      collect() {
        this.reset();
        for (const peer of self.sources.peers())
          this.set({ neighbor: peer.address }, peer.state === 'established' ? 1 : 0);
      },
    });
    new Counter({
      name: 'bgp_messages_total',
      help: 'BGP messages by neighbor, direction (in/out) and type',
      labelNames: ['neighbor', 'direction', 'type'],
      registers: [registry],
      collect() {
        this.reset();
        for (const peer of self.sources.peers()) {
          for (const direction of ['in', 'out'] as const) {
            for (const type of messageTypes) {
              // Zero too: a series that exists from the start is what rate() needs.
              this.inc({ neighbor: peer.address, direction, type }, peer.messageCounts[direction][type]);
            }
          }
        }
      },
    });
    new Gauge({
      name: 'bfd_sessions',
      help: 'BFD sessions by state (RFC 5880)',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const counts = new Map<BfdState, number>(bfdStates.map((state) => [state, 0]));
        for (const s of self.sources.bfd?.() ?? []) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
        for (const [state, count] of counts) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'bfd_session_up',
      help: '1 when the BFD session with this neighbor is Up',
      labelNames: ['neighbor'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of self.sources.bfd?.() ?? []) this.set({ neighbor: s.key }, s.state === 'up' ? 1 : 0);
      },
    });
    new Counter({
      name: 'bfd_transitions_total',
      help: 'BFD session state changes by neighbor',
      labelNames: ['neighbor'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of self.sources.bfd?.() ?? [])
          if (s.transitions > 0) this.inc({ neighbor: s.key }, s.transitions);
      },
    });
    new Gauge({
      name: 'bfd_detection_ms',
      help: 'The negotiated BFD Detection Time for the neighbor (RFC 5880 §6.8.4), milliseconds',
      labelNames: ['neighbor'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of self.sources.bfd?.() ?? []) this.set({ neighbor: s.key }, s.detectionTimeUs / 1000);
      },
    });
    this.notifications = new Counter({
      name: 'bgp_notifications_total',
      help: 'NOTIFICATION messages by neighbor, direction (in/out, as bgp_messages_total), code and subcode',
      labelNames: ['neighbor', 'direction', 'code', 'subcode', 'name'],
      registers: [registry],
    });
    this.flaps = new Counter({
      name: 'bgp_session_flaps_total',
      help: 'Times an Established session went down',
      labelNames: ['neighbor'],
      registers: [registry],
      collect() {
        // Every configured neighbor at 0 until its first flap, so increase() alerts see it.
        for (const peer of self.sources.peers()) this.inc({ neighbor: peer.address }, 0);
      },
    });
    this.refused = new Counter({
      name: 'bgp_prefixes_refused_total',
      help: 'Prefixes not sent to a neighbor because their attributes cannot be encoded for it (e.g. too large for its maximum message size), by reason',
      labelNames: ['neighbor', 'reason'],
      registers: [registry],
    });
    this.internalErrors = new Counter({
      name: 'agent_internal_errors_total',
      help: 'Exceptions caught by a last-resort handler: for a neighbor (its session was reset with Cease/Out of Resources), or in a FIB feed (neighbor="")',
      labelNames: ['neighbor', 'where'],
      registers: [registry],
    });
    // The longest turn of the event loop (a full-table burst must not hold
    // keepalives and the control API): sampled every millisecond.
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    let worstSeconds = 0;
    new Gauge({
      name: 'agent_event_loop_delay_max_seconds',
      help: 'The longest event-loop delay since the previous scrape (perf_hooks monitorEventLoopDelay, 1 ms resolution)',
      registers: [registry],
      collect() {
        const seconds = delay.max / 1e9;
        worstSeconds = Math.max(worstSeconds, seconds);
        delay.reset();
        this.set(seconds);
      },
    });
    new Gauge({
      name: 'agent_event_loop_delay_worst_seconds',
      help: 'The longest event-loop delay seen since the agent started (as of the last scrape)',
      registers: [registry],
      collect() {
        this.set(Math.max(worstSeconds, delay.max / 1e9));
      },
    });
    this.fibRoutesGauge = new Gauge({
      name: 'fib_routes',
      help: 'Routes (kernel) or flows (ovs) the writer has programmed, by family',
      labelNames: ['writer', 'family'],
      registers: [registry],
    });
    this.fibRepairs = new Counter({
      name: 'fib_repairs_total',
      help: 'Owned routes or flows changed or deleted outside the agent and put back',
      labelNames: ['writer'],
      registers: [registry],
    });
    this.fibFailures = new Counter({
      name: 'fib_failures_total',
      help: 'Route or flow writes the forwarding plane refused',
      labelNames: ['writer'],
      registers: [registry],
    });
    this.fibBatchSeconds = new Histogram({
      name: 'fib_batch_seconds',
      help: 'Time to encode and send one batch of changes',
      labelNames: ['writer'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    });
  }

  /**
   * What the OVS flow writer reports: batches, repairs and failures go to the
   * fib_* metrics shared with the kernel writer (writer="ovs"); flows, groups,
   * routes waiting to be programmed and the connection state are OVS's own.
   */
  ovsSink(): OvsMetrics {
    this.ovs ??= this.createOvsSink();
    return this.ovs;
  }

  private createOvsSink(): OvsMetrics {
    const fib = this.fibSink('ovs');
    const registry = this.registry;
    const flows = new Gauge({
      name: 'ovs_flows',
      help: 'Flows the OVS writer owns in the bridge',
      registers: [registry],
    });
    const groups = new Gauge({
      name: 'ovs_groups',
      help: 'Select groups (ECMP) the OVS writer owns in the bridge',
      registers: [registry],
    });
    const unprogrammed = new Gauge({
      name: 'ovs_unprogrammed_routes',
      help: 'Routes the OVS writer cannot program now (no next-hop MAC, no port, refused by the switch)',
      registers: [registry],
    });
    const connection = new Gauge({
      name: 'ovs_connection',
      help: '1 for the current state of each OVS channel (openflow, ovsdb): connected, connecting, no-bridge, stopped',
      labelNames: ['channel', 'state'],
      registers: [registry],
    });
    for (const channel of ['openflow', 'ovsdb'] as const)
      for (const state of ovsConnectionStates)
        connection.set({ channel, state }, state === 'stopped' ? 1 : 0);
    return {
      setInstalled: (flowCount: number, groupCount: number) => {
        flows.set(flowCount);
        groups.set(groupCount);
      },
      observeBatch: (seconds: number, operations: number, outcome: 'committed' | 'failed') => {
        fib.batch(operations, seconds * 1000);
        if (outcome === 'failed') fib.failed(operations);
      },
      addRepairs: (count: number) => fib.repaired(count),
      setConnectionState: (channel: OvsChannel, state: OvsConnectionState) => {
        for (const each of ovsConnectionStates)
          connection.set({ channel, state: each }, each === state ? 1 : 0);
      },
      setUnprogrammed: (count: number) => unprogrammed.set(count),
    };
  }

  /** What the overlay's VXLAN device adapter reports. */
  overlaySink(): OverlayMetrics {
    const registry = this.registry;
    const up = new Gauge({
      name: 'overlay_device_up',
      help: '1 while the overlay VXLAN device is there as configured, 0 while it cannot be made',
      registers: [registry],
    });
    const failures = new Counter({
      name: 'overlay_device_failures_total',
      help: 'Times the overlay VXLAN device could not be created or changed',
      registers: [registry],
    });
    const repairs = new Counter({
      name: 'overlay_repairs_total',
      help: 'Overlay device, fdb or neighbour entries put back after a change outside the agent',
      registers: [registry],
    });
    const vteps = new Gauge({
      name: 'overlay_vteps',
      help: 'Remote VXLAN tunnel end points the routes go through',
      registers: [registry],
    });
    failures.inc(0);
    repairs.inc(0);
    return {
      deviceUp: (value: boolean) => up.set(value ? 1 : 0),
      deviceFailed: () => failures.inc(),
      repaired: (count: number) => repairs.inc(count),
      vteps: (count: number) => vteps.set(count),
    };
  }

  /** What a forwarding writer reports (kernel, ovs). */
  fibSink(writer: string): KernelWriterMetrics {
    return {
      routes: (version: 4 | 6, installed: number) =>
        this.fibRoutesGauge.set({ writer, family: `ipv${version}` }, installed),
      repaired: (count: number) => this.fibRepairs.inc({ writer }, count),
      failed: (count: number) => this.fibFailures.inc({ writer }, count),
      batch: (_routes: number, milliseconds: number) =>
        this.fibBatchSeconds.observe({ writer }, milliseconds / 1000),
    };
  }

  setSources(sources: MetricSources): void {
    this.sources = sources;
  }

  notification(neighbor: string, direction: 'sent' | 'received', code: number, subcode: number): void {
    this.notifications.inc({
      neighbor,
      direction: direction === 'sent' ? 'out' : 'in',
      code: String(code),
      subcode: String(subcode),
      name: `${errorCodeName(code)} / ${errorSubcodeName(code, subcode)}`,
    });
  }

  flap(neighbor: string): void {
    this.flaps.inc({ neighbor });
  }

  refusedPrefix(neighbor: string, reason: string): void {
    this.refused.inc({ neighbor, reason });
  }

  internalError(neighbor: string, where: string): void {
    this.internalErrors.inc({ neighbor, where });
  }

  /**
   * Removes the series the agent counted for a neighbor that is gone. The
   * gauges and counters read at scrape time (sessions, messages, prefixes)
   * follow the neighbor list by themselves.
   */
  forgetNeighbor(neighbor: string): void {
    const counters = [this.notifications, this.flaps, this.refused, this.internalErrors] as Counter<string>[];
    for (const counter of counters) {
      void counter
        .get()
        .then((metric) => {
          for (const value of metric.values)
            if (value.labels.neighbor === neighbor) counter.remove(value.labels as Record<string, string>);
        })
        .catch(() => undefined);
    }
  }
}

/** Serves GET /metrics on HOST:PORT. */
export async function serveMetrics(metrics: Metrics, listen: string): Promise<http.Server> {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(colon + 1));
  const server = http.createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n');
      return;
    }
    metrics.registry
      .metrics()
      .then((text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
      .catch((error: unknown) => response.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
