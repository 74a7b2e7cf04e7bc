// What the forwarding-plane writers (kernel over netlink, OVS over OpenFlow)
// are told: plain route commands, no BGP types. The daemon turns Loc-RIB
// changes into these (src/daemon/fib-feed.ts); writers never import src/bgp.

export type IpVersion = 4 | 6;

export interface FibNextHop {
  /** Gateway address (canonical text). */
  readonly address: string;
  /** Interface to reach it through, when the route says (IPv6 link-local next hops need one). */
  readonly interfaceName?: string;
}

/** One destination as the forwarding plane should have it. */
export interface FibRoute {
  readonly version: IpVersion;
  /** Canonical prefix text: "10.233.2.0/24", "fd00:233:2::/64" (host bits clear). */
  readonly prefix: string;
  /** Empty for a blackhole route. More than one: ECMP (one multipath route / one select group). */
  readonly nextHops: readonly FibNextHop[];
  /** RFC 7999 BLACKHOLE: drop the traffic. */
  readonly blackhole: boolean;
}

export type FibCommand =
  | { readonly kind: 'install'; readonly route: FibRoute }
  | { readonly kind: 'withdraw'; readonly version: IpVersion; readonly prefix: string };

/** Desired-vs-actual difference, as `agentctl fib diff` prints it (empty when converged). */
export interface FibDiffEntry {
  readonly prefix: string;
  /** missing: desired but absent; extra: owned but not desired; different: present but not as desired. */
  readonly problem: 'missing' | 'extra' | 'different';
  readonly desired: string | null;
  readonly actual: string | null;
}

/** One owned entry as it is in the forwarding plane. */
export interface FibEntry {
  readonly prefix: string;
  /** One line as the tool operators know would print it (`ip route`, `ovs-ofctl dump-flows`). */
  readonly text: string;
  /** Structured details for --json. */
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface ForwardingWriter {
  /** A short name for logs and the API: "kernel", "ovs". */
  readonly name: string;
  /** Connects and reconciles what is there with the desired set (owned entries only). */
  start(): Promise<void>;
  /**
   * Applies commands to the desired set; the writer programs them in batches
   * at its own pace and coalesces (a prefix changed twice is written once).
   * Never throws for one bad route: failures are logged and counted.
   */
  apply(commands: readonly FibCommand[]): void;
  /** Resolves once every command given so far has been programmed (or failed). */
  flush(): Promise<void>;
  /** What the writer owns in the forwarding plane now (`fib show`). */
  show(): Promise<readonly FibEntry[]>;
  diff(): Promise<readonly FibDiffEntry[]>;
  /** Stops, leaving what is programmed in place (graceful restart keeps forwarding). */
  stop(): Promise<void>;
}
