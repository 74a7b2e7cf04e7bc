// The validated configuration as the daemon uses it: types and defaults
// only. Parsing and validation (yaml, zod) live in ./load.ts, which the
// daemon runs in a short-lived child process (./isolated.ts), so neither
// library stays in an idle agent's memory.

import type { NeighborConfig } from '../bgp/peer.js';
import type { RawPolicy } from './schema.js';

export const DEFAULT_CONFIG_PATH = '/etc/agent/agent.yaml';

export interface MaxPrefixConfig {
  readonly limit: number;
  readonly warningOnly: boolean;
  readonly warningThresholdPercent: number;
  readonly restartSeconds: number;
}

/** BFD for one neighbor, defaults applied (RFC 5880 §6.8.1 variables in milliseconds). */
export interface BfdSettings {
  readonly enabled: boolean;
  /** bfd.RequiredMinRxInterval */
  readonly minRxMs: number;
  /** bfd.DesiredMinTxInterval once Up */
  readonly minTxMs: number;
  /** bfd.DetectMult */
  readonly multiplier: number;
  /** 1: single-hop (RFC 5881); more: multihop (RFC 5883) accepting TTL >= 256 - hops. */
  readonly hops: number;
}

export const DEFAULT_BFD: BfdSettings = Object.freeze({
  enabled: false,
  minRxMs: 300,
  minTxMs: 300,
  multiplier: 3,
  hops: 1,
});

// BFD settings are kept out of NeighborConfig on purpose: the speaker restarts
// a neighbor whose NeighborConfig changed, and a BFD change must not (a reload
// re-tunes the BFD session with a Poll Sequence, RFC 5880 §6.8.3).
export interface NeighborSettings extends NeighborConfig {
  /** Undefined: the default (iBGP accept-all, eBGP reject-all per RFC 8212). */
  readonly import: RawPolicy | undefined;
  readonly export: RawPolicy | undefined;
  readonly nextHopSelf: boolean;
  readonly enforceFirstAs: boolean;
  readonly maxPrefix: MaxPrefixConfig | null;
  readonly bfd: BfdSettings;
}

/** FRR's `bgp listen limit` default: the most neighbors one range may have at once. */
export const DEFAULT_LISTEN_RANGE_LIMIT = 100;

export interface ListenRangeConfig {
  readonly prefix: string;
  readonly peerGroup: string;
  readonly limit: number;
  /** The group's settings with an empty address; passive. */
  readonly template: NeighborSettings;
}

export interface OriginateConfig {
  readonly prefix: string;
  readonly nextHop: string | null;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  readonly med: number | null;
  readonly localPref: number | null;
}

export interface KernelFibConfig {
  readonly enabled: boolean;
  readonly table: number;
  readonly protocol: number;
  readonly metric: number;
}

export interface OvsFibConfig {
  readonly enabled: boolean;
  readonly bridge: string;
  readonly table: number;
  readonly mode: 'routed' | 'tunnel';
  /** unix:PATH or tcp:HOST:PORT; null: the bridge's management socket next to ovsdb's. */
  readonly openflow: string | null;
  readonly ovsdb: string;
  readonly uplinkPort: string | null;
  readonly tunnelPort: string | null;
  readonly cookie: bigint;
}

export type OverlayMode = 'never' | 'cross-subnet' | 'always';

export interface OverlayConfig {
  readonly mode: OverlayMode;
  /** VXLAN network identifier (RFC 7348 §5). */
  readonly vni: number;
  /** UDP destination port (4789, RFC 7348 §5). */
  readonly port: number;
  /** The kernel VXLAN device the agent owns. */
  readonly device: string;
  /** Device MTU; null: the underlay interface's MTU less the encapsulation (50 octets, 70 over IPv6). */
  readonly mtu: number | null;
  /** This node's underlay address (the VTEP's, RFC 7348 §4); null: routerId. */
  readonly localAddress: string | null;
}

export interface AgentConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly hostname: string;
  readonly listen: { readonly address: string; readonly port: number };
  readonly maxPaths: number;
  readonly clusterId: string;
  readonly alwaysCompareMed: boolean;
  readonly preferOldestEbgpPath: boolean;
  readonly advertisementIntervalMs: number;
  readonly gracefulRestart: {
    readonly enabled: boolean;
    readonly restartTimeSeconds: number;
    readonly staleRoutesTimeSeconds: number;
  };
  /** The BFD defaults neighbors start from (top-level bfd:). */
  readonly bfd: BfdSettings;
  readonly neighbors: readonly NeighborSettings[];
  /** Dynamic neighbors: connections from these prefixes, with their group's settings. */
  readonly listenRanges: readonly ListenRangeConfig[];
  readonly originate: readonly OriginateConfig[];
  readonly fib: { readonly kernel: KernelFibConfig; readonly ovs: OvsFibConfig };
  readonly overlay: OverlayConfig;
  readonly api: { readonly socket: string };
  /** null: metrics disabled. */
  readonly metrics: { readonly listen: string | null };
}

/** A configuration mistake, said in one line. */
export class ConfigError extends Error {}

/** The settings a connection from `address` in `range` gets (a dynamic neighbor). */
export function dynamicNeighborSettings(range: ListenRangeConfig, address: string): NeighborSettings {
  return { ...range.template, address };
}
