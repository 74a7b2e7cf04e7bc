// The receivers under test, one typed face each: start in a namespace with
// the injector as a passive iBGP neighbor (hold time 90 s, IPv4 and IPv6
// unicast, no FIB), count best routes in the Loc-RIB cheaply, and name the
// process whose RSS is measured.
//
//   agent   bin/agent (bench/lib/agent.ts), fib.kernel off, metrics off, --log-level warn;
//           count: GET /v1/rib/summary -> <family>.prefixes (Loc-RIB prefixes).
//   gobgp   gobgpd (no FIB code); count: `gobgp global rib summary -a ipv4|ipv6`
//           "Destination: N" (best paths in the global table; a walk of the
//           whole table, so polled only once the feed's last prefix is there:
//           hasPrefix, `gobgp global rib -a ipv4 PREFIX -j`, one lookup).
//   bird    BIRD 2 with no kernel protocol; count: `show protocols all n0`,
//           the channel's "Routes: ... N preferred" (routes from the injector
//           that are best in master4/master6), over the control socket.
//   frr     zebra + `bgpd -n` (no route install into zebra/kernel; zebra only
//           serves interfaces and next-hop tracking); count: min(pfxRcd,
//           tableVersion) of `show bgp <afi> unicast summary json` over bgpd's
//           vty socket, see frrBestCount. RSS is bgpd's.
//
// With `clients` (bench/fanout.ts, bench/churn.ts) the receiver is also a
// route reflector (cluster id = its router ID) for that many passive iBGP
// neighbors, each a route-reflector client: the agent `routeReflectorClient:
// true`, BIRD `rr client`, FRR `neighbor X route-reflector-client`, gobgpd
// `route-reflector-client = true` (lab/peers writes the last three).
//
// control() is one "neighbor show" over the daemon's own control socket,
// as cheap as the daemon allows, for latency polls: the agent GET
// /v1/neighbors (what `agentctl neighbor show` asks), BIRD `show protocols`,
// FRR `show bgp summary` on bgpd's vty socket, gobgpd ListPeer over gRPC
// (bench/lib/gobgp-grpc.ts; what `gobgp neighbor` asks). cli() is the same
// through the daemon's CLI program, a process per call: agentctl, birdc,
// vtysh, gobgp.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execOk, run, runOk } from '../../lab/netns.js';
import { type BirdPeer, type FrrPeer, type GobgpPeer, startPeer } from '../../lab/peers/index.js';
import { BenchAgent, repositoryRoot } from './agent.js';
import { birdCommand, frrCommand } from './ctl.js';
import { gobgpListPeer } from './gobgp-grpc.js';

export type ReceiverName = 'agent' | 'gobgp' | 'bird' | 'frr';
export const RECEIVER_NAMES: readonly ReceiverName[] = ['agent', 'gobgp', 'bird', 'frr'];
export type FamilyName = 'ipv4-unicast' | 'ipv6-unicast';

export interface ReceiverSetup {
  readonly namespace: string;
  readonly stateDir: string;
  readonly asn: number;
  readonly routerId: string;
  /** The injector's address (the neighbor). */
  readonly neighbor: string;
  readonly holdTimeSeconds: number;
  /** agent only: node options before bin/agent (profiling). */
  readonly agentNodeArgs?: readonly string[];
  /** Install best routes into the namespace's kernel table (bench/fib): the agent's kernel writer, BIRD's kernel protocol, FRR's zebra. */
  readonly installFib?: boolean;
  /** Route-reflector clients: passive iBGP neighbors (same AS) the injector's routes are reflected to. */
  readonly clients?: readonly string[];
  /** Hold time of the client sessions (default holdTimeSeconds). */
  readonly clientHoldTimeSeconds?: number;
  /**
   * agent only: give the clients this many different export policies (client
   * i sets MED i mod N), so they fall into N update groups; default 1.
   */
  readonly clientGroups?: number;
  /**
   * agent only: serve metrics at this address in the namespace (e.g.
   * '127.0.0.1:9179'), so eventLoopDelayMaxMs() can read the longest turn;
   * off by default (prom-client's memory would count in the RSS figures).
   */
  readonly agentMetricsListen?: string;
}

