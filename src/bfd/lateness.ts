// How late timers fire: the last samples and the maximum ever (the measure of
// "BFD timers are not delayed", reported by the engine's stats).

import type { LatenessSummary } from './messages.js';

/** Keeps the last `size` lateness samples (ms) and the maximum ever. */
export class LatenessWindow {
  private readonly samples: number[] = [];
  private count = 0;
  private maxMs = 0;

  constructor(private readonly size = 4096) {}

  add(ms: number): void {
    this.count++;
    if (ms > this.maxMs) this.maxMs = ms;
    this.samples.push(ms);
    if (this.samples.length > this.size) this.samples.shift();
  }

  summary(): LatenessSummary {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return { count: this.count, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: this.maxMs };
  }
}
