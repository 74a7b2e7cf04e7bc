// The two-node lab end to end (lab/lab.ts, lab/node-setup.sh, two real
// agents): pods ping both ways over agent-installed routes; a hand-deleted
// route comes back within a second; a link down withdraws the routes within
// the hold time and they return on link up; SIGKILL and restart of an agent
// lose no ping at 100 ms, and so do SIGTERM and restart (Graceful Restart
// keeps forwarding); agent --cleanup removes what a stopped agent left; a BLACKHOLE added with agentctl becomes a blackhole
// route on the other node; the mixed labs with gobgpd and FRR ping too; the
// --bfd labs (agent and FRR node2) bring BFD Up at 100 ms x 3; and
// `down` leaves no namespace and no process behind.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_BIN } from '../../lab/agent.js';
import { LAB_BFD_MS, Lab, type Node2Kind } from '../../lab/lab.js';
import { execOk, listNamespaces, run } from '../../lab/netns.js';
import { isAlive, savedPids } from '../../lab/process.js';
import { eventually } from '../interop/helpers.js';

const labs: Lab[] = [];

function newLab(node2: Node2Kind, bfdMs: number | null = null): Lab {
  const state = mkdtempSync(join(tmpdir(), 'agent-lab-'));
  chmodSync(state, 0o755); // FRR's daemons run as user frr and must reach their state dir below it
  const lab = new Lab({
    prefix: `e${randomBytes(2).toString('hex')}-`,
    state,
    node2,
    holdTimeSeconds: 3,
    bfdMs,
  });
  labs.push(lab);
  return lab;
}

async function up(lab: Lab): Promise<void> {
  await lab.up();
  await lab.waitEstablished();
  await lab.waitRoutes();
}

async function kernelRoute(lab: Lab, n: 1 | 2, prefix: string): Promise<string> {
  return (await execOk(lab.node(n), ['ip', 'route', 'show', prefix])).trim();
}

/** Everything the lab made, for the cleanup check. */
function leftovers(lab: Lab): { namespaces: string[]; pids: number[] } {
  return {
    namespaces: listNamespaces().filter((ns) => ns.startsWith(lab.options.prefix)),
    pids: [1, 2]
      .flatMap((n) => savedPids(join(lab.options.state, `node${n}`)).map((p) => p.pid))
      .filter(isAlive),
  };
}

afterAll(async () => {
  for (const lab of labs) await Lab.down(lab.options.state);
});

