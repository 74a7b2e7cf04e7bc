// Shared pieces of the real-peer tests: polling, and reading the agent's RIB.
import type { LabAgent } from '../../lab/agent.js';

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last !== undefined ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface AgentPath {
  best: boolean;
  installed: boolean;
  neighbor: string;
  nextHop: string;
  linkLocalNextHop?: string;
  asPath: string;
  communities: string[];
  largeCommunities: string[];
  localPref?: number;
  med?: number;
  originatorId?: string;
  clusterList?: string[];
  stale: boolean;
  accepted: boolean;
  reason?: string;
}

export interface AgentDestination {
  prefix: string;
  paths: AgentPath[];
}

export async function agentRib(
  agent: LabAgent,
  family: 'ipv4' | 'ipv6',
  prefix?: string,
): Promise<AgentDestination[]> {
  const args = ['rib', 'show', ...(prefix !== undefined ? [prefix] : []), '--family', family];
  return (await agent.ctlJson<{ destinations: AgentDestination[] }>(args)).destinations;
}

export async function agentPaths(agent: LabAgent, prefix: string): Promise<AgentPath[]> {
  const family = prefix.includes(':') ? 'ipv6' : 'ipv4';
  return (await agentRib(agent, family, prefix)).find((d) => d.prefix === prefix)?.paths ?? [];
}
