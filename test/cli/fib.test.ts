// agentctl fib diff through the control socket: "in sync" and exit 0 when
// converged; the differences and exit 1 when not, like diff(1), with and
// without --json, so a script or a probe can test it.

import { afterEach, describe, expect, it } from 'vitest';
import type { FibDiffEntry } from '../../src/fib/types.js';
import { type ServedAgent, serveFakeAgent } from './served.js';

let served: ServedAgent | null = null;
afterEach(async () => {
  await served?.close();
  served = null;
});

async function withKernelDiff(differences: readonly FibDiffEntry[]): Promise<ServedAgent> {
  served = await serveFakeAgent();
  served.control.writers.set('kernel', {
    name: 'kernel',
    show: async () => [],
    diff: async () => differences,
  });
  return served;
}

const stray: FibDiffEntry = { prefix: '10.77.0.0/24', problem: 'extra', desired: null, actual: 'dev eth1' };

describe('agentctl fib diff', () => {
  it('in sync: prints it, exit 0', async () => {
    const agent = await withKernelDiff([]);
    expect(await agent.run(['fib', 'diff'])).toEqual({ code: 0, stdout: 'in sync\n', stderr: '' });
    expect((await agent.run(['fib', 'diff', '--json'])).code).toBe(0);
  });

  it('out of sync: the differences, exit 1 (as diff does)', async () => {
    const agent = await withKernelDiff([stray]);
    const text = await agent.run(['fib', 'diff']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/10\.77\.0\.0\/24\s+extra\s+-\s+dev eth1/);
    const json = await agent.run(['fib', 'diff', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ writer: 'kernel', differences: [stray] });
  });
});
