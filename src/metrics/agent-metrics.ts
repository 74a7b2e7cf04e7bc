// What the agent reports to its metrics, as an interface: the Prometheus
// implementation (metrics.ts, with prom-client) is loaded only when
// metrics.listen is set, so an agent without metrics does not carry it.

import type { BfdState } from '../bfd/iana.js';
import type { FsmStateName } from '../bgp/fsm.js';
import type { MessageCounts } from '../bgp/peer.js';
import { type KernelWriterMetrics, noOverlayMetrics, type OverlayMetrics } from '../netlink/types.js';
import { noopMetrics as noOvsMetrics, type OvsMetrics } from '../ovs/types.js';

export interface PeerSample {
  readonly address: string;
  readonly state: FsmStateName;
  readonly messageCounts: MessageCounts;
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
}

export interface AgentMetrics {
  setSources(sources: MetricSources): void;
  notification(neighbor: string, direction: 'sent' | 'received', code: number, subcode: number): void;
  flap(neighbor: string): void;
  refusedPrefix(neighbor: string, reason: string): void;
  internalError(neighbor: string, where: string): void;
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
  fibSink: () => noFib,
  ovsSink: () => noOvsMetrics,
  overlaySink: () => noOverlayMetrics,
};
