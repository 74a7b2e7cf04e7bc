// The main thread's side of BFD: starts the worker (worker.ts), sends it the
// configured sessions, keeps the last status of each for the CLI and metrics,
// and hands state changes to a listener (the BGP coupling in the daemon).

import { Worker } from 'node:worker_threads';
import type { StateChange } from './fsm.js';
import type {
  EngineStats,
  FromWorker,
  ListenOptions,
  SessionSpec,
  SessionStatus,
  ToWorker,
} from './messages.js';

export interface BfdServiceEvents {
  /** A session changed state at `atMs` (the worker's clock, when it happened). */
  transition(key: string, change: StateChange, atMs: number): void;
  /** A socket or configuration problem, one line. */
  error(key: string | null, message: string): void;
}

export class BfdService {
  private readonly statuses = new Map<string, SessionStatus>();
  private readonly pendingStats = new Map<number, (stats: EngineStats) => void>();
  private nextStatsId = 1;
  private stopped: Promise<void> | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly events: BfdServiceEvents,
  ) {}

  static start(events: BfdServiceEvents, listen: Partial<ListenOptions> = {}): Promise<BfdService> {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: listen });
    return new Promise((resolve, reject) => {
      let service: BfdService | null = null;
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'ready') {
          service = new BfdService(worker, events);
          resolve(service);
        } else service?.receive(message);
      });
      worker.on('error', (error) => {
        if (service === null) reject(error);
        else events.error(null, `worker: ${error.message}`);
      });
      worker.on('exit', (code) => {
        if (service === null) reject(new Error(`BFD worker exited with code ${code}`));
        else if (service.stopped === null) events.error(null, `BFD worker exited with code ${code}`);
      });
    });
  }

  private send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private receive(message: FromWorker): void {
    switch (message.kind) {
      case 'ready':
      case 'stopped':
        break;
      case 'status':
        this.statuses.set(message.status.key, message.status);
        break;
      case 'transition':
        this.events.transition(message.key, message.change, message.atMs);
        break;
      case 'removed':
        this.statuses.delete(message.key);
        break;
      case 'error':
        this.events.error(message.key, message.message);
        break;
      case 'stats': {
        const resolve = this.pendingStats.get(message.id);
        this.pendingStats.delete(message.id);
        resolve?.(message.stats);
        break;
      }
      default: {
        const unreachable: never = message;
        throw new Error(`unknown message ${String(unreachable)}`);
      }
    }
  }

  /** The full set of sessions wanted now; the worker adds, changes and removes to match. */
  configure(sessions: readonly SessionSpec[]): void {
    this.send({ kind: 'configure', sessions });
  }

  status(key: string): SessionStatus | undefined {
    return this.statuses.get(key);
  }

  all(): SessionStatus[] {
    return [...this.statuses.values()];
  }

  /** Fresh statuses and timer stats from the worker; rejects when it does not answer within 2 s. */
  stats(): Promise<EngineStats> {
    const id = this.nextStatsId++;
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        this.pendingStats.delete(id);
        reject(new Error('the BFD worker did not answer'));
      }, 2000);
      this.pendingStats.set(id, (stats) => {
        clearTimeout(timeout);
        resolve(stats);
      });
      this.send({ kind: 'stats', id });
    });
  }

  /** Sessions are told AdminDown, sockets closed, the worker ends. */
  stop(): Promise<void> {
    if (this.stopped !== null) return this.stopped;
    this.stopped = new Promise<void>((resolve) => {
      const timeout = setTimeout(() => void this.worker.terminate().then(() => resolve()), 2000);
      this.worker.once('exit', () => {
        clearTimeout(timeout);
        resolve();
      });
      this.send({ kind: 'stop' });
    });
    return this.stopped;
  }
}
