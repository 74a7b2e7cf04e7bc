// What the control API needs from the running agent, and nothing more. The
// routes (./routes.ts) are built on this interface alone, so they never see
// the daemon's classes and their tests need no sessions or sockets; the
// daemon supplies the implementation (src/daemon/control.ts).

import type { AddressFamily } from '../bgp/family.js';
import type { ForwardingWriter } from '../fib/types.js';
import type {
  BfdSessionJson,
  DestinationJson,
  GlobalJson,
  LocalRouteJson,
  MonitorEvent,
  MonitorKind,
  NeighborJson,
  NeighborOperation,
  ReloadChanges,
  RibSummaryReply,
} from './types.js';

export interface RibSelection {
  readonly family: AddressFamily;
  /** A prefix (exact match) or an address (longest match); absent: every destination. */
  readonly prefix?: string;
}

/** A neighbor's Adj-RIB-In (what it sent, rejected routes too) or Adj-RIB-Out (what we advertise). */
export type RibDirection = 'in' | 'out';

/** A route to originate from here, already checked: prefix, next hop of its family, communities. */
export interface LocalRouteRequest {
  readonly prefix: string;
  readonly nextHop: string | null;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  readonly med: number | null;
  readonly localPref: number | null;
}

/** not-capable: the session is not Established, or did not negotiate route refresh for that family. */
export type RefreshOutcome = 'requested' | 'unknown-neighbor' | 'not-capable';

/**
 * not-established: a soft reset needs an Established session; not-capable:
 * softreset-in needs route refresh negotiated (RFC 2918).
 */
export type NeighborOperationOutcome = 'done' | 'unknown-neighbor' | 'not-established' | 'not-capable';

/** A refused configuration file is an answer, not a fault: the running configuration stays. */
export type ReloadOutcome =
  | { readonly ok: true; readonly changes: ReloadChanges }
  | { readonly ok: false; readonly reason: string };

export type WriterName = 'kernel' | 'ovs';

/** The read side of a forwarding writer (kernel routes, OVS flows). */
export type ForwardingView = Pick<ForwardingWriter, 'name' | 'show' | 'diff'>;

export interface AgentControl {
  /** Every configured neighbor and its session. */
  neighbors(): readonly NeighborJson[];
  /** The Loc-RIB: accepted paths of every destination, or every path of one. */
  rib(selection: RibSelection): readonly DestinationJson[];
  /** One neighbor's routes in one direction; null when there is no such neighbor. */
  neighborRib(
    address: string,
    direction: RibDirection,
    selection: RibSelection,
  ): readonly DestinationJson[] | null;
  ribSummary(): RibSummaryReply;
  /** Announces (or replaces) a route added at run time. */
  originate(route: LocalRouteRequest): void;
  /** Withdraws a route added at run time; false when there is none for the prefix. */
  withdrawLocal(prefix: string): boolean;
  /** The local routes in effect, from the configuration and from run time. */
  localRoutes(): readonly LocalRouteJson[];
  /** Outbound ROUTE-REFRESH (RFC 2918) to one neighbor for one family. */
  requestRefresh(address: string, family: AddressFamily): RefreshOutcome;
  /** The agent itself: identity, uptime, counts. */
  global(): GlobalJson;
  /** Resets, stops, starts or soft-resets one neighbor's session. */
  neighborOperation(address: string, operation: NeighborOperation): NeighborOperationOutcome;
  /**
   * Calls `emit` with each best-path change (coalesced per prefix while the
   * caller is busy) and session state change of the kinds asked for, until
   * the returned function is called.
   */
  monitor(kinds: readonly MonitorKind[], emit: (event: MonitorEvent) => void): () => void;
  /** Reads the configuration file again and applies the difference. */
  reload(): Promise<ReloadOutcome>;
  /** A forwarding writer by name; null when it is not enabled. */
  forwardingView(name: WriterName): ForwardingView | null;
  /** The BFD sessions, fresh from the BFD worker. */
  bfdSessions(): Promise<readonly BfdSessionJson[]>;
}
