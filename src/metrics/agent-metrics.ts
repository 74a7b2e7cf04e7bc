// What the agent reports to its metrics, as an interface: the Prometheus
// implementation (metrics.ts, with prom-client) is loaded only when
// metrics.listen is set, so an agent without metrics does not carry it.

import type { BfdState } from '../bfd/iana.js';
import type { AddressFamily } from '../bgp/family.js';
import type { FsmStateName } from '../bgp/fsm.js';
import type { MessageCounts } from '../bgp/peer.js';
import { type KernelWriterMetrics, noOverlayMetrics, type OverlayMetrics } from '../netlink/types.js';
import { noopMetrics as noOvsMetrics, type OvsMetrics } from '../ovs/types.js';

export interface PeerSample {
  readonly address: string;
  readonly state: FsmStateName;
  readonly messageCounts: MessageCounts;
  /** As neighbor show counts them: sent to us, let in by the import policy, sent to it (all families). */
  readonly prefixes: { readonly received: number; readonly accepted: number; readonly advertised: number };
}

/** One family of the Loc-RIB: destinations with a best path, and paths held from every source. */
export interface RibFamilySample {
  readonly prefixes: number;
  readonly paths: number;
}

export interface BfdSample {
  readonly key: string;
  readonly state: BfdState;
  readonly transitions: number;
  readonly detectionTimeUs: number;
}

export interface MetricSources {
  peers(): readonly PeerSample[];
  bfd?: () => readonly BfdSample[];
  rib(): Readonly<Record<AddressFamily, RibFamilySample>>;
}

export interface AgentMetrics {
  setSources(sources: MetricSources): void;
  /** direction as the log says it; the metric says in/out, as bgp_messages_total does. */
  notification(neighbor: string, direction: 'sent' | 'received', code: number, subcode: number): void;
  flap(neighbor: string): void;
  refusedPrefix(neighbor: string, reason: string): void;
  internalError(neighbor: string, where: string): void;
  /** Drops every series of a neighbor that is gone (a dynamic neighbor whose session ended). */
  forgetNeighbor(neighbor: string): void;
  /** What a forwarding writer reports (kernel, ovs). */
  fibSink(writer: string): KernelWriterMetrics;
  /** What the OVS flow writer reports. */
  ovsSink(): OvsMetrics;
  /** What the overlay's VXLAN device adapter reports. */
  overlaySink(): OverlayMetrics;
}

const noFib: KernelWriterMetrics = {
  routes: () => {},
  repaired: () => {},
  failed: () => {},
  batch: () => {},
};

/** Metrics off: every report goes nowhere. */
export const noMetrics: AgentMetrics = {
  setSources: () => {},
  notification: () => {},
  flap: () => {},
  refusedPrefix: () => {},
  internalError: () => {},
  forgetNeighbor: () => {},
  fibSink: () => noFib,
  ovsSink: () => noOvsMetrics,
  overlaySink: () => noOverlayMetrics,
};
