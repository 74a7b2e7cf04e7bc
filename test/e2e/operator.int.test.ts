// The operator verbs against two real agents over a real session: global,
// the bare nouns, rib show --summary, neighbor disable/enable (it stays down
// and refuses the peer meanwhile), reset (Cease/Administrative Reset, back by
// itself), softreset --in (the peer sends its routes again) and --out (we
// send ours again), rib show's filters, monitor, neighbor detail, and a
// refusal as JSON under --json.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENTCTL_BIN, LabAgent } from '../../lab/agent.js';
import { Topology } from '../../lab/netns.js';
import { eventually } from '../interop/helpers.js';

interface Neighbor {
  address: string;
  state: string;
  flaps: number;
  updatesIn: number;
  updatesOut: number;
}

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
let topology: Topology;
let a1: LabAgent;
let a2: LabAgent;

function config(self: 1 | 2) {
  const other = self === 1 ? 2 : 1;
  return {
    asn: 65400 + self,
    routerId: `10.94.0.${self}`,
    listen: { address: '0.0.0.0', port: 179 },
    neighbors: [
      {
        address: `10.94.0.${other}`,
        asn: 65400 + other,
        holdTimeSeconds: 3,
        connectRetrySeconds: 1,
        import: 'accept-all',
        export: 'accept-all',
      },
    ],
    originate: [
      { prefix: `10.94.${100 + self}.0/24` },
      { prefix: `10.94.${100 + self}.128/25`, communities: ['65400:7'] },
    ],
    fib: { kernel: { enabled: false } },
    advertisementIntervalMs: 0,
  };
}

async function neighborOf(agent: LabAgent, address: string): Promise<Neighbor> {
  const found = (await agent.ctlJson<Neighbor[]>(['neighbor', 'show'])).find((n) => n.address === address);
  if (found === undefined) throw new Error(`no neighbor ${address}`);
  return found;
}

beforeAll(async () => {
  topology = Topology.create();
  const ns1 = await topology.addNamespace('op1');
  const ns2 = await topology.addNamespace('op2');
  await topology.addLink({
    a: { ns: ns1, ifname: 'eth1', ipv4: '10.94.0.1/24' },
    b: { ns: ns2, ifname: 'eth1', ipv4: '10.94.0.2/24' },
  });
  a1 = new LabAgent({ namespace: ns1, stateDir: topology.stateDir('a1'), config: config(1) });
  a2 = new LabAgent({ namespace: ns2, stateDir: topology.stateDir('a2'), config: config(2) });
  await Promise.all([a1.start(), a2.start()]);
  await Promise.all([a1.waitNeighbor('10.94.0.2'), a2.waitNeighbor('10.94.0.1')]);
  await eventually('a1 has a2 route', async () =>
    (await a1.ctl(['rib', 'show', '10.94.102.0/24'])).stdout.includes('10.94.0.2') ? true : undefined,
  );
}, 60_000);

afterAll(async () => {
  await a1?.stop().catch(() => undefined);
  await a2?.stop().catch(() => undefined);
  await topology?.destroy({ keepFiles: process.env.KEEP_LAB === '1' });
});

