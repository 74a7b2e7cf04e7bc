// Control-command latency: one command at a time, the next `intervalMs`
// after the previous was sent (or at once if it took longer), until told to
// stop; every answer's latency is kept with when it was sent.

import { monoMs, sleep } from './clock.js';
import { median, percentile } from './grid.js';

export interface LatencySamples {
  /** [ms since `origin` when sent, latency ms] per command. */
  readonly samples: [number, number][];
  readonly failures: string[];
}

export interface LatencySummary {
  readonly polls: number;
  readonly failures: number;
  readonly medianMs: number | null;
  readonly p99Ms: number | null;
  readonly worstMs: number | null;
  /** When the worst command was sent, s since `origin`. */
  readonly worstSentAtSeconds: number | null;
}

export class LatencyPoller {
  private stopped = false;
  private readonly done: Promise<LatencySamples>;

  constructor(command: () => Promise<unknown>, intervalMs: number, origin: number) {
    this.done = (async () => {
      const samples: [number, number][] = [];
      const failures: string[] = [];
      while (!this.stopped) {
        const sent = monoMs();
        try {
          await command();
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
        const latency = monoMs() - sent;
        samples.push([Math.round(sent - origin), Math.round(latency * 10) / 10]);
        if (this.stopped) break;
        await sleep(Math.max(0, intervalMs - latency));
      }
      return { samples, failures };
    })();
  }

  /** Stops after the command in flight; resolves with every sample. */
  stop(): Promise<LatencySamples> {
    this.stopped = true;
    return this.done;
  }
}

export function summarizeLatency(result: LatencySamples): LatencySummary {
  const latencies = result.samples.map(([, ms]) => ms);
  let worst: [number, number] | null = null;
  for (const sample of result.samples) if (worst === null || sample[1] > worst[1]) worst = sample;
  return {
    polls: result.samples.length,
    failures: result.failures.length,
    medianMs: median(latencies),
    p99Ms: percentile(latencies, 99),
    worstMs: worst?.[1] ?? null,
    worstSentAtSeconds: worst === null ? null : worst[0] / 1000,
  };
}

/** Polls for `durationMs` (an idle baseline); resolves with the samples. */
export async function pollFor(
  command: () => Promise<unknown>,
  intervalMs: number,
  durationMs: number,
): Promise<LatencySamples> {
  const poller = new LatencyPoller(command, intervalMs, monoMs());
  await sleep(durationMs);
  return poller.stop();
}
