// CPU accounting for runs with several processes of our own (receiver,
// injector, clients): ticks per named group of PIDs, the harness (this
// process and the CLI tools it ran), and what the rest of the machine used
// meanwhile; plus the quiet-box wait of bench/rib.ts for any set of PIDs.

import { sleep } from './clock.js';
import { machineBusyTicks, processTicks, TICKS_PER_SECOND } from './cpu.js';

export type Groups<K extends string> = Readonly<Record<K, readonly number[]>>;

export interface GroupSnapshot<K extends string> {
  readonly machine: number;
  readonly harness: number;
  readonly groups: Readonly<Record<K, number>>;
}

export function snapshotGroups<K extends string>(groups: Groups<K>): GroupSnapshot<K> {
  const ticks = {} as Record<K, number>;
  for (const name of Object.keys(groups) as K[])
    ticks[name] = groups[name].reduce((sum, pid) => sum + processTicks(pid), 0);
  return { machine: machineBusyTicks(), harness: processTicks('self', true), groups: ticks };
}

export interface GroupUse<K extends string> {
  /** CPU seconds per group. */
  readonly seconds: Readonly<Record<K, number>>;
  /** Cores' worth of CPU everything else used on average (0 = a quiet box). */
  readonly otherCores: number;
}

export function usedBetween<K extends string>(
  a: GroupSnapshot<K>,
  b: GroupSnapshot<K>,
  wallMs: number,
): GroupUse<K> {
  const seconds = {} as Record<K, number>;
  let ours = b.harness - a.harness;
  for (const name of Object.keys(a.groups) as K[]) {
    const used = b.groups[name] - a.groups[name];
    seconds[name] = used / TICKS_PER_SECOND;
    ours += used;
  }
  const other = b.machine - a.machine - ours;
  return {
    seconds,
    otherCores: wallMs > 0 ? Math.max(0, other / TICKS_PER_SECOND / (wallMs / 1000)) : 0,
  };
}

export interface QuietOptions {
  /** Give up waiting after this long (and measure anyway). */
  readonly waitMs: number;
  /** Everything but `pids` and the harness may use at most this many cores. */
  readonly cores: number;
}

/**
 * Waits up to options.waitMs until everything but `pids` and this process
 * uses at most options.cores (measured over one second); returns that load.
 */
export async function waitQuiet(
  pids: readonly number[],
  options: QuietOptions,
  log: (message: string) => void,
  interrupted: () => boolean,
): Promise<number> {
  const deadline = Date.now() + options.waitMs;
  let warned = false;
  for (;;) {
    const before = snapshotGroups({ ours: pids });
    await sleep(1000);
    const cores = usedBetween(before, snapshotGroups({ ours: pids }), 1000).otherCores;
    if (cores <= options.cores) return cores;
    if (Date.now() > deadline) {
      log(`other processes still use ${cores.toFixed(2)} cores; measuring anyway`);
      return cores;
    }
    if (!warned) log(`other processes use ${cores.toFixed(2)} cores; waiting for a quieter moment`);
    warned = true;
    if (interrupted()) return cores;
  }
}
