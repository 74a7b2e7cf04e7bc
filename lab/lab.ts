// The two-node lab of seed 001 in network namespaces: node1 (172.18.8.101)
// and node2 (172.18.8.102) joined by eth1, a pod on each (10.233.1.10,
// 10.233.2.10) set up by lab/node-setup.sh (the script the Vagrant VMs run),
// and a real agent daemon per node with its own config file and control
// socket. Variants: node2 runs gobgpd or FRR instead of the agent; or
// (--ovs) each node's pod and uplink hang off a userspace Open vSwitch bridge
// and the agents forward between the nodes with OpenFlow flows
// (lab/ovs-node.ts), --tunnel for VXLAN tunnel mode.
//
//   node dist/lab/lab.js up [--node2 agent|gobgp|frr] [--ovs [--tunnel]] [--bfd] [--prefix P] [--state DIR]
//   node dist/lab/lab.js status | ping | down   [--prefix P] [--state DIR]
//   node dist/lab/lab.js restart-ovs [--node 1|2]   (OVS variant: restart that node's ovs-vswitchd)
//
// Everything it creates is recorded in the state directory (namespaces in
// lab.json, PIDs in pids/), so `down` from another process removes it all.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_BIN, AGENTCTL_BIN } from './agent.js';
import { deleteNamespace, execOk, namespaceExists, run, runOk } from './netns.js';
import {
  BRIDGE,
  type OvsLabMode,
  type OvsNodeOptions,
  ovsAgentConfig,
  ovsStateDir,
  ovsTools,
  restartVswitchd,
  setUpOvsNode,
} from './ovs-node.js';
import { startPeer } from './peers/index.js';
import { killAllSaved, startProcess } from './process.js';
import { repositoryRoot } from './repository.js';
import { SubnetLab } from './subnet-lab.js';

const NODE_SETUP = join(repositoryRoot, 'lab', 'node-setup.sh');
/** Prometheus metrics of each node's agent, inside that node's namespace. */
export const METRICS_LISTEN = '127.0.0.1:9179';

export type Node2Kind = 'agent' | 'gobgp' | 'frr';

/** One ping run as `lab.sh ping` prints it: which way, ping's summary, and the verdict. */
export function pingLine(from: 1 | 2, summary: string, ok: boolean): string {
  const to = other(from);
  return `pod${from} (${podIp(from)}) -> pod${to} (${podIp(to)}): ${summary}  ${ok ? 'OK' : 'FAILED'}`;
}

/** `lab.sh --help`: the commands and options. */
export const USAGE = `Usage: bash lab/lab.sh COMMAND [OPTIONS]   (root; Debian 12; Node.js >= 20)

  up [--node2 agent|gobgp|frr]   install, build, bring the two-node lab up and show it
     [--ovs [--tunnel]]          pods and uplink on userspace OVS bridges; agents write flows
     [--bfd]                     BFD between the nodes at 100 ms x 3 (with --node2 frr too)
  up --subnets                   three nodes in two subnets behind a router; cross-subnet VXLAN overlay
  status                         show the running lab again (neighbors, RIBs, routes, pings)
  ping                           ping pod to pod both ways, saying which way
  restart-ovs [--node 1|2]       OVS variant: restart that node's ovs-vswitchd
  down [--purge]                 remove namespaces and processes; logs stay unless --purge
  --help                         this text

  --state DIR (default /tmp/agent-lab), --prefix P (namespace name prefix) go with any command.
  SKIP_INSTALL=1 / SKIP_BUILD=1 skip those steps of up.
  Examples: bash lab/lab.sh up --ovs; bash lab/lab.sh ping; bash lab/lab.sh down --purge`;

export interface LabOptions {
  /** Prepended to every namespace name (tests use one per run). */
  readonly prefix: string;
  readonly state: string;
  readonly node2: Node2Kind;
  readonly holdTimeSeconds: number;
  /** OVS variant: each node forwards through a userspace OVS bridge programmed by its agent (default: none). */
  readonly ovs?: OvsLabMode | null;
  /** BFD between the nodes at this many ms x 3 (RFC 5880), or null for none. */
  readonly bfdMs?: number | null;
}

/** lab.sh up --bfd: what the README's detection times were measured with. */
export const LAB_BFD_MS = 100;

export const defaultLabOptions: LabOptions = {
  prefix: '',
  state: '/tmp/agent-lab',
  node2: 'agent',
  holdTimeSeconds: 9,
  ovs: null,
  bfdMs: null,
};

