// The three-node subnet lab (`lab.sh up --subnets`): what EC2 nodes in two
// subnets look like, in network namespaces.
//
//   pod1 ─ node1 192.168.1.101 ─┐                          ┌─ node3 192.168.2.103 ─ pod3
//                               ├─ lan-a [router] lan-b ───┘
//   pod2 ─ node2 192.168.1.102 ─┘  192.168.1.1   192.168.2.1
//
// The router forwards between the subnets only packets between node
// addresses (nft, like a VPC router that knows no pod CIDR) and drops pod
// traffic, counting it. node1 is the route reflector for node2 and node3
// (RFC 4456); every agent runs the overlay in cross-subnet mode, so node1 and
// node2 reach each other's pods over plain routes and node3's through the
// VXLAN device. node3 runs with Graceful Restart off (its clean stop removes
// everything). Pods are set up by lab/node-setup.sh, as in the two-node lab.

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_BIN, AGENTCTL_BIN } from './agent.js';
import { execOk, namespaceExists, run, runOk } from './netns.js';
import { startProcess } from './process.js';
import { repositoryRoot } from './repository.js';

const NODE_SETUP = join(repositoryRoot, 'lab', 'node-setup.sh');

export type SubnetNode = 1 | 2 | 3;
export const SUBNET_NODES: readonly SubnetNode[] = [1, 2, 3];
export const SUBNET_NODE_IPS: Record<SubnetNode, string> = {
  1: '192.168.1.101',
  2: '192.168.1.102',
  3: '192.168.2.103',
};
const GATEWAYS: Record<SubnetNode, string> = { 1: '192.168.1.1', 2: '192.168.1.1', 3: '192.168.2.1' };
export const subnetPodIp = (n: SubnetNode): string => `10.233.${n}.10`;
export const OVERLAY_DEVICE = 'agent.vxlan';
export const OVERLAY_VNI = 42;

/** The router's ruleset: node addresses pass between the subnets, pod CIDRs are dropped (and counted). */
const ROUTER_RULES = `table inet lab {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ip saddr { 192.168.1.0/24, 192.168.2.0/24 } ip daddr { 192.168.1.0/24, 192.168.2.0/24 } accept
    ip saddr 10.233.0.0/16 counter name pods drop
    ip daddr 10.233.0.0/16 counter name pods drop
  }
  counter pods { }
}
`;

export interface SubnetLabOptions {
  readonly prefix: string;
  readonly state: string;
  readonly holdTimeSeconds: number;
}

export class SubnetLab {
  constructor(readonly options: SubnetLabOptions) {}

  node(n: SubnetNode): string {
    return `${this.options.prefix}node${n}`;
  }

  pod(n: SubnetNode): string {
    return `${this.options.prefix}pod${n}`;
  }

  get router(): string {
    return `${this.options.prefix}router`;
  }

  get namespaces(): string[] {
    return [...SUBNET_NODES.map((n) => this.pod(n)), ...SUBNET_NODES.map((n) => this.node(n)), this.router];
  }

  stateDir(n: SubnetNode): string {
    return join(this.options.state, `node${n}`);
  }

  socket(n: SubnetNode): string {
    return join(this.stateDir(n), 'agent.sock');
  }

  configPath(n: SubnetNode): string {
    return join(this.stateDir(n), 'agent.yaml');
  }

