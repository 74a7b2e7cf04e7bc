// Our agent as a benchmark receiver: the built daemon (bin/agent) in a
// namespace, its PID saved through lab/process.ts. lab/agent.ts's LabAgent
// finds bin/agent relative to its own file, which is right under tsx but not
// from dist/lab/, so the benchmark starts the daemon itself.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { type ManagedProcess, startProcess } from '../../lab/process.js';
import { sleep } from './clock.js';

/** The repository root: the nearest directory above this file that has bin/agent. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'bin', 'agent')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository (bin/agent) above bench/');
    dir = parent;
  }
}

export class BenchAgent {
  readonly socket: string;
  readonly configPath: string;
  private process: ManagedProcess | null = null;

  constructor(
    private readonly namespace: string,
    private readonly stateDir: string,
    config: Record<string, unknown>,
    private readonly logLevel = 'warn',
    /** Extra node options before the script, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
    private readonly nodeArgs: readonly string[] = [],
  ) {
    this.socket = join(stateDir, 'agent.sock');
    this.configPath = join(stateDir, 'agent.yaml');
    writeFileSync(this.configPath, stringify({ ...config, api: { socket: this.socket } }));
  }

  get pid(): number | null {
    return this.process?.pid ?? null;
  }

  async start(): Promise<void> {
    const bin = join(repositoryRoot(), 'bin', 'agent');
    this.process = await startProcess({
      name: 'agent',
      argv: [
        process.execPath,
        ...this.nodeArgs,
        bin,
        '--config',
        this.configPath,
        '--log-level',
        this.logLevel,
      ],
      stateDir: this.stateDir,
      namespace: this.namespace,
    });
    const deadline = Date.now() + 15_000;
    while (!existsSync(this.socket)) {
      if (!this.process.running()) throw new Error(`agent exited at start:\n${this.logText()}`);
      if (Date.now() > deadline) throw new Error(`agent did not open ${this.socket}:\n${this.logText()}`);
      await sleep(50);
    }
  }

  running(): boolean {
    return this.process?.running() ?? false;
  }

  logText(): string {
    try {
      return readFileSync(join(this.stateDir, 'agent.out'), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    await this.process?.stop(10_000);
    this.process = null;
  }

  /**
   * GET on the control API over a fresh connection; throws unless 200.
   * (Not src/api/client.ts's callAgent: it goes through Node's global HTTP
   * agent, which keeps connections alive, and a poll that comes after the
   * daemon was busy for more than the server's 5 s keep-alive timeout then
   * races the server closing that connection: ECONNRESET.)
   */
  get(path: string, timeoutMs = 60_000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        { socketPath: this.socket, method: 'GET', path, agent: false },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode !== 200) {
              reject(new Error(`agent: GET ${path} answered ${response.statusCode}: ${text.slice(0, 200)}`));
              return;
            }
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(
                new Error(`agent: GET ${path} answered something that is not JSON: ${text.slice(0, 80)}`),
              );
            }
          });
        },
      );
      request.setTimeout(timeoutMs, () =>
        request.destroy(new Error(`agent: GET ${path}: no answer in ${timeoutMs} ms`)),
      );
      request.on('error', reject);
      request.end();
    });
  }

  async neighborState(address: string): Promise<string> {
    const neighbors = await this.get('/v1/neighbors');
    if (!Array.isArray(neighbors)) return 'unknown';
    for (const n of neighbors) {
      if (typeof n === 'object' && n !== null && Reflect.get(n, 'address') === address) {
        const state: unknown = Reflect.get(n, 'state');
        return typeof state === 'string' ? state : 'unknown';
      }
    }
    return 'absent';
  }
}
