// The control API: HTTP/JSON on a unix socket (mode 0600), the only door
// into the running agent. A stale socket from a crashed run is replaced; a
// socket another agent still answers on is refused.

import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { dirname } from 'node:path';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Where a streaming reply writes: one JSON value per line (NDJSON). */
export interface ApiStreamSink {
  /** False once the client is gone or was dropped for not reading: stop producing. */
  write(value: unknown): boolean;
}

/**
 * A reply that goes on (agentctl monitor): `start` is called with the sink
 * once the headers are out, and returns what stops the producer when the
 * client goes away.
 */
export interface ApiStreamResponse {
  readonly status: 200;
  readonly stream: (sink: ApiStreamSink) => () => void;
}

export type ApiHandler = (
  request: ApiRequest,
) => ApiResponse | ApiStreamResponse | Promise<ApiResponse | ApiStreamResponse>;

/**
 * A streaming client that lets this much pile up unread in user space is
 * dropped: a slow reader must not make the agent buffer without bound.
 */
export const STREAM_MAX_BUFFERED_OCTETS = 4 * 1024 * 1024;

/** A request the agent refuses: the message goes back to agentctl as is. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class SocketInUseError extends Error {}

const MAX_BODY_OCTETS = 1 << 20;

/** True when something answers on the unix socket at `path`. */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function readBody(request: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_OCTETS) {
        reject(new ApiError(413, `request body over ${MAX_BODY_OCTETS} octets`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (chunks.length === 0) {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new ApiError(400, 'request body is not JSON'));
      }
    });
    request.on('error', reject);
  });
}

function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export class ControlServer {
  private server: http.Server | null = null;

  constructor(
    readonly socketPath: string,
    private readonly routes: ReadonlyMap<string, ApiHandler>,
  ) {}

  async start(): Promise<void> {
    mkdirSync(dirname(this.socketPath), { recursive: true, mode: 0o755 });
    if (existsSync(this.socketPath)) {
      if (await answers(this.socketPath)) {
        throw new SocketInUseError(
          `another agent is running on ${this.socketPath}: stop it first, or give this one api.socket`,
        );
      }
      unlinkSync(this.socketPath); // left behind by a run that crashed
    }
    const server = http.createServer((request, response) => {
      void this.dispatch(request, response);
    });
    // Created 0600: only root talks to the agent.
    const previousMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(previousMask);
    }
    this.server = server;
  }

  private async dispatch(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://agent');
    const key = `${request.method ?? 'GET'} ${url.pathname}`;
    const handler = this.routes.get(key);
    let result: ApiResponse | ApiStreamResponse;
    try {
      if (handler === undefined) throw new ApiError(404, `no such request: ${key}`);
      const body = await readBody(request);
      result = await handler({
        method: request.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        body,
      });
    } catch (error) {
      result =
        error instanceof ApiError
          ? { status: error.status, body: { error: error.message } }
          : { status: 500, body: { error: error instanceof Error ? error.message : String(error) } };
    }
    if ('stream' in result) {
      this.serveStream(response, result);
      return;
    }
    response
      .writeHead(result.status, { 'content-type': 'application/json' })
      .end(`${jsonText(result.body)}\n`);
  }

  private serveStream(response: http.ServerResponse, result: ApiStreamResponse): void {
    response.writeHead(result.status, { 'content-type': 'application/x-ndjson' });
    // The first line tells the client the stream is on (and carries nothing else).
    response.write('{"streaming":true}\n');
    let open = true;
    let stop: () => void = () => {};
    const close = (): void => {
      if (!open) return;
      open = false;
      stop();
    };
    response.on('close', close);
    stop = result.stream({
      write: (value) => {
        if (!open) return false;
        if (response.writableLength > STREAM_MAX_BUFFERED_OCTETS) {
          // Not reading: dropped rather than buffered without bound.
          response.destroy();
          close();
          return false;
        }
        response.write(`${jsonText(value)}\n`);
        return true;
      },
    });
    if (!open) stop();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Streams (agentctl monitor) never end by themselves: close them too, or close() waits for ever.
    server.closeAllConnections();
    await closed;
    try {
      unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
  }
}
