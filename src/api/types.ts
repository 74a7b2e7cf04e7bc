// The control API's replies: the one contract the daemon answers with and
// agentctl (or any other client) reads. Field names are the JSON keys users
// script against (agentctl ... --json): change them only with a new version.

import type { AddressFamily } from '../bgp/family.js';
import type { FibDiffEntry, FibEntry } from '../fib/types.js';

/** Every refusal: status 4xx/5xx with one line naming what to fix. */
export interface ErrorReply {
  readonly error: string;
}

/** What both sides agreed on in OPEN (present once the session has been Established). */
export interface NeighborSessionJson {
  readonly localAddress: string | null;
  readonly peerRouterId: string;
  readonly peerHostname: string | null;
  readonly holdTimeSeconds: number;
  readonly keepaliveSeconds: number;
  readonly families: readonly string[];
  readonly fourOctetAs: boolean;
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  readonly extendedMessage: boolean;
  readonly gracefulRestart: boolean;
  readonly addPath: Readonly<Record<string, { readonly send: boolean; readonly receive: boolean }>>;
  /** Our OPEN's capabilities, one line each, as `agentctl decode` prints them. */
  readonly capabilitiesSent: readonly string[];
  /** The neighbor's OPEN's capabilities. */
  readonly capabilitiesReceived: readonly string[];
}

/** Messages by type (RFC 4271 §4.1 types, and ROUTE-REFRESH). */
export interface MessageTypeCounts {
  readonly open: number;
  readonly update: number;
  readonly notification: number;
  readonly keepalive: number;
  readonly routeRefresh: number;
}

/** GET /v1/neighbors: one per configured neighbor. */
export interface NeighborJson {
  readonly address: string;
  readonly asn: number;
  readonly description: string | null;
  /** The peerGroups entry its settings come from, if any. */
  readonly peerGroup: string | null;
  /** A dynamic neighbor: the listenRanges prefix its connection came from; null when configured. */
  readonly listenRange: string | null;
  readonly state: string;
  /** Seconds in the current state group (up: since Established; down: since it went down or was configured). */
  readonly upDownSeconds: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly updatesIn: number;
  readonly updatesOut: number;
  readonly prefixes: { readonly received: number; readonly accepted: number; readonly advertised: number };
  readonly flaps: number;
  readonly lastError: string | null;
  /** Octets waiting in user space to be written to the peer (a slow peer holds this at the write mark). */
  readonly outQueueBytes: number;
  /** What the configuration asks for (the session's negotiated values are under session). */
  readonly configured: {
    readonly holdTimeSeconds: number;
    readonly connectRetrySeconds: number;
    readonly passive: boolean;
    readonly families: readonly string[];
  };
  /** Since the neighbor was configured, across sessions. */
  readonly messages: { readonly in: MessageTypeCounts; readonly out: MessageTypeCounts };
  readonly session: NeighborSessionJson | null;
  /** The BFD session's state (adminDown, down, init, up), "held" appended while BGP waits for it; null without BFD. */
  readonly bfd: string | null;
}

/** GET /v1/bfd: one BFD session (RFC 5880 variables, intervals in milliseconds). */
export interface BfdSessionJson {
  /** The BGP neighbor the session belongs to. */
  readonly neighbor: string;
  readonly localAddress: string | null;
  readonly multihop: boolean;
  readonly state: string;
  readonly remoteState: string;
  readonly localDiscriminator: number;
  readonly remoteDiscriminator: number;
  /** bfd.LocalDiag as text. */
  readonly diagnostic: string;
  readonly remoteDiagnostic: string;
  /** The peer's C bit: its BFD does not share fate with its control plane. */
  readonly remoteControlPlaneIndependent: boolean;
  /** The negotiated transmit interval (before jitter). */
  readonly transmitIntervalMs: number;
  /** The negotiated Detection Time for the peer. */
  readonly detectionTimeMs: number;
  readonly remoteDetectMult: number;
  readonly configured: {
    readonly minRxMs: number;
    readonly minTxMs: number;
    readonly multiplier: number;
    readonly hops: number;
  };
  readonly upDownSeconds: number;
  readonly transitions: number;
  readonly flaps: number;
  readonly lastDown: {
    readonly secondsAgo: number;
    readonly diagnostic: string;
    readonly remoteState: string;
  } | null;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly sourcePort: number;
  /** The BGP session is held down until this BFD session is Up (RFC 5882). */
  readonly bgpHeld: boolean;
}

/** One path to a destination, with the attributes as gobgp prints them. */
export interface PathJson {
  readonly best: boolean;
  readonly installed: boolean;
  /** The neighbor's address, or "local" for a route this agent originates. */
  readonly neighbor: string;
  readonly nextHop: string;
  readonly linkLocalNextHop?: string;
  readonly asPath: string;
  readonly asPathSegments: readonly { readonly type: number; readonly asns: readonly number[] }[];
  readonly origin: 'igp' | 'egp' | 'incomplete';
  readonly med?: number;
  readonly localPref?: number;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  readonly extendedCommunities: readonly string[];
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  readonly atomicAggregate?: boolean;
  readonly aggregator?: { readonly asn: number; readonly address: string };
  readonly ageSeconds: number;
  readonly pathId?: number;
  readonly stale: boolean;
  readonly accepted: boolean;
  readonly eligible: boolean;
  /** Why this path is not the best one (absent for the best). */
  readonly reason?: string;
}

