// Our own agent as a real daemon in a lab namespace: a config file, the
// built bin/agent started through lab/process.ts (PID saved for cleanup),
// and agentctl against its control socket.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type ManagedProcess, startProcess } from './process.js';
import { repositoryRoot as repository } from './repository.js';

/** The built entry points (npm run build). */
export const AGENT_BIN = join(repository, 'bin', 'agent');
export const AGENTCTL_BIN = join(repository, 'bin', 'agentctl');

export interface AgentCtlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface LabAgentOptions {
  /** Full namespace name. */
  readonly namespace: string;
  readonly stateDir: string;
  /** The config as the YAML file will hold it (api.socket is filled in). */
  readonly config: Record<string, unknown>;
  readonly name?: string;
  readonly logLevel?: string;
  readonly extraArgs?: readonly string[];
}

export class LabAgent {
  private process: ManagedProcess | null = null;
  readonly name: string;
  readonly configPath: string;
  readonly socket: string;

  constructor(private readonly options: LabAgentOptions) {
    this.name = options.name ?? 'agent';
    this.configPath = join(options.stateDir, `${this.name}.yaml`);
    this.socket = join(options.stateDir, `${this.name}.sock`);
    this.writeConfig(options.config);
  }

  get namespace(): string {
    return this.options.namespace;
  }

  get pid(): number | null {
    return this.process?.pid ?? null;
  }

  /** Rewrites the config file (for reload tests); api.socket and metrics are kept ours. */
  writeConfig(config: Record<string, unknown>): void {
    const full = { metrics: { listen: '' }, ...config, api: { socket: this.socket } };
    writeFileSync(this.configPath, stringify(full));
  }

  /** Starts the daemon and waits for its control socket. */
  async start(extraArgs: readonly string[] = this.options.extraArgs ?? []): Promise<void> {
    this.process = await startProcess({
      name: this.name,
      argv: [
        'node',
        AGENT_BIN,
        '--config',
        this.configPath,
        '--log-level',
        this.options.logLevel ?? 'debug',
        ...extraArgs,
      ],
      stateDir: this.options.stateDir,
      namespace: this.options.namespace,
    });
    const deadline = Date.now() + 10_000;
    while (!existsSync(this.socket)) {
      if (!this.process.running()) throw new Error(`agent exited at start:\n${await this.logText()}`);
      if (Date.now() > deadline)
        throw new Error(`agent did not open ${this.socket}:\n${await this.logText()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM (Graceful Restart: leaves as a crash would; without it, Cease to every peer), waits for the exit. */
  async stop(): Promise<void> {
    await this.process?.stop(10_000);
    this.process = null;
  }

  /** SIGKILL: a crash. */
  async kill(): Promise<void> {
    await this.process?.kill();
    this.process = null;
  }

  /** Sends a signal (e.g. SIGHUP for a reload). */
  signal(signal: NodeJS.Signals): void {
    if (this.process !== null) process.kill(this.process.pid, signal);
  }

  running(): boolean {
    return this.process?.running() ?? false;
  }

  async logText(): Promise<string> {
    try {
      return readFileSync(join(this.options.stateDir, `${this.name}.out`), 'utf8');
    } catch {
      return '';
    }
  }

  /** Parsed JSON log lines. */
  async logEntries(): Promise<Record<string, unknown>[]> {
    return (await this.logText())
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Runs agentctl against this agent (from the root namespace: the socket is a file). */
  ctl(args: readonly string[]): Promise<AgentCtlResult> {
    return new Promise((resolvePromise) => {
      execFile(
        'node',
        [AGENTCTL_BIN, '--socket', this.socket, ...args],
        { encoding: 'utf8' },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
          resolvePromise({ code, stdout, stderr });
        },
      );
    });
  }

  async ctlJson<T>(args: readonly string[]): Promise<T> {
    const result = await this.ctl([...args, '--json']);
    if (result.code !== 0)
      throw new Error(`agentctl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** The neighbor's state as agentctl reports it. */
  async neighborState(address: string): Promise<string> {
    const neighbors = await this.ctlJson<{ address: string; state: string }[]>(['neighbor', 'show']);
    return neighbors.find((n) => n.address === address)?.state ?? 'absent';
  }

  async waitNeighbor(address: string, state = 'established', timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await this.neighborState(address).catch((e: unknown) => `error: ${String(e)}`);
      if (last === state) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `agent in ${this.namespace}: neighbor ${address} is ${last}, not ${state}\n${(await this.logText()).slice(-3000)}`,
    );
  }
}