export interface Receiver {
  readonly name: ReceiverName;
  /** e.g. 'FRR 8.4.4'. */
  readonly version: string;
  /** The process whose RSS is reported. */
  readonly pid: number;
  /** Every process of the receiver whose CPU counts (FRR: bgpd and zebra); default [pid]. */
  readonly processes?: () => readonly number[];
  /** Best routes of `family` in the Loc-RIB. */
  count(family: FamilyName): Promise<number>;
  /**
   * Something that is 0 exactly when the Loc-RIB of `family` is empty, for
   * any source: count() looks at the injector's session, which reads 0 as
   * soon as it drops, while the routes are still being flushed (agent,
   * gobgpd: count(); BIRD: networks of `show route count table master4`;
   * FRR: ribCount of the summary, its table nodes).
   */
  emptiness(family: FamilyName): Promise<number>;
  /** Whether `prefix` has a best route; only where counting is too costly to poll (gobgpd). */
  readonly hasPrefix?: (family: FamilyName, prefix: string) => Promise<boolean>;
  /** The receiver's own view of the session. */
  established(): Promise<boolean>;
  /** What control() and cli() ask, e.g. 'GET /v1/neighbors'. */
  readonly controlText: string;
  /** One "neighbor show" over the control socket, no process spawned (gobgpd: ListPeer over gRPC). */
  control(): Promise<void>;
  /** The same through the daemon's CLI program (a process per call). */
  cli(): Promise<void>;
  /**
   * agent with agentMetricsListen only: agent_event_loop_delay_max_seconds in
   * ms, the longest event-loop turn since the previous call (the gauge resets
   * at each scrape).
   */
  readonly eventLoopDelayMaxMs?: () => Promise<number>;
  /** True while the measured process runs. */
  running(): boolean;
  logText(): Promise<string>;
  stop(): Promise<void>;
}

const FAMILIES: readonly FamilyName[] = ['ipv4-unicast', 'ipv6-unicast'];

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

let revision: Promise<string> | undefined;

/**
 * The last commit that changed src/ (and "+dirty src" if src/ has changes) when first
 * asked: rib.ts asks at start, so this labels the agent as built then.
 */
export function agentRevision(): Promise<string> {
  revision ??= (async () => {
    const repository = repositoryRoot();
    // The last commit that changed src/: on a branch that only adds benchmarks this
    // names the agent being measured, not the benchmark's own commits.
    const out = await run(['git', '-C', repository, 'log', '-1', '--format=%h', '--', 'src'], {
      timeoutMs: 5000,
    });
    const dirty = await run(
      ['git', '-C', repository, 'status', '--porcelain', '--untracked-files=no', 'src'],
      { timeoutMs: 5000 },
    );
    if (out.code !== 0) return 'unknown';
    return `${out.stdout.trim()}${dirty.stdout.trim() !== '' ? '+dirty src' : ''}`;
  })();
  return revision;
}

async function startAgent(setup: ReceiverSetup): Promise<Receiver> {
  const agent = new BenchAgent(
    setup.namespace,
    setup.stateDir,
    {
      asn: setup.asn,
      routerId: setup.routerId,
      listen: { address: '0.0.0.0', port: 179 },
      ...((setup.clients ?? []).length > 0 ? { clusterId: setup.routerId } : {}),
      neighbors: [
        {
          address: setup.neighbor,
          asn: setup.asn,
          families: [...FAMILIES],
          holdTimeSeconds: setup.holdTimeSeconds,
          passive: true,
          import: 'accept-all',
        },
        ...(setup.clients ?? []).map((address, i) => ({
          address,
          asn: setup.asn,
          families: [...FAMILIES],
          holdTimeSeconds: setup.clientHoldTimeSeconds ?? setup.holdTimeSeconds,
          passive: true,
          routeReflectorClient: true,
          import: 'accept-all',
          export:
            (setup.clientGroups ?? 1) > 1 ? { set: { med: i % (setup.clientGroups ?? 1) } } : 'accept-all',
        })),
      ],
      fib: { kernel: { enabled: setup.installFib ?? false } },
      metrics: { listen: setup.agentMetricsListen ?? '' },
    },
    'warn',
    setup.agentNodeArgs ?? [],
  );
  await agent.start();
  const pid = agent.pid;
  if (pid === null) throw new Error('agent: no PID after start');
  const count = async (family: FamilyName) => {
    const body = await agent.get('/v1/rib/summary');
    const entry: unknown = typeof body === 'object' && body !== null ? Reflect.get(body, family) : undefined;
    const prefixes: unknown =
      typeof entry === 'object' && entry !== null ? Reflect.get(entry, 'prefixes') : undefined;
    if (typeof prefixes !== 'number') throw new Error(`agent: no ${family}.prefixes in /v1/rib/summary`);
    return prefixes;
  };
  return {
    name: 'agent',
    version: `agent ${await agentRevision()}`,
    pid,
    count,
    emptiness: count,
    async established() {
      return (await agent.neighborState(setup.neighbor)) === 'established';
    },
    controlText: 'GET /v1/neighbors (agentctl neighbor show)',
    async control() {
      await agent.get('/v1/neighbors');
    },
    async cli() {
      await runOk(
        [
          process.execPath,
          join(repositoryRoot(), 'bin', 'agentctl'),
          '--socket',
          agent.socket,
          'neighbor',
          'show',
        ],
        { timeoutMs: 120_000 },
      );
    },
    ...(setup.agentMetricsListen !== undefined
      ? { eventLoopDelayMaxMs: () => scrapeLoopDelayMs(setup.namespace, setup.agentMetricsListen ?? '') }
      : {}),
    running: () => agent.running(),
    logText: async () => agent.logText(),
    stop: () => agent.stop(),
  };
}