interface LabRecord {
  readonly prefix: string;
  /** The three-node subnet lab (subnet-lab.ts). */
  readonly subnets?: boolean;
  readonly node2: Node2Kind;
  readonly namespaces: string[];
  readonly ovs?: OvsLabMode | null;
  readonly bfdMs?: number | null;
}

export const NODE_IPS = ['172.18.8.101', '172.18.8.102'] as const;
export const POD_IPS = ['10.233.1.10', '10.233.2.10'] as const;
export const nodeIp = (n: 1 | 2): string => (n === 1 ? NODE_IPS[0] : NODE_IPS[1]);
export const podIp = (n: 1 | 2): string => (n === 1 ? POD_IPS[0] : POD_IPS[1]);
const other = (n: 1 | 2): 1 | 2 => (n === 1 ? 2 : 1);

function sh(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(argv[0] ?? '', argv.slice(1), { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolvePromise({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
        stdout,
        stderr,
      });
    });
  });
}

export class Lab {
  readonly names: { node1: string; node2: string; pod1: string; pod2: string };

  constructor(readonly options: LabOptions) {
    const p = options.prefix;
    this.names = { node1: `${p}node1`, node2: `${p}node2`, pod1: `${p}pod1`, pod2: `${p}pod2` };
  }

  /** The OVS variant's mode, or null for the default lab. */
  get ovsMode(): OvsLabMode | null {
    return this.options.ovs ?? null;
  }

  node(n: 1 | 2): string {
    return n === 1 ? this.names.node1 : this.names.node2;
  }

  pod(n: 1 | 2): string {
    return n === 1 ? this.names.pod1 : this.names.pod2;
  }

  stateDir(n: 1 | 2): string {
    return join(this.options.state, `node${n}`);
  }

  socket(n: 1 | 2): string {
    return join(this.stateDir(n), 'agent.sock');
  }

  configPath(n: 1 | 2): string {
    return join(this.stateDir(n), 'agent.yaml');
  }

  private record(): void {
    mkdirSync(this.options.state, { recursive: true });
    const record: LabRecord = {
      prefix: this.options.prefix,
      node2: this.options.node2,
      namespaces: [this.names.pod1, this.names.pod2, this.names.node1, this.names.node2],
      ovs: this.ovsMode,
      bfdMs: this.options.bfdMs ?? null,
    };
    writeFileSync(join(this.options.state, 'lab.json'), `${JSON.stringify(record)}\n`);
  }

  /** Namespaces and links; each node set up by node-setup.sh (pod, sysctls, agent config). */
  async create(): Promise<void> {
    for (const ns of Object.values(this.names)) {
      if (namespaceExists(ns))
        throw new Error(`namespace ${ns} exists: run "lab.js down" first (or pick --prefix)`);
    }
    this.record();
    const { node1, node2, pod1, pod2 } = this.names;
    for (const ns of [node1, node2]) {
      await runOk(['ip', 'netns', 'add', ns]);
      await execOk(ns, ['ip', 'link', 'set', 'lo', 'up']);
    }
    // The pods' namespaces are named from here: a namespace named inside
    // `ip netns exec` lives in that command's private mount namespace and
    // would vanish with it. node-setup.sh finds them and wires them.
    for (const ns of [pod1, pod2]) await runOk(['ip', 'netns', 'add', ns]);
    // The "Vagrant private network": eth1 on both nodes.
    await runOk([
      'ip',
      'link',
      'add',
      'eth1',
      'netns',
      node1,
      'type',
      'veth',
      'peer',
      'name',
      'eth1',
      'netns',
      node2,
    ]);
    const ovs = this.ovsMode;
    if (ovs !== null) {
      await this.createOvsNodes(ovs);
      return;
    }
    for (const [i, ns] of [node1, node2].entries()) {
      await execOk(ns, ['ip', 'addr', 'add', `${NODE_IPS[i]}/24`, 'dev', 'eth1']);
      await execOk(ns, ['ip', 'link', 'set', 'eth1', 'up']);
    }
    for (const n of [1, 2] as const) {
      mkdirSync(this.stateDir(n), { recursive: true });
      const runsAgent = n === 1 || this.options.node2 === 'agent';
      await execOk(this.node(n), [
        'bash',
        NODE_SETUP,
        '--index',
        String(n),
        '--node-ip',
        nodeIp(n),
        '--peer-ip',
        nodeIp(other(n)),
        '--pod-ns',
        this.pod(n),
        '--config',
        this.configPath(n),
        '--socket',
        this.socket(n),
        // Metrics on, as on a real node: each node namespace has its own loopback.
        '--metrics',
        METRICS_LISTEN,
        '--hold',
        String(this.options.holdTimeSeconds),
        ...(this.options.bfdMs != null ? ['--bfd', String(this.options.bfdMs)] : []),
        ...(runsAgent ? [] : ['--no-config']),
      ]);
    }
  }