describe('two-node lab with agents', () => {
  const lab = newLab('agent');

  it('pods ping each other over routes the agents installed', async () => {
    await up(lab);
    expect(await kernelRoute(lab, 1, '10.233.2.0/24')).toBe(
      '10.233.2.0/24 via 172.18.8.102 dev eth1 proto bgp metric 20',
    );
    expect(await kernelRoute(lab, 2, '10.233.1.0/24')).toBe(
      '10.233.1.0/24 via 172.18.8.101 dev eth1 proto bgp metric 20',
    );
    for (const from of [1, 2] as const)
      expect(await lab.ping(from, 3)).toMatchObject({ sent: 3, received: 3 });
    const report = await lab.report();
    expect(report).toContain('== node1: agentctl neighbor show');
    expect(report).toContain('3 packets transmitted, 3 received');
    expect((await lab.agentctl(1, ['fib', 'diff'])).stdout.trim()).toBe('in sync');
    // Metrics are on in the lab, on each node's own loopback.
    const scrape =
      "fetch('http://127.0.0.1:9179/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))";
    const metrics = await execOk(lab.node(1), [process.execPath, '-e', scrape]);
    expect(metrics).toContain('bgp_session_established{neighbor="172.18.8.102"} 1');
    expect(metrics).toContain('bgp_neighbor_prefixes{neighbor="172.18.8.102",kind="accepted"} 1');
  }, 60_000);

  it('an owned route deleted by hand is back within a second, logged and counted', async () => {
    await execOk(lab.node(1), ['ip', 'route', 'del', '10.233.2.0/24']);
    const started = Date.now();
    await eventually(
      'route repaired',
      async () => ((await kernelRoute(lab, 1, '10.233.2.0/24')) !== '' ? true : undefined),
      5_000,
      20,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    const log = readFileSync(join(lab.stateDir(1), 'agent.out'), 'utf8');
    expect(log).toContain('kernel: route changed outside the agent, putting it back');
  }, 20_000);

  it('a link down withdraws the routes within the hold time; link up brings them back', async () => {
    await execOk(lab.node(2), ['ip', 'link', 'set', 'eth1', 'down']);
    const started = Date.now();
    await eventually(
      'route withdrawn',
      async () => ((await kernelRoute(lab, 1, '10.233.2.0/24')) === '' ? true : undefined),
      10_000,
      50,
    );
    expect(Date.now() - started).toBeLessThan(3000 + 500);
    await execOk(lab.node(2), ['ip', 'link', 'set', 'eth1', 'up']);
    await lab.waitEstablished(30_000);
    await lab.waitRoutes();
    expect(await lab.ping(1, 3)).toMatchObject({ received: 3 });
  }, 60_000);

  it('SIGKILL and restart of node2 agent while pod1 pings pod2 every 100 ms: no ping lost', async () => {
    const pid = savedPids(lab.stateDir(2)).find((p) => p.name === 'agent')?.pid;
    expect(pid).toBeDefined();
    const pings = run(
      ['ip', 'netns', 'exec', lab.pod(1), 'ping', '-c', '80', '-i', '0.1', '-W', '1', '10.233.2.10'],
      { timeoutMs: 30_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    process.kill(pid as number, 'SIGKILL');
    await eventually('agent gone', async () => (isAlive(pid as number) ? undefined : true), 5_000, 20);
    await lab.startAgent(2);
    const result = await pings;
    const summary = result.stdout.split('\n').find((line) => line.includes('packets transmitted')) ?? '';
    expect(summary).toMatch(/^80 packets transmitted, 80 received, 0% packet loss/);
    await lab.waitEstablished();
    const log = readFileSync(join(lab.stateDir(2), 'agent.out'), 'utf8');
    expect(log).toContain('kernel: keeping routes from the previous run');
  }, 60_000);

  it('SIGTERM (systemctl restart) and start of node2 agent while pod1 pings pod2 every 100 ms: no ping lost', async () => {
    const pid = savedPids(lab.stateDir(2)).find((p) => p.name === 'agent')?.pid;
    expect(pid).toBeDefined();
    const pings = run(
      ['ip', 'netns', 'exec', lab.pod(1), 'ping', '-c', '80', '-i', '0.1', '-W', '1', '10.233.2.10'],
      { timeoutMs: 30_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    process.kill(pid as number, 'SIGTERM');
    await eventually('agent gone', async () => (isAlive(pid as number) ? undefined : true), 10_000, 20);
    // Stopped, it leaves forwarding as SIGKILL does: its own learned route, and
    // node1 keeps node2's route (no NOTIFICATION: RFC 4724 §4.2 stale routes).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await kernelRoute(lab, 2, '10.233.1.0/24')).toBe(
      '10.233.1.0/24 via 172.18.8.101 dev eth1 proto bgp metric 20',
    );
    expect(await kernelRoute(lab, 1, '10.233.2.0/24')).toBe(
      '10.233.2.0/24 via 172.18.8.102 dev eth1 proto bgp metric 20',
    );
    await lab.startAgent(2);
    const result = await pings;
    const summary = result.stdout.split('\n').find((line) => line.includes('packets transmitted')) ?? '';
    expect(summary).toMatch(/^80 packets transmitted, 80 received, 0% packet loss/);
    await lab.waitEstablished();
    await lab.waitRoutes();
  }, 60_000);

  it('agent --cleanup removes what a stopped agent left, only its own routes, and refuses while it runs', async () => {
    const cleanup = ['node', AGENT_BIN, '--config', lab.configPath(2), '--cleanup'];
    const refused = await run(['ip', 'netns', 'exec', lab.node(2), ...cleanup]);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('an agent is running on')]);
    const pid = savedPids(lab.stateDir(2)).find((p) => p.name === 'agent')?.pid as number;
    process.kill(pid, 'SIGTERM');
    await eventually('agent gone', async () => (isAlive(pid) ? undefined : true), 10_000, 20);
    await execOk(lab.node(2), [
      'ip',
      'route',
      'add',
      '10.66.0.0/24',
      'via',
      '172.18.8.101',
      'proto',
      'static',
    ]);
    const done = await run(['ip', 'netns', 'exec', lab.node(2), ...cleanup]);
    expect([done.code, done.stdout]).toEqual([0, 'agent: cleanup: 1 kernel route(s) removed\n']);
    expect(await execOk(lab.node(2), ['ip', 'route', 'show', 'proto', 'bgp'])).toBe('');
    expect(await kernelRoute(lab, 2, '10.66.0.0/24')).toBe(
      '10.66.0.0/24 via 172.18.8.101 dev eth1 proto static',
    );
    await execOk(lab.node(2), ['ip', 'route', 'del', '10.66.0.0/24']);
    await lab.startAgent(2);
    await lab.waitEstablished();
    await lab.waitRoutes();
  }, 60_000);

  it('rib add 10.233.1.0/24 community blackhole on node1 becomes a blackhole route on node2', async () => {
    expect((await lab.agentctl(1, ['rib', 'add', '10.233.1.0/24', 'community', 'blackhole'])).code).toBe(0);
    await eventually('blackhole on node2', async () =>
      (await kernelRoute(lab, 2, '10.233.1.0/24')) === 'blackhole 10.233.1.0/24 proto bgp metric 20'
        ? true
        : undefined,
    );
    expect((await lab.agentctl(1, ['rib', 'del', '10.233.1.0/24'])).code).toBe(0);
    await eventually('route back on node2', async () =>
      (await kernelRoute(lab, 2, '10.233.1.0/24')) ===
      '10.233.1.0/24 via 172.18.8.101 dev eth1 proto bgp metric 20'
        ? true
        : undefined,
    );
  }, 30_000);

  it('down leaves no namespace and no process', async () => {
    const before = leftovers(lab);
    expect(before.namespaces.sort()).toEqual(
      [lab.names.node1, lab.names.node2, lab.names.pod1, lab.names.pod2].sort(),
    );
    await Lab.down(lab.options.state);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(leftovers(lab)).toEqual({ namespaces: [], pids: [] });
    expect(existsSync(lab.options.state)).toBe(false);
    for (const pid of before.pids) expect(isAlive(pid)).toBe(false);
  }, 30_000);
});

describe('mixed labs: node2 runs another BGP daemon', () => {
  for (const kind of ['gobgp', 'frr'] as const) {
    it(`node2 with ${kind === 'gobgp' ? 'gobgpd' : 'FRR'}: the agent learns and installs node2's pod route, pods ping`, async () => {
      const lab = newLab(kind);
      await up(lab);
      expect(await kernelRoute(lab, 1, '10.233.2.0/24')).toBe(
        '10.233.2.0/24 via 172.18.8.102 dev eth1 proto bgp metric 20',
      );
      for (const from of [1, 2] as const)
        expect(await lab.ping(from, 3)).toMatchObject({ sent: 3, received: 3 });
      await Lab.down(lab.options.state);
      expect(leftovers(lab).namespaces).toEqual([]);
    }, 60_000);
  }
});

describe('lab up --bfd', () => {
  for (const kind of ['agent', 'frr'] as const) {
    it(`node2 ${kind}: BFD Up at 100 ms x 3 both ways, shown in the report`, async () => {
      const lab = newLab(kind, LAB_BFD_MS);
      await up(lab);
      await eventually('node1 BFD Up at 100 ms', async () => {
        const show = JSON.parse(
          (await lab.agentctl(1, ['bfd', 'show', '172.18.8.102', '--json'])).stdout,
        ) as {
          state: string;
          transmitIntervalMs: number;
          detectionTimeMs: number;
        };
        return show.state === 'up' && show.transmitIntervalMs === 100 && show.detectionTimeMs === 300
          ? true
          : undefined;
      });
      const report = await lab.report();
      expect(report).toContain('== node1: agentctl bfd show');
      expect(report).toContain(
        kind === 'agent' ? '== node2: agentctl bfd show' : '== node2 (FRR): show bfd peers brief',
      );
      const neighbors = JSON.parse((await lab.agentctl(1, ['neighbor', 'show', '--json'])).stdout) as {
        bfd: string | null;
      }[];
      expect(neighbors[0]?.bfd).toBe('up');
      await Lab.down(lab.options.state);
      expect(leftovers(lab).namespaces).toEqual([]);
    }, 60_000);
  }
});