/**
 * One scrape of the agent's metrics from inside its namespace (a node
 * process there: the bench itself is outside): the longest event-loop delay
 * since the previous scrape, ms.
 */
async function scrapeLoopDelayMs(namespace: string, listen: string): Promise<number> {
  const script =
    `fetch('http://${listen}/metrics').then((r) => r.text())` +
    `.then((t) => process.stdout.write(t), (e) => { console.error(String(e)); process.exit(1); })`;
  const text = await execOk(namespace, [process.execPath, '-e', script], { timeoutMs: 30_000 });
  const line = text.split('\n').find((l) => l.startsWith('agent_event_loop_delay_max_seconds '));
  if (line === undefined)
    throw new Error(`agent metrics at ${listen}: no agent_event_loop_delay_max_seconds`);
  return Number(line.split(' ')[1]) * 1000;
}

/** The injector, then the route-reflector clients, as lab/peers neighbors. */
function peerNeighbors(setup: ReceiverSetup) {
  return [
    {
      address: setup.neighbor,
      asn: setup.asn,
      passive: true,
      holdTimeSeconds: setup.holdTimeSeconds,
      families: FAMILIES,
    },
    ...(setup.clients ?? []).map((address) => ({
      address,
      asn: setup.asn,
      passive: true,
      holdTimeSeconds: setup.clientHoldTimeSeconds ?? setup.holdTimeSeconds,
      families: FAMILIES,
      routeReflectorClient: true,
    })),
  ];
}

async function startGobgp(setup: ReceiverSetup): Promise<Receiver> {
  const peer: GobgpPeer = await startPeer({
    kind: 'gobgp',
    namespace: setup.namespace,
    stateDir: setup.stateDir,
    routerId: setup.routerId,
    asn: setup.asn,
    neighbors: peerNeighbors(setup),
  });
  const pid = peer.pids()[0];
  if (pid === undefined) throw new Error('gobgpd: no PID after start');
  const count = async (family: FamilyName) => {
    const out = await run(
      [
        'gobgp',
        '--target',
        `unix://${peer.socket}`,
        'global',
        'rib',
        'summary',
        '-a',
        family === 'ipv4-unicast' ? 'ipv4' : 'ipv6',
      ],
      { timeoutMs: 30_000 },
    );
    const match = /Destination:\s*(\d+)/.exec(out.stdout);
    if (out.code !== 0 || match === null)
      throw new Error(`gobgp global rib summary: ${out.stderr.trim() || out.stdout.trim()}`);
    return Number(match[1]);
  };
  return {
    name: 'gobgp',
    version: await peer.version(),
    pid,
    count,
    emptiness: count,
    async hasPrefix(family, prefix) {
      const out = await run(
        [
          'gobgp',
          '--target',
          `unix://${peer.socket}`,
          'global',
          'rib',
          '-a',
          family === 'ipv4-unicast' ? 'ipv4' : 'ipv6',
          prefix,
          '-j',
        ],
        { timeoutMs: 30_000 },
      );
      if (out.code !== 0) return false; // "Network not in table"
      const json: unknown = JSON.parse(out.stdout.trim() || '{}');
      const paths: unknown =
        typeof json === 'object' && json !== null ? Reflect.get(json, prefix) : undefined;
      return (
        Array.isArray(paths) &&
        paths.some((p) => typeof p === 'object' && p !== null && Reflect.get(p, 'best') === true)
      );
    },
    async established() {
      return (await peer.sessionState(setup.neighbor)) === 'established';
    },
    controlText: 'ListPeer (gRPC, what gobgp neighbor asks)',
    async control() {
      await gobgpListPeer(peer.socket, 120_000);
    },
    async cli() {
      await runOk(['gobgp', '--target', `unix://${peer.socket}`, 'neighbor'], { timeoutMs: 120_000 });
    },
    running: () => alive(pid),
    logText: () => peer.logText(),
    stop: () => peer.stop(),
  };
}

/** The "Routes: ... N preferred" count of each channel in `show protocols all` output. */
export function birdPreferred(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  let channel = '';
  for (const line of text.split('\n')) {
    const ch = /^\s*Channel (\S+)/.exec(line);
    if (ch) channel = ch[1] ?? '';
    const routes = /^\s*Routes:.*?(\d+) preferred/.exec(line);
    if (routes && channel) counts.set(channel, Number(routes[1]));
  }
  return counts;
}

