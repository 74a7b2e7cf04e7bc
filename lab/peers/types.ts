// The common, typed face of a real BGP daemon (gobgpd, FRR, BIRD 2, ExaBGP)
// running in a lab namespace. See lab/peers/README.md for what each daemon
// supports and how.

export type PeerKind = 'gobgp' | 'frr' | 'bird' | 'exabgp';
export type Family = 'ipv4-unicast' | 'ipv6-unicast';
export type AddPathMode = 'send' | 'receive' | 'both';
export type Origin = 'igp' | 'egp' | 'incomplete';

export interface BfdPeerConfig {
  readonly minRxMs: number;
  readonly minTxMs: number;
  readonly multiplier: number;
  readonly multihop?: boolean;
}

export interface NeighborConfig {
  /** Neighbor's IPv4 or IPv6 address (the session's transport). */
  readonly address: string;
  readonly asn: number;
  /** Our source address for this session (needed by ExaBGP; BIRD/FRR/gobgp bind to it). */
  readonly localAddress?: string;
  /** Wait for the neighbor to connect; never connect out. */
  readonly passive?: boolean;
  /** TCP MD5 signature (RFC 2385) password. */
  readonly password?: string;
  /** GTSM (RFC 5082): send TTL 255, accept only TTL >= 254 (single hop). */
  readonly ttlSecurity?: boolean;
  /** Hold time; keepalive is a third of it. Default 9. */
  readonly holdTimeSeconds?: number;
  /** Default 2. */
  readonly connectRetrySeconds?: number;
  /** Default: the family of the neighbor address. */
  readonly families?: readonly Family[];
  readonly addPath?: AddPathMode;
  readonly routeReflectorClient?: boolean;
  readonly gracefulRestart?: { readonly restartTimeSeconds: number };
  readonly nextHopSelf?: boolean;
  /** BFD with this neighbor (FRR bfdd, BIRD protocol bfd); multihop: RFC 5883 instead of 5881. */
  readonly bfd?: BfdPeerConfig;
  /**
   * RFC 8654 extended messages. FRR always advertises it; BIRD only with this
   * on; gobgp has no support; ExaBGP advertises it by default (false = off).
   */
  readonly extendedMessage?: boolean;
  /** false = do not advertise 4-octet AS (ExaBGP `asn4 disable`; BIRD `enable as4 off`). */
  readonly asn4?: boolean;
}

export interface RouteConfig {
  /** 'a.b.c.d/len' or 'x::/len'. */
  readonly prefix: string;
  /** Default: the daemon's own address on the session (next-hop self). */
  readonly nextHop?: string;
  /** 'a:b' or well-known names: 'blackhole', 'no-export', 'no-advertise', 'no-export-subconfed', 'no-peer', 'graceful-shutdown'. */
  readonly communities?: readonly string[];
  /** 'global:local1:local2'. */
  readonly largeCommunities?: readonly string[];
  /** Route targets 'rt:asn:nn' or site-of-origin 'soo:asn:nn' (FRR, BIRD, ExaBGP). */
  readonly extendedCommunities?: readonly string[];
  readonly med?: number;
  readonly localPref?: number;
  /** AS numbers prepended to the path (our own ASN is added by the daemon on eBGP). */
  readonly asPathPrepend?: readonly number[];
  readonly origin?: Origin;
  /** ATOMIC_AGGREGATE (ExaBGP). */
  readonly atomicAggregate?: boolean;
  /** AGGREGATOR (gobgp, ExaBGP). */
  readonly aggregator?: { readonly asn: number; readonly address: string };
  /** ADD-PATH path identifier of a locally originated path (gobgp `identifier`, ExaBGP `path-information`). */
  readonly pathId?: number;
  /** ORIGINATOR_ID (ExaBGP only, normally set by a route reflector). */
  readonly originatorId?: string;
  /** CLUSTER_LIST (ExaBGP only). */
  readonly clusterList?: readonly string[];
}

export interface AggregateConfig {
  readonly prefix: string;
  readonly summaryOnly?: boolean;
  readonly asSet?: boolean;
}