  ovsNode(n: 1 | 2, mode: OvsLabMode): OvsNodeOptions {
    return {
      index: n,
      namespace: this.node(n),
      podNamespace: this.pod(n),
      stateDir: this.stateDir(n),
      mode,
      nodeIp: nodeIp(n),
    };
  }

  /** The OVS variant: both nodes' bridges, ports, addresses, pods, and the agents' configs. */
  private async createOvsNodes(mode: OvsLabMode): Promise<void> {
    for (const n of [1, 2] as const) {
      mkdirSync(this.stateDir(n), { recursive: true });
      await setUpOvsNode(this.ovsNode(n, mode));
      writeFileSync(
        this.configPath(n),
        ovsAgentConfig({
          index: n,
          nodeIp: nodeIp(n),
          peerIp: nodeIp(other(n)),
          holdTimeSeconds: this.options.holdTimeSeconds,
          mode,
          nodeStateDir: this.stateDir(n),
          socket: this.socket(n),
          bfdMs: this.options.bfdMs ?? null,
        }),
      );
    }
  }

  /** OVS variant: restarts node n's ovs-vswitchd (its flows are gone until the agent restores them). */
  async restartOvs(n: 1 | 2): Promise<void> {
    const mode = this.ovsMode;
    if (mode === null) throw new Error('not the OVS variant of the lab');
    await restartVswitchd(this.ovsNode(n, mode));
  }

  /** OVS variant: `ovs-ofctl -O OpenFlow13 dump-flows br0` and `ovs-appctl ...` on node n. */
  ovsTools(n: 1 | 2): ReturnType<typeof ovsTools> {
    return ovsTools(this.stateDir(n));
  }