async function startBird(setup: ReceiverSetup): Promise<Receiver> {
  const peer: BirdPeer = await startPeer({
    kind: 'bird',
    namespace: setup.namespace,
    stateDir: setup.stateDir,
    routerId: setup.routerId,
    asn: setup.asn,
    installFib: setup.installFib ?? false,
    neighbors: peerNeighbors(setup),
  });
  const pid = peer.pids()[0];
  if (pid === undefined) throw new Error('bird: no PID after start');
  return {
    name: 'bird',
    version: await peer.version(),
    pid,
    async count(family) {
      const out = await birdCommand(peer.socket, 'show protocols all n0');
      return birdPreferred(out).get(family === 'ipv4-unicast' ? 'ipv4' : 'ipv6') ?? 0;
    },
    async emptiness(family) {
      const table = family === 'ipv4-unicast' ? 'master4' : 'master6';
      const out = await birdCommand(peer.socket, `show route count table ${table}`, 60_000);
      const match = /(\d+) networks/.exec(out);
      if (match === null) throw new Error(`bird: show route count: ${out.trim().slice(0, 200)}`);
      return Number(match[1]);
    },
    async established() {
      return (await peer.sessionState(setup.neighbor)) === 'established';
    },
    controlText: 'show protocols (control socket)',
    async control() {
      await birdCommand(peer.socket, 'show protocols', 120_000);
    },
    async cli() {
      await runOk(['birdc', '-s', peer.socket, 'show', 'protocols'], { timeoutMs: 120_000 });
    },
    running: () => alive(pid),
    logText: () => peer.logText(),
    stop: () => peer.stop(),
  };
}

async function startFrr(setup: ReceiverSetup): Promise<Receiver> {
  const peer: FrrPeer = await startPeer({
    kind: 'frr',
    namespace: setup.namespace,
    stateDir: setup.stateDir,
    routerId: setup.routerId,
    asn: setup.asn,
    installFib: setup.installFib ?? false, // false: bgpd -n
    neighbors: peerNeighbors(setup),
  });
  const pid = peer.pids().find((p) => comm(p) === 'bgpd');
  if (pid === undefined) throw new Error('frr: no bgpd PID after start');
  const vty = join(setup.stateDir, 'bgpd.vty');
  return {
    name: 'frr',
    version: await peer.version(),
    pid,
    processes: () => peer.pids(),
    count: (family) => frrBestCount(vty, family, setup.neighbor),
    async emptiness(family) {
      const afi = family === 'ipv4-unicast' ? 'ipv4' : 'ipv6';
      const json: unknown = JSON.parse(await frrCommand(vty, `show bgp ${afi} unicast summary json`, 60_000));
      return numberField(json, 'ribCount') ?? 0;
    },
    async established() {
      return (await peer.sessionState(setup.neighbor)) === 'established';
    },
    controlText: "show bgp summary (bgpd's vty socket)",
    async control() {
      await frrCommand(vty, 'show bgp summary', 120_000);
    },
    async cli() {
      await runOk(['vtysh', '--vty_socket', setup.stateDir, '-c', 'show bgp summary'], {
        timeoutMs: 120_000,
      });
    },
    running: () => alive(pid),
    logText: () => peer.logText(),
    stop: () => peer.stop(),
  };
}

function numberField(value: unknown, ...path: string[]): number | undefined {
  let at = value;
  for (const key of path) at = typeof at === 'object' && at !== null ? Reflect.get(at, key) : undefined;
  return typeof at === 'number' ? at : undefined;
}

/**
 * FRR: best paths selected. `show bgp <afi> unicast summary json` has the
 * prefixes accepted from the neighbor (pfxRcd, counted when the UPDATE is
 * parsed) and the table version, which bgpd bumps once per destination whose
 * best path it has (re)selected in its route-processing work queue; during
 * a load it trails pfxRcd. A fresh bgpd starts at 0 and nothing else
 * changes, so min(pfxRcd, tableVersion) is the number of prefixes whose best
 * path is in the Loc-RIB.
 */
export async function frrBestCount(vty: string, family: FamilyName, neighbor: string): Promise<number> {
  const afi = family === 'ipv4-unicast' ? 'ipv4' : 'ipv6';
  const json: unknown = JSON.parse(await frrCommand(vty, `show bgp ${afi} unicast summary json`));
  const received = numberField(json, 'peers', neighbor, 'pfxRcd') ?? 0;
  const version = numberField(json, 'tableVersion') ?? 0;
  return Math.min(received, version);
}

export function startReceiver(name: ReceiverName, setup: ReceiverSetup): Promise<Receiver> {
  switch (name) {
    case 'agent':
      return startAgent(setup);
    case 'gobgp':
      return startGobgp(setup);
    case 'bird':
      return startBird(setup);
    case 'frr':
      return startFrr(setup);
  }
}
