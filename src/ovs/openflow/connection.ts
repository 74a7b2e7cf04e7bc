// One OpenFlow 1.3 connection: framing, HELLO/FEATURES handshake, xid
// matching, multipart reassembly, echo keepalive. Messages nobody waits for
// (FLOW_REMOVED, errors for messages sent without a waiter, e.g. bundled
// flow mods) go to the unsolicited listener. No reconnect here: the writer
// owns the retry policy, so a dead switch is a closed connection, not a
// hidden loop.
import net from 'node:net';
import type { SocketTarget } from '../target.js';
import { ByteWriter } from './buffer.js';
import { OFP_VERSION_1_3, OfpErrorType } from './constants.js';
import {
  decodeMessage,
  frameLength,
  helloVersions,
  isLastPart,
  type OfMessage,
  writeBarrierRequest,
  writeEcho,
  writeFeaturesRequest,
  writeHello,
} from './messages.js';

export class OpenflowError extends Error {
  constructor(
    message: string,
    /** The ERROR message the switch sent, when that is the cause. */
    readonly ofError: Extract<OfMessage, { type: 'error' }> | null = null,
  ) {
    super(message);
    this.name = 'OpenflowError';
  }
}

export interface OpenflowConnectionOptions {
  /** Connect + HELLO + FEATURES must finish within this; default 5 s. */
  readonly handshakeTimeoutMs?: number;
  /** Echo request after this long without traffic; default 5 s. 0 disables. */
  readonly echoIntervalMs?: number;
  /** The connection is dropped if an echo gets no reply within this; default 15 s. */
  readonly echoTimeoutMs?: number;
  /** Default wait for a reply; default 60 s (a commit of a large bundle takes seconds). */
  readonly requestTimeoutMs?: number;
}

