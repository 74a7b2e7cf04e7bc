// The OpenFlow side of the writer: one connection to the bridge at a time,
// re-established with backoff when it fails or drops (ovs-vswitchd stopped
// or restarted, bridge deleted). A missing bridge or switch is a state and
// one log line per distinct reason, never an exception. Once connected, the
// session asks for FLOW_REMOVED on deletes (so a flow deleted by hand is
// seen at once) and hands the connection to the writer.
import { Backoff, type BackoffOptions } from './backoff.js';
import { ByteWriter } from './openflow/buffer.js';
import { OpenflowConnection, type OpenflowConnectionOptions } from './openflow/connection.js';
import { OfpFlowRemovedReason } from './openflow/constants.js';
import { type OfMessage, writeSetAsync, writeSetConfig } from './openflow/messages.js';
import { formatTarget, type SocketTarget, type TargetResult } from './target.js';
import type { OvsConnectionState, OvsLogger, OvsMetrics } from './types.js';

export type FlowRemovedMessage = Extract<OfMessage, { type: 'flowRemoved' }>;

export interface SessionEvents {
  connected(connection: OpenflowConnection): void;
  disconnected(error: string): void;
  flowRemoved(message: FlowRemovedMessage): void;
}

export interface SessionOptions {
  readonly backoff?: BackoffOptions;
  readonly connection?: OpenflowConnectionOptions;
}

/** FLOW_REMOVED for deletes by a controller or ovs-ofctl, and for flows removed with their group. */
const FLOW_REMOVED_MASK = (1 << OfpFlowRemovedReason.DELETE) | (1 << OfpFlowRemovedReason.GROUP_DELETE);

export class OpenflowSession {
  private current: OpenflowConnection | null = null;
  private connecting = false;
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  private loggedError: string | null = null;
  private bridgeMissing = false;
  state: OvsConnectionState = 'stopped';
  lastError: string | null = null;

  constructor(
    private readonly target: TargetResult,
    private readonly bridge: string,
    private readonly logger: OvsLogger,
    private readonly metrics: OvsMetrics,
    private readonly options: SessionOptions,
    private readonly events: SessionEvents,
  ) {
    this.backoff = new Backoff(options.backoff);
  }

  get connection(): OpenflowConnection | null {
    return this.current;
  }

  get targetText(): string {
    return this.target.ok ? formatTarget(this.target.value) : `(none: ${this.target.error})`;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.setState('connecting', null);
    if (!this.target.ok) {
      this.logger.error({ err: this.target.error }, 'ovs: no OpenFlow target; flows cannot be written');
      this.lastError = this.target.error;
      return;
    }
    void this.connect(this.target.value);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const connection = this.current;
    this.current = null;
    connection?.close();
    this.setState('stopped', null);
  }

  /** What OVSDB says about the bridge: when it appears, try at once instead of waiting out the backoff. */
  bridgeChanged(present: boolean): void {
    this.bridgeMissing = !present;
    if (this.stopped || this.current !== null) return;
    if (!present) {
      this.setState('no-bridge', `bridge ${this.bridge} does not exist`);
      return;
    }
    if (this.target.ok && !this.connecting) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.backoff.reset();
      void this.connect(this.target.value);
    }
  }

  private setState(state: OvsConnectionState, error: string | null): void {
    this.lastError = error;
    if (state === this.state) return;
    this.state = state;
    this.metrics.setConnectionState('openflow', state);
  }

  private async connect(target: SocketTarget): Promise<void> {
    if (this.stopped || this.connecting || this.current !== null) return;
    this.connecting = true;
    try {
      const connection = await OpenflowConnection.connect(target, this.options.connection ?? {});
      if (this.stopped) {
        connection.close();
        return;
      }
      connection.onUnsolicited((message) => {
        if (message.type === 'flowRemoved') this.events.flowRemoved(message);
        else if (message.type === 'error')
          this.logger.warn(
            { xid: message.xid, type: message.errorType, code: message.code },
            'ovs: unexpected OpenFlow error',
          );
      });
      connection.onClose((error) => this.closed(connection, error));
      // A service connection (the bridge's .mgmt socket) gets asynchronous
      // messages only after it sets a non-zero miss_send_len (OVS
      // ofproto/connmgr.c); then OFPT_SET_ASYNC (OpenFlow 1.3 §7.3.10)
      // narrows them to FLOW_REMOVED for deletes: no packet-ins, no port status.
      const xid = connection.reserveXids(2);
      const setup = new ByteWriter(64);
      writeSetConfig(setup, xid, 0, 128);
      writeSetAsync(setup, xid + 1, {
        packetInMask: [0, 0],
        portStatusMask: [0, 0],
        flowRemovedMask: [FLOW_REMOVED_MASK, 0],
      });
      connection.send(setup.toBuffer());
      await connection.barrier(5000);
      this.current = connection;
      this.backoff.reset();
      this.loggedError = null;
      this.setState('connected', null);
      this.logger.info(
        { target: formatTarget(target), datapathId: `0x${connection.features.datapathId.toString(16)}` },
        'ovs: OpenFlow 1.3 connected',
      );
      this.events.connected(connection);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (this.loggedError !== message) {
        const hint =
          /ENOENT|ECONNREFUSED/.test(message) && target.kind === 'unix'
            ? `: is ovs-vswitchd running and does bridge ${this.bridge} exist?`
            : '';
        this.logger.warn(
          { target: formatTarget(target), err: message },
          `ovs: cannot connect over OpenFlow${hint}; retrying`,
        );
        this.loggedError = message;
      }
      this.setState(this.bridgeMissing ? 'no-bridge' : 'connecting', message);
      this.events.disconnected(message);
      this.schedule(target);
    } finally {
      this.connecting = false;
    }
  }

  private schedule(target: SocketTarget): void {
    if (this.stopped || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect(target);
    }, this.backoff.next());
    this.timer.unref();
  }

  private closed(connection: OpenflowConnection, error: Error): void {
    if (this.current !== connection) return;
    this.current = null;
    if (this.stopped || !this.target.ok) return;
    this.logger.warn(
      { err: error.message },
      'ovs: lost the OpenFlow connection (ovs-vswitchd restarted or stopped, or the bridge was deleted); reconnecting',
    );
    this.setState(this.bridgeMissing ? 'no-bridge' : 'connecting', error.message);
    this.events.disconnected(error.message);
    this.schedule(this.target.value);
  }
}