  /** Starts node n's agent (its PID saved in the node's state dir). */
  async startAgent(n: 1 | 2, extraArgs: readonly string[] = []): Promise<number> {
    rmSync(this.socket(n), { force: true });
    const process = await startProcess({
      name: 'agent',
      argv: ['node', AGENT_BIN, '--config', this.configPath(n), ...extraArgs],
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

  /** node2 as gobgpd or FRR instead of the agent (the mixed lab). */
  private async startOtherNode2(): Promise<void> {
    const kind = this.options.node2;
    if (kind === 'agent') return;
    const peer = await startPeer({
      kind,
      namespace: this.names.node2,
      stateDir: this.stateDir(2),
      routerId: NODE_IPS[1],
      asn: 64512,
      neighbors: [
        {
          address: NODE_IPS[0],
          asn: 64512,
          holdTimeSeconds: this.options.holdTimeSeconds,
          passive: kind === 'gobgp',
          ...(this.options.bfdMs != null && kind === 'frr'
            ? { bfd: { minRxMs: this.options.bfdMs, minTxMs: this.options.bfdMs, multiplier: 3 } }
            : {}),
        },
      ],
      routes: [{ prefix: '10.233.2.0/24', nextHop: NODE_IPS[1] }],
      installFib: kind === 'frr',
    });
    void peer;
    if (kind === 'gobgp') {
      // gobgpd has no FIB code of its own, and its zebra link fails against
      // FRR 8.4's zebra on this machine (lab notes §3): the return route that
      // zebra would have installed on node2 is added by hand. node1's side,
      // the agent learning node2's pod from gobgpd, is what this variant shows.
      await execOk(this.names.node2, [
        'ip',
        'route',
        'replace',
        '10.233.1.0/24',
        'via',
        NODE_IPS[0],
        'proto',
        'static',
      ]);
    }
  }

  async up(): Promise<void> {
    await this.create();
    await this.startAgent(1);
    if (this.options.node2 === 'agent') await this.startAgent(2);
    else await this.startOtherNode2();
  }

  async agentctl(
    n: 1 | 2,
    args: readonly string[],
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return sh(['node', AGENTCTL_BIN, '--socket', this.socket(n), ...args]);
  }

  /** Waits until node1's agent (and node2's, if it runs one) has its session Established. */
  async waitEstablished(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const nodes: (1 | 2)[] = this.options.node2 === 'agent' ? [1, 2] : [1];
    for (;;) {
      const states = await Promise.all(
        nodes.map(async (n) => {
          const result = await this.agentctl(n, ['neighbor', 'show', '--json']);
          if (result.code !== 0) return 'unknown';
          const neighbors = JSON.parse(result.stdout) as { state: string }[];
          return neighbors[0]?.state ?? 'none';
        }),
      );
      if (states.every((s) => s === 'established')) return;
      if (Date.now() > deadline) throw new Error(`sessions not Established: ${states.join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Waits until each node's kernel has the other pod's route (OVS variant: each bridge has its flow). */
  async waitRoutes(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (this.ovsMode !== null) {
      for (;;) {
        const have = await Promise.all(
          ([1, 2] as const).map(async (n) => {
            const flows = await this.ovsTools(n)
              .ofctl(['dump-flows', 'cookie=0xb6b0000000000000/0xffffffff00000000'])
              .catch(() => '');
            return flows.includes(`nw_dst=10.233.${3 - n}.0/24`);
          }),
        );
        if (have.every(Boolean)) return;
        if (Date.now() > deadline) throw new Error('pod flows not installed');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (;;) {
      const have = await Promise.all(
        ([1, 2] as const).map(async (n) => {
          const routes = await execOk(this.node(n), ['ip', 'route', 'show', `10.233.${3 - n}.0/24`]);
          return routes.trim() !== '';
        }),
      );
      if (have.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error('pod routes not installed');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** pod n pings the other pod; returns ping's summary lines and counts. */
  async ping(
    from: 1 | 2,
    count = 3,
    intervalSeconds = 0.2,
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
        String(intervalSeconds),
        '-W',
        '1',
        podIp(other(from)),
      ],
      {
        timeoutMs: count * intervalSeconds * 1000 + 10_000,
      },
    );
    const line = result.stdout.split('\n').find((l) => l.includes('packets transmitted')) ?? '';
    const match = /(\d+) packets transmitted, (\d+) received/.exec(line);
    return { sent: Number(match?.[1] ?? 0), received: Number(match?.[2] ?? 0), summary: line.trim() };
  }

  /** What the main command prints: sessions, RIBs, kernel routes of both nodes, and the pings. */
  async report(): Promise<string> {
    const out: string[] = [];
    const section = (title: string, body: string) => out.push(`== ${title}\n${body.trimEnd()}\n`);
    for (const n of [1, 2] as const) {
      if (n === 1 || this.options.node2 === 'agent') {
        section(`node${n}: agentctl neighbor show`, (await this.agentctl(n, ['neighbor', 'show'])).stdout);
        section(`node${n}: agentctl rib show`, (await this.agentctl(n, ['rib', 'show'])).stdout);
        if (this.options.bfdMs != null)
          section(`node${n}: agentctl bfd show`, (await this.agentctl(n, ['bfd', 'show'])).stdout);
      } else if (this.options.node2 === 'gobgp') {
        const target = `unix://${join(this.stateDir(2), 'gobgp.sock')}`;
        section(
          'node2 (gobgpd): gobgp neighbor',
          (await sh(['gobgp', '--target', target, 'neighbor'])).stdout,
        );
        section(
          'node2 (gobgpd): gobgp global rib',
          (await sh(['gobgp', '--target', target, 'global', 'rib'])).stdout,
        );
      } else {
        const vty = ['vtysh', '--vty_socket', this.stateDir(2)];
        section('node2 (FRR): show bgp summary', (await sh([...vty, '-c', 'show bgp summary'])).stdout);
        section('node2 (FRR): show ip bgp', (await sh([...vty, '-c', 'show ip bgp'])).stdout);
        if (this.options.bfdMs != null)
          section(
            'node2 (FRR): show bfd peers brief',
            (await sh([...vty, '-c', 'show bfd peers brief'])).stdout,
          );
      }
      section(`node${n}: ip route`, await execOk(this.node(n), ['ip', 'route']));
    }
    for (const from of [1, 2] as const) {
      const ping = await this.ping(from);
      section(
        `ping pod${from} (${podIp(from)}) -> pod${other(from)} (${podIp(other(from))})`,
        `${ping.summary}${ping.received === ping.sent && ping.sent > 0 ? '  OK' : '  FAILED'}`,
      );
    }
    // OVS variant: after the pings, so the counters and the trace's caches are warm.
    if (this.ovsMode !== null) {
      for (const n of [1, 2] as const) {
        const tools = this.ovsTools(n);
        section(
          `node${n}: agentctl fib show --ovs`,
          (await this.agentctl(n, ['fib', 'show', '--ovs'])).stdout,
        );
        section(`node${n}: ovs-ofctl -O OpenFlow13 dump-flows ${BRIDGE}`, await tools.ofctl(['dump-flows']));
        section(
          `node${n}: ovs-appctl ofproto/trace ${BRIDGE} ${this.traceFlow(n)}`,
          await tools.appctl(['ofproto/trace', BRIDGE, this.traceFlow(n)]),
        );
      }
    }
    return out.join('\n');
  }

  /** The packet pod n sends to the other pod, as ofproto/trace takes it (in_port: vethpod). */
  traceFlow(n: 1 | 2): string {
    return `in_port=2,icmp,nw_src=${podIp(n)},nw_dst=${podIp(other(n))},nw_ttl=64`;
  }

  /** Kills every saved PID and deletes every namespace of the lab recorded in `state`. */
  /**
   * Stops what the lab started and removes its namespaces. `keepLogs`: the
   * daemons' logs (*.out, *.log) stay in the state directory for a post
   * mortem, everything else goes (lab.sh down; --purge removes them too).
   */
  static async down(state: string, { keepLogs = false }: { keepLogs?: boolean } = {}): Promise<string[]> {
    const removed: string[] = [];
    const recordFile = join(state, 'lab.json');
    for (const n of [1, 2, 3]) {
      const dir = join(state, `node${n}`);
      if (existsSync(dir)) await killAllSaved(dir);
      if (existsSync(ovsStateDir(dir))) await killAllSaved(ovsStateDir(dir));
    }
    if (existsSync(recordFile)) {
      const record = JSON.parse(readFileSync(recordFile, 'utf8')) as LabRecord;
      for (const ns of record.namespaces) {
        if (namespaceExists(ns)) {
          await deleteNamespace(ns);
          removed.push(ns);
        }
      }
    }
    if (keepLogs) removeAllBut(state, (name) => /\.(out|log)$/.test(name));
    else rmSync(state, { recursive: true, force: true });
    return removed;
  }
}

/** Removes every file under `dir` that `keep` refuses, and the directories left empty. */
function removeAllBut(dir: string, keep: (name: string) => boolean): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      removeAllBut(path, keep);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true, force: true });
    } else if (!keep(entry.name)) {
      rmSync(path, { force: true });
    }
  }
}