describe('operator verbs on a live session', () => {
  it('global, --version, the bare nouns and rib show --summary', async () => {
    const global = await a1.ctlJson<Record<string, unknown>>(['global']);
    expect(global).toMatchObject({
      asn: 65401,
      routerId: '10.94.0.1',
      version,
      neighbors: { configured: 1, established: 1 },
      prefixes: { 'ipv4-unicast': 4 },
    });
    expect((await a1.ctl(['global'])).stdout).toContain('Router ID:        10.94.0.1');
    expect((await a1.ctl(['--version'])).stdout).toBe(`agentctl ${version}\n`);
    const bareNeighbor = await a1.ctl(['neighbor']);
    expect(bareNeighbor.stdout).toMatch(/10\.94\.0\.2\s+65402\s+\S+\s+Established/);
    expect((await a1.ctl(['rib'])).stdout).toContain('10.94.102.0/24');
    const summary = await a1.ctlJson<{
      neighbors: { address: string; received: Record<string, number>; accepted: Record<string, number> }[];
    }>(['rib', 'show', '--summary']);
    expect(summary.neighbors).toEqual([
      {
        address: '10.94.0.2',
        received: { 'ipv4-unicast': 2, 'ipv6-unicast': 0 },
        accepted: { 'ipv4-unicast': 2, 'ipv6-unicast': 0 },
        advertised: 2,
      },
    ]);
  });

  it('rib show filters: --longer-prefixes, --community, --as-path-contains', async () => {
    const shown = async (args: string[]) =>
      (await a1.ctlJson<{ destinations: { prefix: string }[] }>(['rib', 'show', ...args])).destinations.map(
        (d) => d.prefix,
      );
    expect(await shown(['10.94.102.0/24', '--longer-prefixes'])).toEqual([
      '10.94.102.0/24',
      '10.94.102.128/25',
    ]);
    expect(await shown(['--community', '65400:7'])).toEqual(['10.94.101.128/25', '10.94.102.128/25']);
    expect(await shown(['--as-path-contains', '65402'])).toEqual(['10.94.102.0/24', '10.94.102.128/25']);
    expect(await shown(['--as-path-contains', '65402', '--community', '65400:7'])).toEqual([
      '10.94.102.128/25',
    ]);
    expect(await shown(['--neighbor', '10.94.0.2', '--out', '--community', '65400:7'])).toEqual([
      '10.94.101.128/25',
    ]);
  });

  it('softreset --in: the neighbor sends its routes again; --out: we send ours again', async () => {
    const before = await neighborOf(a1, '10.94.0.2');
    expect((await a1.ctl(['neighbor', 'softreset', '10.94.0.2', '--in'])).code).toBe(0);
    await eventually('UPDATEs from a2 again', async () =>
      (await neighborOf(a1, '10.94.0.2')).updatesIn > before.updatesIn ? true : undefined,
    );
    const middle = await neighborOf(a1, '10.94.0.2');
    expect((await a1.ctl(['neighbor', 'softreset', '10.94.0.2', '--out'])).code).toBe(0);
    await eventually('UPDATEs to a2 again', async () =>
      (await neighborOf(a1, '10.94.0.2')).updatesOut > middle.updatesOut ? true : undefined,
    );
    expect((await neighborOf(a1, '10.94.0.2')).state).toBe('established');
  });

  it('disable: Cease/Administrative Shutdown, down and staying down (the peer refused); enable: up again', async () => {
    const disabled = await a1.ctl(['neighbor', 'disable', '10.94.0.2']);
    expect([disabled.code, disabled.stdout]).toEqual([
      0,
      'neighbor 10.94.0.2: disabled (Cease/Administrative Shutdown); neighbor enable 10.94.0.2 starts it\n',
    ]);
    await eventually('a2 got Cease/Administrative Shutdown', async () =>
      (await a2.logEntries()).find((e) => e.direction === 'received' && e.code === 6 && e.subcode === 2),
    );
    // a2 keeps trying every second: three of its attempts are refused.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect((await neighborOf(a1, '10.94.0.2')).state).toBe('idle');
    expect((await a1.ctl(['neighbor', 'enable', '10.94.0.2'])).code).toBe(0);
    await a1.waitNeighbor('10.94.0.2');
  }, 30_000);

  it('reset: Cease/Administrative Reset, and the session comes back by itself', async () => {
    const before = await neighborOf(a1, '10.94.0.2');
    expect((await a1.ctl(['neighbor', 'reset', '10.94.0.2'])).code).toBe(0);
    await eventually('a2 got Cease/Administrative Reset', async () =>
      (await a2.logEntries()).find((e) => e.direction === 'received' && e.code === 6 && e.subcode === 4),
    );
    await eventually(
      'back up after the reset',
      async () => {
        const now = await neighborOf(a1, '10.94.0.2');
        return now.state === 'established' && now.flaps > before.flaps ? true : undefined;
      },
      20_000,
    );
  }, 30_000);

  it('neighbor detail: configured and negotiated timers, capabilities both ways, messages per type', async () => {
    const detail = await a1.ctlJson<Record<string, unknown>>(['neighbor', 'show', '10.94.0.2']);
    expect(detail).toMatchObject({
      configured: { holdTimeSeconds: 3, connectRetrySeconds: 1, passive: false, families: ['ipv4-unicast'] },
      messages: { in: { open: expect.any(Number), keepalive: expect.any(Number) } },
      session: {
        holdTimeSeconds: 3,
        capabilitiesSent: expect.arrayContaining([
          'multiprotocol ipv4-unicast',
          'route-refresh',
          '4-octet-as 65401',
        ]),
        capabilitiesReceived: expect.arrayContaining([
          '4-octet-as 65402',
          expect.stringMatching(/^graceful-restart /),
        ]),
      },
    });
    const messages = detail.messages as { in: Record<string, number>; out: Record<string, number> };
    expect(messages.in.open).toBeGreaterThanOrEqual(1);
    expect(messages.out.update).toBeGreaterThanOrEqual(1);
    const text = (await a1.ctl(['neighbor', '10.94.0.2'])).stdout;
    expect(text).toContain('  Configured: hold time 3s, connect retry 1s, active');
    expect(text).toMatch(/ {2}Capabilities sent: multiprotocol ipv4-unicast, /);
    expect(text).toMatch(
      / {2}Messages received: open \d+, update \d+, notification \d+, keepalive \d+, route-refresh \d+/,
    );
  });

  it('a refusal under --json is JSON, with the exit status', async () => {
    const result = await a1.ctl(['neighbor', 'reset', '10.9.9.9', '--json']);
    expect([result.code, JSON.parse(result.stdout)]).toEqual([1, { error: 'no neighbor 10.9.9.9' }]);
  });

  it('monitor: a best-path change and the session going down and up, as JSON lines', async () => {
    const monitor = spawn('node', [AGENTCTL_BIN, '--socket', a1.socket, 'monitor', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    monitor.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const events = () =>
      output
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the stream is up
      expect((await a2.ctl(['rib', 'add', '10.94.150.0/24'])).code).toBe(0);
      await eventually('the new best path', async () =>
        events().find((e) => e.type === 'rib' && e.prefix === '10.94.150.0/24'),
      );
      const rib = events().find((e) => e.type === 'rib' && e.prefix === '10.94.150.0/24');
      expect(rib).toMatchObject({ family: 'ipv4-unicast', best: { neighbor: '10.94.0.2', asPath: '65402' } });
      expect((await a2.ctl(['rib', 'del', '10.94.150.0/24'])).code).toBe(0);
      await eventually('withdrawn', async () =>
        events().find((e) => e.type === 'rib' && e.prefix === '10.94.150.0/24' && e.best === null),
      );
      expect((await a1.ctl(['neighbor', 'reset', '10.94.0.2'])).code).toBe(0);
      await eventually('down and up again', async () => {
        const states = events()
          .filter((e) => e.type === 'neighbor' && e.neighbor === '10.94.0.2')
          .map((e) => `${e.from}->${e.to}`);
        return states.includes('established->idle') && states.at(-1)?.endsWith('->established')
          ? true
          : undefined;
      });
    } finally {
      monitor.kill('SIGTERM');
    }
  }, 30_000);

  it('the last error says what the OS said (a2 stopped: connection refused)', async () => {
    await a2.stop();
    await eventually(
      'a1 saw the refusal',
      async () => {
        const n = (
          await a1.ctlJson<{ address: string; lastError: string | null }[]>(['neighbor', 'show'])
        ).find((x) => x.address === '10.94.0.2');
        return n?.lastError?.includes('ECONNREFUSED') === true ? n.lastError : undefined;
      },
      15_000,
    );
  }, 30_000);
});
