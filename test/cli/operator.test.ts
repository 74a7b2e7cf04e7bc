// The operator verbs a gobgp/BIRD user reaches for, through the control
// socket against a fake agent: global, neighbor reset|disable|enable|
// softreset, the bare nouns (neighbor, rib) listing as gobgp does,
// rib show --summary, and errors as JSON under --json.

import { afterEach, describe, expect, it } from 'vitest';
import { type ServedAgent, serveFakeAgent } from './served.js';

let served: ServedAgent | null = null;
afterEach(async () => {
  await served?.close();
  served = null;
});

async function agent(): Promise<ServedAgent> {
  served = await serveFakeAgent();
  return served;
}

describe('agentctl global', () => {
  it('prints the agent: AS, router ID, listen, version, uptime, counts', async () => {
    const a = await agent();
    const result = await a.run(['global']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'AS:               64512',
        'Router ID:        172.18.8.101',
        'Listen:           0.0.0.0:179',
        'Version:          0.1.0',
        'Uptime:           01:02:03',
        'Graceful Restart: on',
        'Neighbors:        2 configured, 1 established',
        'Prefixes:         ipv4-unicast 3, ipv6-unicast 0',
        '',
      ].join('\n'),
    );
    expect(JSON.parse((await a.run(['global', '--json'])).stdout)).toEqual(a.control.globalInfo);
  });
});

describe('agentctl neighbor reset|disable|enable|softreset', () => {
  it.each([
    [
      ['neighbor', 'reset', '172.18.8.102'],
      'reset',
      'neighbor 172.18.8.102: reset (Cease/Administrative Reset)',
    ],
    [
      ['neighbor', 'disable', '172.18.8.102'],
      'disable',
      'neighbor 172.18.8.102: disabled (Cease/Administrative Shutdown); neighbor enable 172.18.8.102 starts it',
    ],
    [['neighbor', 'enable', '172.18.8.102'], 'enable', 'neighbor 172.18.8.102: enabled'],
    [
      ['neighbor', 'softreset', '172.18.8.102', '--in'],
      'softreset-in',
      'neighbor 172.18.8.102: asked to send its routes again (ROUTE-REFRESH)',
    ],
    [
      ['neighbor', 'softreset', '172.18.8.102', '--out'],
      'softreset-out',
      'neighbor 172.18.8.102: our routes sent again',
    ],
  ])('%j', async (argv, operation, line) => {
    const a = await agent();
    expect(await a.run(argv)).toEqual({ code: 0, stdout: `${line}\n`, stderr: '' });
    expect(a.control.calls).toEqual([['neighborOperation', '172.18.8.102', operation]]);
  });

  it('refusals: unknown neighbor (1), softreset without --in/--out (2), not capable (1)', async () => {
    const a = await agent();
    expect(await a.run(['neighbor', 'reset', '10.9.9.9'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'agentctl: no neighbor 10.9.9.9\n',
    });
    expect(await a.run(['neighbor', 'softreset', '172.18.8.102'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'agentctl: neighbor softreset: give --in (ask the neighbor to send its routes again) or --out (send it ours again)\n',
    });
    a.control.neighborOutcome = 'not-capable';
    const refused = await a.run(['neighbor', 'softreset', '172.18.8.102', '--in']);
    expect([refused.code, refused.stderr]).toEqual([
      1,
      'agentctl: neighbor 172.18.8.102 did not negotiate route refresh (RFC 2918): use neighbor reset 172.18.8.102\n',
    ]);
  });
});

describe('bare nouns list, as gobgp does', () => {
  it('agentctl neighbor is neighbor show; agentctl neighbor ADDRESS its detail', async () => {
    const a = await agent();
    const bare = await a.run(['neighbor']);
    expect(bare).toEqual(await a.run(['neighbor', 'show']));
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/^Peer\s+AS\s+Up\/Down\s+State/);
  });

  it('agentctl rib is rib show; agentctl rib PREFIX the same as rib show PREFIX', async () => {
    const a = await agent();
    const bare = await a.run(['rib']);
    expect(bare).toEqual(await a.run(['rib', 'show']));
    expect(await a.run(['rib', '10.233.1.0/24'])).toEqual(await a.run(['rib', 'show', '10.233.1.0/24']));
  });
});

describe('agentctl rib show --summary', () => {
  it('counts per family and per neighbor', async () => {
    const a = await agent();
    a.control.summaryNeighbors = [
      {
        address: '172.18.8.102',
        received: { 'ipv4-unicast': 5, 'ipv6-unicast': 0 },
        accepted: { 'ipv4-unicast': 4, 'ipv6-unicast': 0 },
        advertised: 1,
      },
    ];
    const result = await a.run(['rib', 'show', '--summary']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'Family        Prefixes  Paths',
        'ipv4-unicast  1         2',
        'ipv6-unicast  0         0',
        '',
        'Neighbor      Family        Received  Accepted',
        '172.18.8.102  ipv4-unicast  5         4',
        '172.18.8.102  ipv6-unicast  0         0',
        '',
        'Attribute sets: 1',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await a.run(['rib', 'show', '--summary', '--json'])).stdout);
    expect(json.neighbors[0].accepted['ipv4-unicast']).toBe(4);
  });
});

describe('errors under --json are JSON', () => {
  it.each([
    [['neighbor', 'show', '10.9.9.9', '--json'], 1, 'no neighbor 10.9.9.9'],
    [
      ['rib', 'show', '10.233.1.1/24', '--json'],
      2,
      'rib show: 10.233.1.1/24 has host bits set; write 10.233.1.0/24',
    ],
    [['fib', 'show', '--json'], 1, 'the kernel writer is not enabled (fib.kernel.enabled)'],
    [['rib', 'show', '--bogus', '--json'], 2, "unknown option '--bogus'"],
  ])('%j', async (argv, code, error) => {
    const a = await agent();
    const result = await a.run(argv);
    expect(result.code).toBe(code);
    expect(JSON.parse(result.stdout)).toEqual({ error });
  });

  it('no daemon: JSON too', async () => {
    served = null;
    const { agentctl } = await import('./helpers.js');
    const result = await agentctl(['--socket', '/nonexistent/agent.sock', 'neighbor', 'show', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      error: 'no agent is running on /nonexistent/agent.sock (start it: systemctl start agent)',
    });
  });
});
