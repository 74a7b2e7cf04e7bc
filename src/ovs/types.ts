// What the OVS writer needs from the daemon: a logger (pino's (fields, msg)
// shape), a metrics sink the daemon maps onto prom-client, and the writer's
// own status for `agentctl fib show --ovs`.

export interface OvsLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export const silentLogger: OvsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

/**
 * connected: talking to the switch / database.
 * connecting: trying (first attempt, or backing off after a failure).
 * no-bridge: ovsdb is up but the bridge does not exist (OpenFlow waits for it).
 * stopped: the writer was stopped.
 */
export type OvsConnectionState = 'connected' | 'connecting' | 'no-bridge' | 'stopped';
export const ovsConnectionStates: readonly OvsConnectionState[] = [
  'connected',
  'connecting',
  'no-bridge',
  'stopped',
];

export type OvsChannel = 'openflow' | 'ovsdb';

/**
 * What the writer reports; the daemon maps it onto prom-client
 * (src/metrics/metrics.ts, Metrics.ovsSink):
 *   setInstalled      -> ovs_flows, ovs_groups (gauges: what we own in the bridge)
 *   observeBatch      -> fib_batch_seconds{writer="ovs"} (send to commit reply);
 *                        failed batches' operations -> fib_failures_total{writer="ovs"}
 *   addRepairs        -> fib_repairs_total{writer="ovs"} (entries changed behind our back, rewritten)
 *   setConnectionState -> ovs_connection{channel,state} (1 for the current state)
 *   setUnprogrammed   -> ovs_unprogrammed_routes (no MAC, no port, refused by the switch)
 */
export interface OvsMetrics {
  setInstalled(flows: number, groups: number): void;
  observeBatch(seconds: number, operations: number, outcome: 'committed' | 'failed'): void;
  addRepairs(count: number): void;
  setConnectionState(channel: OvsChannel, state: OvsConnectionState): void;
  setUnprogrammed(count: number): void;
}

export const noopMetrics: OvsMetrics = {
  setInstalled: () => undefined,
  observeBatch: () => undefined,
  addRepairs: () => undefined,
  setConnectionState: () => undefined,
  setUnprogrammed: () => undefined,
};

export interface OvsStatus {
  readonly bridge: string;
  readonly mode: 'routed' | 'tunnel';
  readonly openflow: {
    readonly target: string;
    readonly state: OvsConnectionState;
    readonly lastError: string | null;
  };
  readonly ovsdb: {
    readonly target: string;
    readonly state: OvsConnectionState;
    readonly lastError: string | null;
  };
  /** Flows we believe are in the bridge. */
  readonly flows: number;
  readonly groups: number;
  /** Desired routes. */
  readonly routes: number;
  /** Routes still to be written. */
  readonly pending: number;
  readonly unprogrammed: readonly { readonly prefix: string; readonly reason: string }[];
  readonly repairs: number;
  readonly lastSync: string | null;
}