export interface PeerConfig {
  readonly kind: PeerKind;
  /** Full namespace name (Topology.addNamespace). */
  readonly namespace: string;
  /** Directory for configs, sockets, logs and PID files (created; FRR chowns it to frr:frr). */
  readonly stateDir: string;
  readonly routerId: string;
  readonly asn: number;
  /** Address to listen on (gobgp local-address-list, ExaBGP tcp.bind); default all. */
  readonly listenAddress?: string;
  readonly neighbors: readonly NeighborConfig[];
  readonly routes?: readonly RouteConfig[];
  /** FRR (zebra) / BIRD (kernel protocol): install BGP routes into the namespace's main table. gobgp/ExaBGP cannot. */
  readonly installFib?: boolean;
  /** FRR `aggregate-address` (ATOMIC_AGGREGATE + AGGREGATOR on the wire). FRR only. */
  readonly aggregates?: readonly AggregateConfig[];
  /** Route-reflector cluster id (default: router id). */
  readonly clusterId?: string;
  /** Hostname the daemon advertises (FRR and ExaBGP send it in the FQDN capability). */
  readonly hostname?: string;
}

/** Normalised FSM state (from the daemon's own CLI). ExaBGP: up = established, connected = connect, down = idle. */
export type SessionState =
  | 'idle'
  | 'connect'
  | 'active'
  | 'opensent'
  | 'openconfirm'
  | 'established'
  | 'unknown';

export interface ReceivedRoute {
  readonly prefix: string;
  /** First (global) next hop. */
  readonly nextHop: string;
  /** All next hops the daemon shows (IPv6: global then link-local). */
  readonly nextHops: readonly string[];
  readonly asPath: readonly number[];
  readonly origin: Origin;
  readonly med?: number;
  readonly localPref?: number;
  /** Normalised: 'a:b', or 'blackhole', 'no-export', 'no-advertise', 'no-export-subconfed', 'no-peer', 'graceful-shutdown'... */
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  /** 'rt:asn:nn' / 'soo:asn:nn' where the daemon shows them; otherwise as shown. */
  readonly extendedCommunities: readonly string[];
  readonly best: boolean;
  readonly fromNeighbor?: string;
  readonly pathId?: number;
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
}

export interface KernelRoute {
  readonly prefix: string;
  readonly gateways: readonly string[];
  readonly dev?: string;
  readonly protocol: string;
}

export interface RestartOptions {
  /**
   * true: the daemon's own graceful restart (the peer keeps our routes as
   * stale while we come back). false: a clean stop (NOTIFICATION Cease) then start.
   */
  readonly graceful: boolean;
}

export interface RunningPeer {
  readonly kind: PeerKind;
  readonly config: PeerConfig;
  /** e.g. 'gobgpd 3.10.0', 'FRR 8.4.4', 'BIRD 2.0.12', 'ExaBGP 4.2.21'. */
  version(): Promise<string>;
  sessionState(neighbor: string): Promise<SessionState>;
  /** Polls sessionState until 'established'; throws with the daemon's log tail on timeout. */
  waitEstablished(neighbor: string, timeoutMs?: number): Promise<void>;
  /** Routes learned from neighbors (locally originated ones are not listed). */
  receivedRoutes(family: Family): Promise<ReceivedRoute[]>;
  announce(route: RouteConfig): Promise<void>;
  withdraw(prefix: string, pathId?: number): Promise<void>;
  /** Administrative shutdown of one session; `message` = RFC 8203 shutdown communication where supported. */
  shutdownNeighbor(neighbor: string, message?: string): Promise<void>;
  enableNeighbor(neighbor: string): Promise<void>;
  /** 'in' asks the neighbor for its routes again (ROUTE-REFRESH); 'out' re-sends ours. */
  softReset(neighbor: string, direction: 'in' | 'out'): Promise<void>;
  restart(options: RestartOptions): Promise<void>;
  stop(): Promise<void>;
  /** Everything the daemon logged (log files and captured stdout/stderr). */
  logText(): Promise<string>;
  /** BGP routes in the namespace's kernel table (FRR/BIRD with installFib). */
  kernelRoutes(): Promise<KernelRoute[]>;
  /** PIDs of the daemon processes (for checks that nothing is left). */
  pids(): readonly number[];
}

export class UnsupportedError extends Error {
  constructor(kind: PeerKind, what: string) {
    super(`${kind}: ${what} is not supported`);
    this.name = 'UnsupportedError';
  }
}