interface Waiter {
  readonly multipart: boolean;
  readonly parts: OfMessage[];
  readonly resolve: (messages: OfMessage[]) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export type UnsolicitedListener = (message: OfMessage) => void;

type ErrorMessage = Extract<OfMessage, { type: 'error' }>;

/** Errors for a range of xids sent without individual waiters (a batch). */
export interface ErrorCollector {
  readonly errors: ReadonlyMap<number, ErrorMessage>;
  close(): void;
}

export interface Features {
  readonly datapathId: bigint;
  readonly nTables: number;
}

export class OpenflowConnection {
  private rest: Buffer = Buffer.alloc(0);
  private readonly waiters = new Map<number, Waiter>();
  private xid = 1;
  private closedError: Error | null = null;
  private unsolicited: UnsolicitedListener = () => undefined;
  private closeListener: (error: Error) => void = () => undefined;
  private helloResolve: ((message: OfMessage) => void) | null = null;
  private lastReceived = Date.now();
  private echoTimer: NodeJS.Timeout | null = null;
  private echoOutstanding: number | null = null;
  private readonly scratch = new ByteWriter(64);
  private readonly collectors = new Set<{ first: number; last: number; errors: Map<number, ErrorMessage> }>();
  features: Features = { datapathId: 0n, nTables: 0 };

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: OpenflowConnectionOptions,
  ) {
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new OpenflowError('connection closed by the switch')));
  }

  /** Connects, exchanges HELLO (1.3 only) and FEATURES; rejects with a readable reason. */
  static async connect(
    target: SocketTarget,
    options: OpenflowConnectionOptions = {},
  ): Promise<OpenflowConnection> {
    const timeoutMs = options.handshakeTimeoutMs ?? 5000;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s =
        target.kind === 'unix'
          ? net.createConnection(target.path)
          : net.createConnection(target.port, target.host);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new OpenflowError('connect timed out'));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (error) => {
        clearTimeout(timer);
        s.destroy();
        reject(error);
      });
    });
    const connection = new OpenflowConnection(socket, options);
    try {
      await connection.handshake(timeoutMs);
    } catch (error) {
      connection.close();
      throw error;
    }
    connection.startEcho();
    return connection;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** A fresh transaction id (never 0; wraps at 2^32). */
  nextXid(): number {
    const xid = this.xid;
    this.xid = this.xid >= 0xfffffffe ? 1 : this.xid + 1;
    return xid;
  }

  /** Reserves `count` consecutive xids and returns the first. */
  reserveXids(count: number): number {
    if (this.xid + count >= 0xfffffffe) this.xid = 1;
    const first = this.xid;
    this.xid += count;
    return first;
  }

  /** Collects (instead of passing on) errors whose xid is in [first, last] until close(). */
  collectErrors(first: number, last: number): ErrorCollector {
    const entry = { first, last, errors: new Map<number, ErrorMessage>() };
    this.collectors.add(entry);
    return { errors: entry.errors, close: () => this.collectors.delete(entry) };
  }

  onUnsolicited(listener: UnsolicitedListener): void {
    this.unsolicited = listener;
  }

  onClose(listener: (error: Error) => void): void {
    this.closeListener = listener;
    if (this.closedError) listener(this.closedError);
  }

  /** Writes pre-encoded messages. */
  send(bytes: Uint8Array): void {
    if (this.closedError) return;
    this.socket.write(bytes);
  }

  /**
   * Registers a waiter for the reply with `xid` (an error with that xid
   * rejects it with OpenflowError); for multipart, collects every part.
   * Register before sending so a fast reply is not missed.
   */
  expect(
    xid: number,
    options: { readonly multipart?: boolean; readonly timeoutMs?: number } = {},
  ): Promise<OfMessage[]> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 60_000;
      const timer = setTimeout(() => {
        this.waiters.delete(xid);
        reject(new OpenflowError(`no reply to xid ${xid} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(xid, { multipart: options.multipart ?? false, parts: [], resolve, reject, timer });
    });
  }

  /** Sends `bytes` (which must contain the request with `xid`) and waits for its reply. */
  request(
    xid: number,
    bytes: Uint8Array,
    options: { readonly multipart?: boolean; readonly timeoutMs?: number } = {},
  ): Promise<OfMessage[]> {
    const reply = this.expect(xid, options);
    this.send(bytes);
    return reply;
  }

  /** BARRIER: resolves once the switch has processed everything sent before. */
  async barrier(timeoutMs?: number): Promise<void> {
    const xid = this.nextXid();
    this.scratch.reset();
    writeBarrierRequest(this.scratch, xid);
    await this.request(xid, this.scratch.toBuffer(), timeoutMs === undefined ? {} : { timeoutMs });
  }

  close(): void {
    this.socket.destroy();
    this.fail(new OpenflowError('closed by us'));
  }

  private async handshake(timeoutMs: number): Promise<void> {
    const hello = new Promise<OfMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new OpenflowError('no HELLO from the switch')), timeoutMs);
      this.helloResolve = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
      this.closeListener = (error) => {
        clearTimeout(timer);
        reject(error);
      };
    });
    this.scratch.reset();
    writeHello(this.scratch, this.nextXid());
    this.send(this.scratch.toBuffer());
    const peer = await hello;
    if (peer.type === 'error')
      throw new OpenflowError(
        peer.errorType === OfpErrorType.HELLO_FAILED
          ? `the switch refused OpenFlow 1.3 (HELLO_FAILED: ${peer.data.toString('utf8').replace(/\0/g, '').trim()}); allow it with: ovs-vsctl set bridge BRIDGE protocols=OpenFlow13`
          : `error ${peer.errorType}/${peer.code} during HELLO`,
        peer,
      );
    if (peer.type !== 'hello' || !helloVersions(peer).includes(OFP_VERSION_1_3))
      throw new OpenflowError('the switch does not speak OpenFlow 1.3');
    this.closeListener = () => undefined;
    const xid = this.nextXid();
    this.scratch.reset();
    writeFeaturesRequest(this.scratch, xid);
    const [reply] = await this.request(xid, this.scratch.toBuffer(), { timeoutMs });
    if (reply?.type !== 'featuresReply') throw new OpenflowError('no FEATURES_REPLY');
    this.features = { datapathId: reply.datapathId, nTables: reply.nTables };
  }

  private startEcho(): void {
    const interval = this.options.echoIntervalMs ?? 5000;
    if (interval <= 0) return;
    const timeout = this.options.echoTimeoutMs ?? 15_000;
    this.echoTimer = setInterval(
      () => {
        const idle = Date.now() - this.lastReceived;
        if (this.echoOutstanding !== null && idle > timeout) {
          this.socket.destroy();
          this.fail(new OpenflowError(`no echo reply in ${timeout} ms: the switch is not answering`));
          return;
        }
        if (idle >= interval && this.echoOutstanding === null) {
          const xid = this.nextXid();
          this.echoOutstanding = xid;
          this.scratch.reset();
          writeEcho(this.scratch, 'request', xid, new Uint8Array(0));
          this.send(this.scratch.toBuffer());
        }
      },
      Math.max(50, Math.min(interval, 1000)),
    );
    this.echoTimer.unref();
  }

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    // Frames are at most 64 KiB, so only a partial frame is ever carried over.
    const data = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    let offset = 0;
    for (;;) {
      const length = frameLength(data, offset);
      if (length === null) break;
      if (length < 0) {
        this.socket.destroy();
        this.fail(new OpenflowError('bad OpenFlow header from the switch'));
        return;
      }
      if (data.length - offset < length) break;
      const frame = data.subarray(offset, offset + length);
      offset += length;
      const decoded = decodeMessage(frame);
      if (!decoded.ok) {
        this.unsolicitedDecodeError(decoded.error);
        continue;
      }
      this.dispatch(decoded.value);
      if (this.closedError) return;
    }
    this.rest = offset === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(offset));
  }

  private unsolicitedDecodeError(error: string): void {
    this.unsolicited({ type: 'other', xid: 0, messageType: -1, body: Buffer.from(error) });
  }

  private dispatch(message: OfMessage): void {
    switch (message.type) {
      case 'echoRequest':
        this.scratch.reset();
        writeEcho(this.scratch, 'reply', message.xid, message.data);
        this.send(this.scratch.toBuffer());
        return;
      case 'echoReply':
        if (message.xid === this.echoOutstanding) {
          this.echoOutstanding = null;
          return;
        }
        break;
      case 'hello':
        if (this.helloResolve) {
          this.helloResolve(message);
          this.helloResolve = null;
        }
        return;
      case 'error':
        if (this.helloResolve && message.errorType === OfpErrorType.HELLO_FAILED) {
          this.helloResolve(message);
          this.helloResolve = null;
          return;
        }
        break;
      default:
        break;
    }
    const waiter = this.waiters.get(message.xid);
    if (!waiter) {
      if (message.type === 'error')
        for (const collector of this.collectors)
          if (message.xid >= collector.first && message.xid <= collector.last) {
            collector.errors.set(message.xid, message);
            return;
          }
      this.unsolicited(message);
      return;
    }
    if (message.type === 'error') {
      this.waiters.delete(message.xid);
      clearTimeout(waiter.timer);
      waiter.reject(
        new OpenflowError(
          `the switch answered xid ${message.xid} with error ${describeError(message)}`,
          message,
        ),
      );
      return;
    }
    waiter.parts.push(message);
    if (waiter.multipart && message.type === 'multipartReply' && !isLastPart(message)) return;
    this.waiters.delete(message.xid);
    clearTimeout(waiter.timer);
    waiter.resolve(waiter.parts);
  }

  private fail(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    if (this.echoTimer) clearInterval(this.echoTimer);
    for (const [, waiter] of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.waiters.clear();
    this.closeListener(error);
  }
}

/** "BAD_ACTION/9" style text, with names for the codes this writer meets. */
export function describeError(error: Extract<OfMessage, { type: 'error' }>): string {
  const typeNames: Record<number, string> = {
    0: 'HELLO_FAILED',
    1: 'BAD_REQUEST',
    2: 'BAD_ACTION',
    3: 'BAD_INSTRUCTION',
    4: 'BAD_MATCH',
    5: 'FLOW_MOD_FAILED',
    6: 'GROUP_MOD_FAILED',
    65535: 'EXPERIMENTER',
  };
  const codeNames: Record<string, string> = {
    '2/4': 'BAD_OUT_PORT',
    '2/9': 'BAD_OUT_GROUP',
    '5/1': 'TABLE_FULL',
    '5/2': 'BAD_TABLE_ID',
    '6/0': 'GROUP_EXISTS',
    '6/1': 'INVALID_GROUP',
    '6/3': 'OUT_OF_GROUPS',
    '6/8': 'UNKNOWN_GROUP',
    '65535/2313': 'BUNDLE_MSG_FAILED',
    '65535/2302': 'BUNDLE_BAD_ID',
    '65535/2314': 'BUNDLE_TIMEOUT',
  };
  const key = `${error.errorType}/${error.code}`;
  const name = codeNames[key];
  return `${typeNames[error.errorType] ?? error.errorType}/${name ?? error.code}`;
}