export interface DestinationJson {
  readonly prefix: string;
  /** Best first. */
  readonly paths: readonly PathJson[];
}

/** GET /v1/rib (also with neighbor and direction). */
export interface RibReply {
  readonly family: AddressFamily;
  readonly destinations: readonly DestinationJson[];
}

export interface RibFamilyCounts {
  /** Destinations with a best path. */
  readonly prefixes: number;
  /** Paths held, from every source. */
  readonly routes: number;
}

/** One neighbor's share of the RIB: what it sent and what its import policy let in, per family. */
export interface RibNeighborCounts {
  readonly address: string;
  readonly received: Readonly<Record<AddressFamily, number>>;
  readonly accepted: Readonly<Record<AddressFamily, number>>;
  /** Prefixes advertised to it, all families. */
  readonly advertised: number;
}

/** GET /v1/rib/summary (agentctl rib show --summary). */
export type RibSummaryReply = Readonly<Record<AddressFamily, RibFamilyCounts>> & {
  /** Distinct interned attribute sets. */
  readonly attributeSets: number;
  readonly neighbors: readonly RibNeighborCounts[];
};

/** GET /v1/global (agentctl global): the agent itself, as gobgp global shows it. */
export interface GlobalJson {
  readonly asn: number;
  readonly routerId: string;
  readonly listen: { readonly address: string; readonly port: number };
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly gracefulRestart: boolean;
  readonly neighbors: { readonly configured: number; readonly established: number };
  /** Loc-RIB destinations with a best path, per family. */
  readonly prefixes: Readonly<Record<AddressFamily, number>>;
}

/**
 * What agentctl neighbor reset|disable|enable|softreset asks: reset is
 * Cease/Administrative Reset and the session comes back; disable is
 * Cease/Administrative Shutdown and it stays down (until enable or a
 * restart); softreset-in asks the neighbor to send its routes again
 * (ROUTE-REFRESH, RFC 2918), softreset-out sends it ours again.
 */
export type NeighborOperation = 'reset' | 'disable' | 'enable' | 'softreset-in' | 'softreset-out';

/** POST /v1/neighbors/{reset,disable,enable,softreset}. */
export interface NeighborOperationReply {
  readonly neighbor: string;
  readonly operation: NeighborOperation;
}

/** POST /v1/rib: the prefix as given. */
export interface RibAddReply {
  readonly added: string;
}

/** DELETE /v1/rib: the prefix as given. */
export interface RibDeleteReply {
  readonly deleted: string;
}

/** GET /v1/routes/local: one per route originated here (config `originate:` or `rib add`). */
export interface LocalRouteJson {
  readonly prefix: string;
  readonly nextHop: string | null;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  readonly med: number | null;
  readonly localPref: number | null;
  readonly origin: 'config' | 'runtime';
}

/** POST /v1/neighbors/refresh. */
export interface RefreshReply {
  readonly refreshRequested: string;
  readonly family: AddressFamily;
}

/** Neighbors by address, as a configuration reload changed them. */
export interface ReloadChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly restarted: readonly string[];
  /** Neighbors whose session stays up and whose policies changed in place (the difference is sent). */
  readonly policiesChanged: readonly {
    readonly address: string;
    readonly policies: readonly ('import' | 'export')[];
  }[];
  /** Keys that changed in the file but are read only at start (systemctl restart agent). */
  readonly restartRequired: readonly string[];
}

/** POST /v1/config/reload. */
export interface ReloadReply extends ReloadChanges {
  readonly reloaded: true;
}

/** GET /v1/fib?writer=NAME. */
export interface FibShowReply {
  readonly writer: string;
  readonly entries: readonly FibEntry[];
}

/** GET /v1/fib/diff?writer=NAME: empty differences when converged. */
export interface FibDiffReply {
  readonly writer: string;
  readonly differences: readonly FibDiffEntry[];
}

/** What agentctl monitor follows. */
export type MonitorKind = 'rib' | 'neighbor';

/** A destination's best path changed (gobgp monitor global rib); best null: withdrawn. */
export interface RibMonitorEvent {
  readonly type: 'rib';
  /** ISO 8601, when the agent saw it. */
  readonly time: string;
  readonly family: AddressFamily;
  readonly prefix: string;
  readonly best: PathJson | null;
}

/** A neighbor's session changed state (gobgp monitor neighbor). */
export interface NeighborMonitorEvent {
  readonly type: 'neighbor';
  readonly time: string;
  readonly neighbor: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string | null;
}

/** GET /v1/monitor: one per line (NDJSON) after a first {"streaming":true} line. */
export type MonitorEvent = RibMonitorEvent | NeighborMonitorEvent;
