// What a reload changes besides the neighbor set (the speaker says which
// neighbors were added, removed or restarted): policies applied in place to
// neighbors whose sessions stay up, and keys read only at start. Pure: two
// validated configurations in, the lists `agentctl config reload` prints out.

import type { AgentConfig } from './load.js';

export type ReloadedPolicy = 'import' | 'export';

export interface PolicyChange {
  readonly address: string;
  readonly policies: readonly ReloadedPolicy[];
}

export interface ReloadDifferences {
  /** Neighbors in both files whose import or export policy differs. */
  readonly policiesChanged: readonly PolicyChange[];
  /** Configuration keys that changed but take effect at the next start only. */
  readonly restartRequired: readonly string[];
}

/** Structural equality of two parsed values (YAML-sourced: plain data, bigint cookie included). */
function same(a: unknown, b: unknown): boolean {
  const text = (value: unknown) =>
    JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v));
  return text(a) === text(b);
}

export function reloadDifferences(previous: AgentConfig, next: AgentConfig): ReloadDifferences {
  const before = new Map(previous.neighbors.map((n) => [n.address, n]));
  const policiesChanged: PolicyChange[] = [];
  for (const neighbor of next.neighbors) {
    const old = before.get(neighbor.address);
    if (old === undefined) continue;
    const policies = (['import', 'export'] as const).filter((which) => !same(old[which], neighbor[which]));
    if (policies.length > 0) policiesChanged.push({ address: neighbor.address, policies });
  }
  const startOnly: readonly [string, (config: AgentConfig) => unknown][] = [
    ['api.socket', (c) => c.api.socket],
    ['metrics.listen', (c) => c.metrics.listen],
    ['fib.kernel', (c) => c.fib.kernel],
    ['fib.ovs', (c) => c.fib.ovs],
    ['overlay', (c) => c.overlay],
  ];
  const restartRequired = startOnly
    .filter(([, read]) => !same(read(previous), read(next)))
    .map(([key]) => key);
  return { policiesChanged, restartRequired };
}