function parseArguments(argv: readonly string[]): {
  command: string;
  options: LabOptions;
  node: 1 | 2;
  subnets: boolean;
  purge: boolean;
} {
  const [command = 'up', ...rest] = argv;
  let purge = false;
  let options: LabOptions = { ...defaultLabOptions };
  let subnets = false;
  let node: 1 | 2 = 1;
  let tunnel = false;
  for (let i = 0; i < rest.length; i += 2) {
    const value = rest[i + 1];
    switch (rest[i]) {
      case '--ovs':
        options = { ...options, ovs: options.ovs ?? 'routed' };
        i--; // a flag: no value
        break;
      case '--tunnel':
        tunnel = true;
        i--;
        break;
      case '--subnets':
        subnets = true;
        i--;
        break;
      case '--bfd':
        options = { ...options, bfdMs: LAB_BFD_MS };
        i--;
        break;
      case '--purge':
        purge = true;
        i--;
        break;
      case '--node':
        if (value !== '1' && value !== '2') throw new Error('--node must be 1 or 2');
        node = value === '1' ? 1 : 2;
        break;
      case '--node2':
        if (value !== 'agent' && value !== 'gobgp' && value !== 'frr')
          throw new Error('--node2 must be agent, gobgp or frr');
        options = { ...options, node2: value };
        break;
      case '--prefix':
        options = { ...options, prefix: value ?? '' };
        break;
      case '--state':
        options = { ...options, state: value ?? options.state };
        break;
      default:
        throw new Error(
          `unknown option ${rest[i]}: use --node2 agent|gobgp|frr, --ovs [--tunnel], --subnets, --bfd, --purge, --prefix P, --state DIR (lab.sh --help)`,
        );
    }
  }
  if (tunnel) {
    if ((options.ovs ?? null) === null) throw new Error('--tunnel goes with --ovs: lab.sh up --ovs --tunnel');
    options = { ...options, ovs: 'tunnel' };
  }
  if (options.bfdMs != null && options.node2 === 'gobgp')
    throw new Error('--bfd needs a node2 with BFD: the agent or FRR (gobgpd has none)');
  if ((options.ovs ?? null) !== null && options.node2 !== 'agent')
    throw new Error('--ovs needs agents on both nodes (leave out --node2)');
  if (subnets && ((options.ovs ?? null) !== null || options.node2 !== 'agent'))
    throw new Error('--subnets is the three-agent overlay lab: leave out --ovs and --node2');
  return { command, options, node, subnets, purge };
}