  /** Namespaces, the router and its rules, the nodes' uplinks and pods, and the agents' configs. */
  async create(): Promise<void> {
    for (const ns of this.namespaces)
      if (namespaceExists(ns)) throw new Error(`namespace ${ns} exists: run "lab.sh down" first`);
    mkdirSync(this.options.state, { recursive: true });
    writeFileSync(
      join(this.options.state, 'lab.json'),
      `${JSON.stringify({ prefix: this.options.prefix, node2: 'agent', subnets: true, namespaces: this.namespaces })}\n`,
    );
    for (const ns of this.namespaces) {
      await runOk(['ip', 'netns', 'add', ns]);
      await runOk(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const router = this.router;
    await runOk(['ip', '-n', router, 'link', 'add', 'lan-a', 'type', 'bridge']);
    for (const n of SUBNET_NODES) {
      const port = n === 3 ? 'lan-b' : `lan-a${n}`;
      await runOk([
        'ip',
        'link',
        'add',
        'eth1',
        'netns',
        this.node(n),
        'type',
        'veth',
        'peer',
        'name',
        port,
        'netns',
        router,
      ]);
      if (n !== 3) await runOk(['ip', '-n', router, 'link', 'set', port, 'master', 'lan-a']);
      await runOk(['ip', '-n', router, 'link', 'set', port, 'up']);
      await runOk(['ip', '-n', this.node(n), 'addr', 'add', `${SUBNET_NODE_IPS[n]}/24`, 'dev', 'eth1']);
      await runOk(['ip', '-n', this.node(n), 'link', 'set', 'eth1', 'up']);
      // Like a VPC subnet: everything else goes to the subnet's router.
      await runOk(['ip', '-n', this.node(n), 'route', 'add', 'default', 'via', GATEWAYS[n]]);
    }
    await runOk(['ip', '-n', router, 'addr', 'add', '192.168.1.1/24', 'dev', 'lan-a']);
    await runOk(['ip', '-n', router, 'link', 'set', 'lan-a', 'up']);
    await runOk(['ip', '-n', router, 'addr', 'add', '192.168.2.1/24', 'dev', 'lan-b']);
    await execOk(router, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    // Within a subnet the bridge forwards; where br_netfilter is built in it
    // would hand bridged frames to the forward hook too, and the pod rule
    // would drop same-subnet traffic, which a subnet does not.
    await run(['ip', 'netns', 'exec', router, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=0']);
    await run(['ip', 'netns', 'exec', router, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-ip6tables=0']);
    await execOk(router, ['nft', '-f', '-'], { input: ROUTER_RULES });
    for (const n of SUBNET_NODES) {
      mkdirSync(this.stateDir(n), { recursive: true });
      await execOk(this.node(n), [
        'bash',
        NODE_SETUP,
        '--index',
        String(n),
        '--node-ip',
        SUBNET_NODE_IPS[n],
        '--pod-ns',
        this.pod(n),
        '--no-config',
      ]);
      writeFileSync(this.configPath(n), this.agentConfig(n), { mode: 0o600 });
    }
  }

  /** node1 reflects for node2 and node3; each announces its pod CIDR; the overlay in cross-subnet mode. */
  agentConfig(n: SubnetNode): string {
    const peers = n === 1 ? [2, 3] : [1];
    const neighbors = peers.map(
      (peer) =>
        `  - address: ${SUBNET_NODE_IPS[peer as SubnetNode]}\n    asn: 64512\n    holdTimeSeconds: ${this.options.holdTimeSeconds}\n    connectRetrySeconds: 1\n` +
        (n === 1 ? '    routeReflectorClient: true\n' : ''),
    );
    return [
      `# Written by lab/subnet-lab.ts for node${n} (${SUBNET_NODE_IPS[n]}).`,
      'asn: 64512',
      `routerId: ${SUBNET_NODE_IPS[n]}`,
      'listen: { address: "0.0.0.0", port: 179 }',
      ...(n === 3 ? ['gracefulRestart: { enabled: false }'] : []),
      'neighbors:',
      ...neighbors.map((text) => text.trimEnd()),
      'originate:',
      `  - prefix: 10.233.${n}.0/24`,
      'fib:',
      '  kernel: { enabled: true, table: 254, protocol: 186, metric: 20 }',
      `overlay: { mode: cross-subnet, vni: ${OVERLAY_VNI}, port: 4789, device: ${OVERLAY_DEVICE} }`,
      `api: { socket: ${this.socket(n)} }`,
      'metrics: { listen: "" }',
      '',
    ].join('\n');
  }

  async startAgent(n: SubnetNode): Promise<number> {
    rmSync(this.socket(n), { force: true });
    const process = await startProcess({
      name: 'agent',
      argv: ['node', AGENT_BIN, '--config', this.configPath(n)],
      stateDir: this.stateDir(n),
      namespace: this.node(n),
    });
    const deadline = Date.now() + 10_000;
    while (!existsSync(this.socket(n))) {
      if (!process.running()) throw new Error(`agent on node${n} exited: ${await process.logText()}`);
      if (Date.now() > deadline) throw new Error(`agent on node${n} did not open its socket`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return process.pid;
  }

  async up(): Promise<void> {
    await this.create();
    for (const n of SUBNET_NODES) await this.startAgent(n);
  }

  agentctl(
    n: SubnetNode,
    args: readonly string[],
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return run(['node', AGENTCTL_BIN, '--socket', this.socket(n), ...args]);
  }

  /** Every agent's sessions Established (node1 has two: it is the reflector). */
  async waitEstablished(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(
        SUBNET_NODES.map(async (n) => {
          const result = await this.agentctl(n, ['neighbor', 'show', '--json']);
          if (result.code !== 0) return ['unknown'];
          return (JSON.parse(result.stdout) as { state: string }[]).map((x) => x.state);
        }),
      );
      if (states.flat().every((s) => s === 'established')) return;
      if (Date.now() > deadline) throw new Error(`sessions not Established: ${JSON.stringify(states)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The kernel route node n has for node m's pod CIDR ("" when none). */
  async route(n: SubnetNode, m: SubnetNode): Promise<string> {
    return (await execOk(this.node(n), ['ip', 'route', 'show', `10.233.${m}.0/24`])).trim();
  }

  /** Waits until every node has a route to every other node's pods. */
  async waitRoutes(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing: string[] = [];
      for (const n of SUBNET_NODES)
        for (const m of SUBNET_NODES)
          if (n !== m && (await this.route(n, m)) === '') missing.push(`node${n}->10.233.${m}.0/24`);
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new Error(`routes missing: ${missing.join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** pod `from` pings pod `to`; extra ping options (e.g. -M do -s 1422) before the address. */
  async ping(
    from: SubnetNode,
    to: SubnetNode,
    count = 3,
    extra: readonly string[] = [],
  ): Promise<{ sent: number; received: number; summary: string }> {
    const result = await run(
      [
        'ip',
        'netns',
        'exec',
        this.pod(from),
        'ping',
        '-c',
        String(count),
        '-i',
        '0.2',
        '-W',
        '1',
        ...extra,
        subnetPodIp(to),
      ],
      { timeoutMs: count * 1200 + 10_000 },
    );
    const line = result.stdout.split('\n').find((l) => l.includes('packets transmitted')) ?? '';
    const match = /(\d+) packets transmitted, (\d+) received/.exec(line);
    return { sent: Number(match?.[1] ?? 0), received: Number(match?.[2] ?? 0), summary: line.trim() };
  }

  /** The overlay device's packet counters on node n (null when the device is not there). */
  async counters(n: SubnetNode): Promise<{ txPackets: number; rxPackets: number } | null> {
    const read = async (name: string): Promise<number | null> => {
      const result = await run([
        'ip',
        'netns',
        'exec',
        this.node(n),
        'cat',
        `/sys/class/net/${OVERLAY_DEVICE}/statistics/${name}`,
      ]);
      return result.code === 0 ? Number(result.stdout.trim()) : null;
    };
    const tx = await read('tx_packets');
    const rx = await read('rx_packets');
    return tx === null || rx === null ? null : { txPackets: tx, rxPackets: rx };
  }

  /** What `lab.sh up --subnets` prints: sessions, routes, fdb and neighbours, pings, counters. */
  async report(): Promise<string> {
    const out: string[] = [];
    const section = (title: string, body: string) => out.push(`== ${title}\n${body.trimEnd()}\n`);
    for (const n of SUBNET_NODES) {
      section(`node${n}: agentctl neighbor show`, (await this.agentctl(n, ['neighbor', 'show'])).stdout);
      section(`node${n}: ip route`, await execOk(this.node(n), ['ip', 'route']));
      section(
        `node${n}: bridge fdb show dev ${OVERLAY_DEVICE}; ip neigh show dev ${OVERLAY_DEVICE}`,
        `${await execOk(this.node(n), ['bridge', 'fdb', 'show', 'dev', OVERLAY_DEVICE])}${await execOk(this.node(n), ['ip', 'neigh', 'show', 'dev', OVERLAY_DEVICE])}`,
      );
    }
    for (const from of SUBNET_NODES)
      for (const to of SUBNET_NODES) {
        if (from === to) continue;
        const ping = await this.ping(from, to);
        section(
          `ping pod${from} -> pod${to} (${subnetPodIp(to)})`,
          `${ping.summary}${ping.sent > 0 && ping.received === ping.sent ? '  OK' : '  FAILED'}`,
        );
      }
    for (const n of SUBNET_NODES) {
      const c = await this.counters(n);
      section(
        `node${n}: ${OVERLAY_DEVICE} counters (encapsulated packets)`,
        c === null ? 'no device' : `tx ${c.txPackets} rx ${c.rxPackets}`,
      );
    }
    section(
      'router: nft list counter inet lab pods (pod traffic dropped)',
      await execOk(this.router, ['nft', 'list', 'counter', 'inet', 'lab', 'pods']),
    );
    return out.join('\n');
  }
}
