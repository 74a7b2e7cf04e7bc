// agentctl's side of the control API.

import http from 'node:http';

export interface ApiReply {
  readonly status: number;
  readonly body: unknown;
}

/** The daemon is not there (no socket, or nobody listening on it). */
export class AgentUnreachable extends Error {}

export function callAgent(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(
      {
        socketPath,
        method,
        path,
        // A fresh connection per call: a kept-alive one races the server
        // closing it after its idle timeout (ECONNRESET on the next call).
        agent: false,
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: response.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) });
          } catch {
            reject(new Error(`the agent answered something that is not JSON: ${text.slice(0, 80)}`));
          }
        });
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        reject(
          new AgentUnreachable(`no agent is running on ${socketPath} (start it: systemctl start agent)`),
        );
      } else if (error.code === 'EACCES') {
        reject(new AgentUnreachable(`permission denied on ${socketPath}: run agentctl as root`));
      } else {
        reject(error);
      }
    });
    request.setTimeout(30_000, () =>
      request.destroy(new Error(`the agent did not answer within 30 s on ${socketPath}`)),
    );
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}

/**
 * A streaming request (GET /v1/monitor): calls `onValue` with each JSON line
 * after the first ({"streaming":true}) and resolves when the agent ends the
 * stream. A refusal (status 4xx/5xx) resolves to its reply instead.
 */
export function streamAgent(
  socketPath: string,
  path: string,
  onValue: (value: unknown) => void,
): Promise<ApiReply | null> {
  return new Promise((resolve, reject) => {
    const request = http.request({ socketPath, method: 'GET', path, agent: false }, (response) => {
      const status = response.statusCode ?? 0;
      let pending = '';
      let first = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => {
        if (status >= 400) {
          chunks.push(chunk);
          return;
        }
        pending += chunk.toString('utf8');
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (first) first = false;
          else if (line.trim() !== '') onValue(JSON.parse(line));
          newline = pending.indexOf('\n');
        }
      });
      const finish = (): void => {
        if (status < 400) {
          resolve(null);
          return;
        }
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status, body: text === '' ? undefined : JSON.parse(text) });
        } catch {
          reject(new Error(`the agent answered something that is not JSON: ${text.slice(0, 80)}`));
        }
      };
      response.on('end', finish);
      // The agent went away (stopped, or dropped us for not reading): the stream is over.
      response.on('aborted', () => resolve(null));
      response.on('error', () => resolve(null));
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        reject(
          new AgentUnreachable(`no agent is running on ${socketPath} (start it: systemctl start agent)`),
        );
      } else if (error.code === 'EACCES') {
        reject(new AgentUnreachable(`permission denied on ${socketPath}: run agentctl as root`));
      } else {
        reject(error);
      }
    });
    request.end();
  });
}