/** `up --subnets`: the three-node overlay lab (subnet-lab.ts), reported, left up. */
async function upSubnets(options: LabOptions): Promise<number> {
  const lab = new SubnetLab(options);
  try {
    await lab.up();
    await lab.waitEstablished();
    await lab.waitRoutes();
  } catch (error) {
    console.error(`lab: ${error instanceof Error ? error.message : String(error)}`);
    await Lab.down(options.state);
    return 1;
  }
  console.log(await lab.report());
  console.log(
    `The lab stays up. Tear it down with: bash lab/lab.sh down${options.state !== defaultLabOptions.state ? ` --state ${options.state}` : ''}`,
  );
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  if (['help', '--help', '-h'].includes(argv[0] ?? '')) {
    console.log(USAGE);
    return 0;
  }
  const { command, options, node, subnets, purge } = parseArguments(argv);
  if (process.getuid?.() !== 0) {
    console.error('lab: run as root (it creates network namespaces)');
    return 1;
  }
  switch (command) {
    case 'up': {
      const existing = join(options.state, 'lab.json');
      if (existsSync(existing)) {
        console.error(`lab: a lab is already up (state in ${options.state}); run "lab.sh down" first`);
        return 1;
      }
      if (subnets) return upSubnets(options);
      const lab = new Lab(options);
      try {
        await lab.up();
        await lab.waitEstablished();
        await lab.waitRoutes();
      } catch (error) {
        console.error(`lab: ${error instanceof Error ? error.message : String(error)}`);
        await Lab.down(options.state);
        return 1;
      }
      console.log(await lab.report());
      console.log(
        `The lab stays up. Tear it down with: bash lab/lab.sh down${options.state !== defaultLabOptions.state ? ` --state ${options.state}` : ''}`,
      );
      return 0;
    }
    case 'status':
    case 'ping': {
      const recordFile = join(options.state, 'lab.json');
      if (!existsSync(recordFile)) {
        console.error('lab: no lab is up');
        return 1;
      }
      const record = JSON.parse(readFileSync(recordFile, 'utf8')) as LabRecord;
      if (record.subnets === true) {
        const lab = new SubnetLab({ ...options, prefix: record.prefix });
        if (command === 'status') console.log(await lab.report());
        else
          for (const [from, to] of [
            [1, 2],
            [1, 3],
            [2, 3],
            [3, 1],
          ] as const)
            console.log(`pod${from} -> pod${to}: ${(await lab.ping(from, to)).summary}`);
        return 0;
      }
      const lab = new Lab({
        ...options,
        prefix: record.prefix,
        node2: record.node2,
        ovs: record.ovs ?? null,
        bfdMs: record.bfdMs ?? null,
      });
      if (command === 'status') console.log(await lab.report());
      else
        for (const from of [1, 2] as const) {
          const ping = await lab.ping(from);
          console.log(pingLine(from, ping.summary, ping.sent > 0 && ping.received === ping.sent));
        }
      return 0;
    }
    case 'restart-ovs': {
      const recordFile = join(options.state, 'lab.json');
      if (!existsSync(recordFile)) {
        console.error('lab: no lab is up');
        return 1;
      }
      const record = JSON.parse(readFileSync(recordFile, 'utf8')) as LabRecord;
      const lab = new Lab({
        ...options,
        prefix: record.prefix,
        node2: record.node2,
        ovs: record.ovs ?? null,
      });
      await lab.restartOvs(node);
      await lab.waitRoutes();
      console.log(`node${node}: ovs-vswitchd restarted; the agent's flows are back:`);
      console.log(await lab.ovsTools(node).ofctl(['dump-flows']));
      return 0;
    }
    case 'down': {
      const removed = await Lab.down(options.state, { keepLogs: !purge });
      console.log(removed.length > 0 ? `removed ${removed.join(', ')}` : 'nothing to remove');
      if (!purge && existsSync(options.state))
        console.log(`logs kept in ${options.state} (lab.sh down --purge removes them)`);
      return 0;
    }
    default:
      console.error(
        `lab: unknown command ${command}: use up, status, ping, restart-ovs or down (lab.sh --help)`,
      );
      return 2;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`lab: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
