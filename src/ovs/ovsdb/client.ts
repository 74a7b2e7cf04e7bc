// An RFC 7047 JSON-RPC client for ovsdb-server: one connection, requests
// matched to responses by id, "echo" requests answered (the server's
// inactivity probe), "update" notifications handed to a listener. It does
// not reconnect: the watcher above it owns the retry policy.
import net from 'node:net';
import { parseTarget, type SocketTarget } from '../target.js';
import { type Json, JsonStreamSplitter } from './framing.js';

export class OvsdbError extends Error {
  constructor(
    message: string,
    /** The "error" member of the response, when the server sent one. */
    readonly detail: Json = null,
  ) {
    super(message);
    this.name = 'OvsdbError';
  }
}

interface Pending {
  readonly resolve: (result: Json) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface OvsdbClientOptions {
  /** Per-request timeout; default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Largest JSON text accepted before the connection is dropped; default 64 MiB. */
  readonly maxMessageBytes?: number;
}

export type NotificationListener = (method: string, params: readonly Json[]) => void;

function isObject(value: Json): value is { readonly [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class OvsdbClient {
  private readonly splitter = new JsonStreamSplitter();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedError: Error | null = null;
  private notificationListener: NotificationListener = () => undefined;
  private closeListener: (error: Error) => void = () => undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: OvsdbClientOptions,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new OvsdbError('connection closed')));
  }

  /** Connects; rejects if the socket cannot be opened within `timeoutMs` (default 5 s). */
  static connect(
    target: string | SocketTarget,
    options: OvsdbClientOptions & { readonly timeoutMs?: number } = {},
  ): Promise<OvsdbClient> {
    const parsed = typeof target === 'string' ? parseTarget(target) : { ok: true as const, value: target };
    if (!parsed.ok) return Promise.reject(new OvsdbError(parsed.error));
    const where = parsed.value;
    return new Promise((resolve, reject) => {
      const socket =
        where.kind === 'unix'
          ? net.createConnection(where.path)
          : net.createConnection(where.port, where.host);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new OvsdbError(`connect timed out`));
      }, options.timeoutMs ?? 5000);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new OvsdbClient(socket, options));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  onNotification(listener: NotificationListener): void {
    this.notificationListener = listener;
  }

  /** Called once when the connection ends (closed, reset, or a protocol error). */
  onClose(listener: (error: Error) => void): void {
    this.closeListener = listener;
    if (this.closedError) listener(this.closedError);
  }

  /** Sends a request; resolves with "result", rejects with OvsdbError on "error", timeout or close. */
  request(method: string, params: readonly Json[]): Promise<Json> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OvsdbError(`${method}: no response in ${this.options.requestTimeoutMs ?? 10_000} ms`));
      }, this.options.requestTimeoutMs ?? 10_000);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(JSON.stringify({ method, params, id }));
    });
  }

  /** RFC 7047 §4.1.3 transact: one result per operation; operation errors are in the results. */
  async transact(database: string, operations: readonly Json[]): Promise<readonly Json[]> {
    const result = await this.request('transact', [database, ...operations]);
    if (!Array.isArray(result)) throw new OvsdbError('transact: result is not an array', result);
    return result;
  }

  close(): void {
    this.socket.destroy();
    this.fail(new OvsdbError('closed by us'));
  }

  private onData(chunk: Buffer): void {
    const split = this.splitter.push(chunk);
    if (!split.ok) {
      this.socket.destroy();
      this.fail(new OvsdbError(`bad JSON stream: ${split.error}`));
      return;
    }
    if (this.splitter.bufferedLength > (this.options.maxMessageBytes ?? 64 * 1024 * 1024)) {
      this.socket.destroy();
      this.fail(new OvsdbError('JSON text too large'));
      return;
    }
    for (const text of split.texts) {
      let message: Json;
      try {
        message = JSON.parse(text) as Json;
      } catch {
        this.socket.destroy();
        this.fail(new OvsdbError('invalid JSON from server'));
        return;
      }
      if (!this.closedError) this.dispatch(message);
    }
  }

  private dispatch(message: Json): void {
    if (!isObject(message)) return;
    const method = message.method;
    const id = message.id ?? null;
    if (typeof method === 'string') {
      const params = Array.isArray(message.params) ? (message.params as readonly Json[]) : [];
      if (method === 'echo' && id !== null) {
        // RFC 7047 §4.1.11: answer with the same params.
        this.socket.write(JSON.stringify({ result: params, error: null, id }));
        return;
      }
      if (id === null) this.notificationListener(method, params);
      return;
    }
    if (typeof id !== 'number') return;
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    const error = message.error ?? null;
    if (error !== null) pending.reject(new OvsdbError(`server error: ${JSON.stringify(error)}`, error));
    else pending.resolve(message.result ?? null);
  }

  private fail(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    for (const [, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    this.closeListener(error);
  }
}
