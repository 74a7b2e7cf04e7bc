// Keeps the bridge's facts (does it exist, its ports' OpenFlow numbers and
// MACs) current: connects to ovsdb-server, monitors Bridge/Port/Interface
// (RFC 7047 §4.1.5), applies "update" notifications to a replica, and
// reconnects with backoff when the server goes away. Each change of the
// facts is reported once; a lost connection is a state change, not an
// exception.
import { Backoff, type BackoffOptions } from '../backoff.js';
import type { OvsConnectionState, OvsLogger } from '../types.js';
import { OvsdbClient } from './client.js';
import {
  applyTableUpdates,
  type BridgeFacts,
  bridgeFacts,
  factsKey,
  MONITOR_REQUESTS,
  type Replica,
} from './facts.js';

export interface BridgeWatcherOptions {
  readonly target: string;
  readonly bridge: string;
  readonly logger: OvsLogger;
  readonly onFacts: (facts: BridgeFacts) => void;
  readonly onState: (state: OvsConnectionState, error: string | null) => void;
  /** After each failed connection attempt (the state may not change: it stays "connecting"). */
  readonly onFailure?: (error: string) => void;
  readonly backoff?: BackoffOptions;
}

const MONITOR_ID = 'agent-ovs-fib';

export class BridgeWatcher {
  private client: OvsdbClient | null = null;
  private replica: Replica = new Map();
  private lastKey: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly backoff: Backoff;
  private loggedFailure: string | null = null;
  facts: BridgeFacts | null = null;
  state: OvsConnectionState = 'connecting';
  lastError: string | null = null;

  constructor(private readonly options: BridgeWatcherOptions) {
    this.backoff = new Backoff(options.backoff);
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.client?.close();
    this.client = null;
    this.setState('stopped', null);
  }

  private setState(state: OvsConnectionState, error: string | null): void {
    this.lastError = error;
    if (state === this.state) return;
    this.state = state;
    this.options.onState(state, error);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { target, logger } = this.options;
    try {
      const client = await OvsdbClient.connect(target);
      if (this.stopped) {
        client.close();
        return;
      }
      this.client = client;
      this.replica = new Map();
      client.onNotification((method, params) => {
        if (method !== 'update' || params[0] !== MONITOR_ID) return;
        if (applyTableUpdates(this.replica, params[1] ?? null)) this.publish();
      });
      client.onClose((error) => {
        if (this.client !== client) return;
        this.client = null;
        if (this.stopped) return;
        logger.warn({ target, err: error.message }, 'ovs: lost the OVSDB connection; reconnecting');
        this.setState('connecting', error.message);
        this.schedule();
      });
      const initial = await client.request('monitor', ['Open_vSwitch', MONITOR_ID, MONITOR_REQUESTS]);
      applyTableUpdates(this.replica, initial);
      this.backoff.reset();
      this.loggedFailure = null;
      logger.info({ target }, 'ovs: connected to OVSDB');
      this.publish();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.client?.close();
      this.client = null;
      // One line per distinct failure, not one per retry.
      if (this.loggedFailure !== message) {
        logger.warn({ target, err: message }, 'ovs: cannot reach OVSDB (is ovsdb-server running?); retrying');
        this.loggedFailure = message;
      }
      this.setState('connecting', message);
      this.options.onFailure?.(message);
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.backoff.next());
    this.timer.unref();
  }

  private publish(): void {
    const facts = bridgeFacts(this.replica, this.options.bridge);
    this.setState(
      facts.present ? 'connected' : 'no-bridge',
      facts.present ? null : `bridge ${this.options.bridge} does not exist`,
    );
    const key = factsKey(facts);
    if (key === this.lastKey) return;
    if (!facts.present && (this.lastKey === null || this.facts?.present))
      this.options.logger.warn(
        { bridge: this.options.bridge },
        'ovs: the bridge does not exist in OVSDB; waiting for it',
      );
    this.lastKey = key;
    this.facts = facts;
    this.options.onFacts(facts);
  }
}
