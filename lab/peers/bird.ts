// BIRD 2 as a lab peer: `bird -f` with a control socket in the state dir.
// Our routes are `static` protocol routes (blackhole, or `via` the next hop)
// whose attributes are set in the route's own filter block; announce() and
// withdraw() rewrite the static protocols and run `birdc configure` (BGP
// protocols are unchanged, so sessions stay up). One `protocol bgp nN` per
// neighbor (N = index in config.neighbors).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from '../netns.js';
import { startProcess } from '../process.js';
import {
  addressFamily,
  BasePeer,
  connectRetry,
  holdTime,
  keepaliveTime,
  kernelRoutesIn,
  neighborFamilies,
  normalizeCommunity,
  normalizeExtCommunity,
  normalizeLargeCommunity,
  normalizeOrigin,
  normalizeState,
  numericCommunity,
  parseExtCommunity,
  readText,
  routeKey,
} from './common.js';
import type {
  Family,
  KernelRoute,
  NeighborConfig,
  Origin,
  PeerConfig,
  ReceivedRoute,
  RestartOptions,
  RouteConfig,
  SessionState,
} from './types.js';
import { UnsupportedError } from './types.js';

const ORIGIN: Readonly<Record<Origin, string>> = {
  igp: 'ORIGIN_IGP',
  egp: 'ORIGIN_EGP',
  incomplete: 'ORIGIN_INCOMPLETE',
};
const quote = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/** `route ...;` line of a static protocol for a route (exported for unit tests). */
export function birdStaticRoute(route: RouteConfig): string {
  for (const f of ['atomicAggregate', 'aggregator', 'pathId', 'originatorId', 'clusterList'] as const) {
    if (route[f] !== undefined) throw new UnsupportedError('bird', `route attribute ${f}`);
  }
  const stmts: string[] = [`bgp_origin = ${ORIGIN[route.origin ?? 'igp']};`];
  for (const c of route.communities ?? [])
    stmts.push(`bgp_community.add((${numericCommunity(c).replace(':', ',')}));`);
  for (const c of route.largeCommunities ?? [])
    stmts.push(`bgp_large_community.add((${normalizeLargeCommunity(c).replace(/:/g, ',')}));`);
  for (const c of route.extendedCommunities ?? []) {
    const e = parseExtCommunity(c);
    stmts.push(`bgp_ext_community.add((${e.kind === 'rt' ? 'rt' : 'ro'}, ${e.global}, ${e.local}));`);
  }
  if (route.med !== undefined) stmts.push(`bgp_med = ${route.med};`);
  if (route.localPref !== undefined) stmts.push(`bgp_local_pref = ${route.localPref};`);
  for (const asn of [...(route.asPathPrepend ?? [])].reverse()) stmts.push(`bgp_path.prepend(${asn});`);
  const dest = route.nextHop ? `via ${route.nextHop}` : 'blackhole';
  return `route ${route.prefix} ${dest} { ${stmts.join(' ')} };`;
}

function bgpProtocol(config: PeerConfig, n: NeighborConfig, index: number): string[] {
  const ibgp = n.asn === config.asn;
  const L = [`protocol bgp n${index} {`];
  L.push(
    `  local${n.localAddress ? ` ${n.localAddress}` : ''} as ${config.asn};`,
    `  neighbor ${n.address} as ${n.asn};`,
  );
  if (ibgp) L.push('  direct;');
  if (n.passive) L.push('  passive on;');
  if (n.password) L.push(`  password ${quote(n.password)};`);
  if (n.ttlSecurity) L.push('  ttl security on;');
  L.push(
    `  hold time ${holdTime(n)}; keepalive time ${keepaliveTime(n)};`,
    `  connect retry time ${connectRetry(n)}; connect delay time 1; error wait time 1, 5;`,
  );
  if (n.routeReflectorClient)
    L.push('  rr client;', `  rr cluster id ${config.clusterId ?? config.routerId};`);
  if (n.gracefulRestart)
    L.push('  graceful restart on;', `  graceful restart time ${n.gracefulRestart.restartTimeSeconds};`);
  if (n.extendedMessage) L.push('  enable extended messages on;');
  if (n.asn4 === false) L.push('  enable as4 off;');
  if (config.hostname) L.push('  advertise hostname on;');
  // BGP asks protocol bfd for a session to the neighbor and goes down with it.
  if (n.bfd !== undefined) {
    if (n.bfd.multihop === true) throw new UnsupportedError('bird', 'multihop BFD in the lab');
    L.push('  bfd on;');
  }
  for (const family of neighborFamilies(n)) {
    const ch = [
      'import all;',
      // our static routes, plus BGP routes (transit / reflection) except back to their source
      'export where source = RTS_STATIC || source = RTS_BGP;',
    ];
    if (n.nextHopSelf) ch.push('next hop self;');
    if (n.addPath)
      ch.push(`add paths ${n.addPath === 'send' ? 'tx' : n.addPath === 'receive' ? 'rx' : 'on'};`);
    L.push(`  ${family === 'ipv4-unicast' ? 'ipv4' : 'ipv6'} { ${ch.join(' ')} };`);
  }
  L.push('}');
  return L;
}

/** bird.conf for a PeerConfig and the routes to announce (exported for unit tests). */
export function birdConfig(config: PeerConfig, routes: readonly RouteConfig[]): string {
  if ((config.aggregates ?? []).length > 0) throw new UnsupportedError('bird', 'aggregate-address');
  const L = [
    `log ${quote(join(config.stateDir, 'bird.log'))} all;`,
    `router id ${config.routerId};`,
    `hostname ${quote(config.hostname ?? config.namespace)};`,
    'protocol device { scan time 10; }',
  ];
  if (config.installFib) {
    L.push(
      'protocol kernel kernel4 { ipv4 { import none; export where source = RTS_BGP; }; merge paths on; }',
      'protocol kernel kernel6 { ipv6 { import none; export where source = RTS_BGP; }; merge paths on; }',
    );
  }
  for (const family of ['ipv4-unicast', 'ipv6-unicast'] as const) {
    const v = family === 'ipv4-unicast' ? '4' : '6';
    L.push(`protocol static static${v} {`, `  ipv${v};`);
    for (const r of routes) if (addressFamily(r.prefix) === family) L.push(`  ${birdStaticRoute(r)}`);
    L.push('}');
  }
  // BIRD takes BFD timers per interface, not per neighbor: the first neighbor's apply.
  const bfd = config.neighbors.find((n) => n.bfd !== undefined)?.bfd;
  if (bfd !== undefined)
    L.push(
      'protocol bfd {',
      `  interface "*" { min rx interval ${bfd.minRxMs} ms; min tx interval ${bfd.minTxMs} ms; multiplier ${bfd.multiplier}; };`,
      '}',
    );
  config.neighbors.forEach((n, i) => {
    L.push(...bgpProtocol(config, n, i));
  });
  return `${L.join('\n')}\n`;
}

const BIRD_COMMUNITY = /\((\d+),\s*(\d+)\)/g;
const BIRD_LARGE = /\((\d+),\s*(\d+),\s*(\d+)\)/g;
const BIRD_EXT = /\((rt|ro|soo|generic|unknown \S+),\s*([\d.]+),\s*(\d+)\)/g;

/** Parses `birdc show route all` output; `protocols` maps protocol name -> neighbor address (exported for unit tests). */
export function parseBirdRoutes(text: string, protocols: ReadonlyMap<string, string>): ReceivedRoute[] {
  const routes: ReceivedRoute[] = [];
  let net = '';
  type Draft = {
    prefix: string;
    proto: string;
    best: boolean;
    nextHops: string[];
    via: string[];
    asPath: number[];
    origin: Origin;
    med?: number;
    localPref?: number;
    communities: string[];
    largeCommunities: string[];
    extendedCommunities: string[];
    originatorId?: string;
    clusterList?: string[];
  };
  let cur: Draft | undefined;
  const flush = () => {
    if (cur && protocols.has(cur.proto)) {
      const nextHops = cur.nextHops.length ? cur.nextHops : cur.via;
      const { proto, via: _via, nextHops: _nh, med, localPref, originatorId, clusterList, ...rest } = cur;
      routes.push({
        ...rest,
        nextHop: nextHops[0] ?? '',
        nextHops,
        fromNeighbor: protocols.get(proto) ?? proto,
        ...(med !== undefined ? { med } : {}),
        ...(localPref !== undefined ? { localPref } : {}),
        ...(originatorId ? { originatorId } : {}),
        ...(clusterList ? { clusterList } : {}),
      });
    }
    cur = undefined;
  };
  for (const line of text.split('\n')) {
    const head = /^(\S+)?\s+(\S+)\s+\[(\S+)(?:\s[^\]]*)?\](\s+\*)?\s+\(\d+(?:\/\d+)?\)/.exec(line);
    if (head && !line.startsWith('\t')) {
      flush();
      if (head[1]) net = head[1];
      cur = {
        prefix: net,
        proto: head[3] ?? '',
        best: Boolean(head[4]),
        nextHops: [],
        via: [],
        asPath: [],
        origin: 'incomplete',
        communities: [],
        largeCommunities: [],
        extendedCommunities: [],
      };
      continue;
    }
    if (!cur) continue;
    const t = line.trim();
    const [key, ...restParts] = t.split(':');
    const value = restParts.join(':').trim();
    if (t.startsWith('via ')) cur.via.push(t.split(/\s+/)[1] ?? '');
    else if (key === 'BGP.origin') cur.origin = normalizeOrigin(value);
    else if (key === 'BGP.as_path') cur.asPath = (value.match(/\d+/g) ?? []).map(Number);
    else if (key === 'BGP.next_hop') cur.nextHops = value.split(/\s+/).filter(Boolean);
    else if (key === 'BGP.med') cur.med = Number(value);
    else if (key === 'BGP.local_pref') cur.localPref = Number(value);
    else if (key === 'BGP.community') {
      for (const m of value.matchAll(BIRD_COMMUNITY))
        cur.communities.push(normalizeCommunity(`${m[1]}:${m[2]}`));
    } else if (key === 'BGP.large_community') {
      for (const m of value.matchAll(BIRD_LARGE)) cur.largeCommunities.push(`${m[1]}:${m[2]}:${m[3]}`);
    } else if (key === 'BGP.ext_community') {
      for (const m of value.matchAll(BIRD_EXT)) {
        const kind = m[1] === 'rt' ? 'rt' : m[1] === 'ro' || m[1] === 'soo' ? 'soo' : (m[1] ?? '');
        cur.extendedCommunities.push(normalizeExtCommunity(`${kind}:${m[2]}:${m[3]}`));
      }
    } else if (key === 'BGP.originator_id') cur.originatorId = value;
    else if (key === 'BGP.cluster_list') cur.clusterList = value.split(/\s+/).filter(Boolean);
  }
  flush();
  return routes;
}

export class BirdPeer extends BasePeer {
  readonly kind = 'bird' as const;
  readonly socket: string;
  readonly configFile: string;

  constructor(config: PeerConfig) {
    super(config);
    this.socket = join(config.stateDir, 'bird.ctl');
    this.configFile = join(config.stateDir, 'bird.conf');
  }

  /** birdc with one command (words joined by BIRD); returns stdout. */
  birdc(...words: string[]): Promise<string> {
    return runOk(['birdc', '-s', this.socket, ...words], { timeoutMs: 15_000 });
  }

  private protocolName(neighbor: string): string {
    const i = this.config.neighbors.findIndex((n) => n.address === neighbor);
    if (i < 0) throw new Error(`bird: no neighbor ${neighbor} configured`);
    return `n${i}`;
  }

  private writeConfig(): void {
    writeFileSync(this.configFile, birdConfig(this.config, this.currentRoutes()));
  }

  async start(recovering = false): Promise<void> {
    this.writeConfig();
    rmSync(this.socket, { force: true }); // left behind by a killed bird
    const dir = this.config.stateDir;
    const argv = ['bird', '-f', '-c', this.configFile, '-s', this.socket, '-P', join(dir, 'bird.pid')];
    if (recovering) argv.push('-R');
    const proc = await startProcess({ name: 'bird', argv, stateDir: dir, namespace: this.config.namespace });
    this.processes = [proc];
    await this.waitFor('bird control socket', async () => {
      try {
        return (await this.birdc('show', 'status')).includes('Daemon is up');
      } catch {
        return false;
      }
    });
  }

  protected async queryVersion(): Promise<string> {
    const out = await this.birdc('show', 'status');
    const m = /BIRD\s+(\d[\w.-]*)/.exec(out);
    return `BIRD ${m?.[1] ?? '?'}`;
  }

  async sessionState(neighbor: string): Promise<SessionState> {
    const out = await this.birdc('show', 'protocols', 'all', this.protocolName(neighbor));
    const m = /BGP state:\s+(\S+)/.exec(out);
    return m?.[1] ? normalizeState(m[1]) : 'idle';
  }

  /** protocol bfd's state of the session with `peer` (Up, Down, Init, AdminDown), or 'none'. */
  async bfdState(peer: string): Promise<string> {
    const out = await this.birdc('show', 'bfd', 'sessions');
    const line = out.split('\n').find((l) => l.trim().split(/\s+/)[0] === peer);
    return line?.trim().split(/\s+/)[2]?.toLowerCase() ?? 'none';
  }

  async receivedRoutes(family: Family): Promise<ReceivedRoute[]> {
    const table = family === 'ipv4-unicast' ? 'master4' : 'master6';
    const out = await this.birdc('show', 'route', 'all', 'table', table);
    const protocols = new Map(this.config.neighbors.map((n, i) => [`n${i}`, n.address] as const));
    return parseBirdRoutes(out, protocols);
  }

  private async reconfigure(): Promise<void> {
    this.writeConfig();
    const out = await this.birdc('configure');
    if (!/Reconfigur(ed|ation in progress)/.test(out)) throw new Error(`bird configure failed: ${out}`);
  }

  async announce(route: RouteConfig): Promise<void> {
    birdStaticRoute(route); // validate first
    this.routes.set(routeKey(route.prefix, route.pathId), route);
    await this.reconfigure();
  }

  async withdraw(prefix: string, pathId?: number): Promise<void> {
    this.routes.delete(routeKey(prefix, pathId));
    await this.reconfigure();
  }

  /** `birdc disable nN "message"`: Cease/Administrative Shutdown with an RFC 8203 message. */
  async shutdownNeighbor(neighbor: string, message?: string): Promise<void> {
    const words = ['disable', this.protocolName(neighbor)];
    if (message) words.push(quote(message));
    await this.birdc(...words);
  }

  async enableNeighbor(neighbor: string): Promise<void> {
    await this.birdc('enable', this.protocolName(neighbor));
  }

  /** `birdc reload in|out nN`: 'in' sends ROUTE-REFRESH. */
  async softReset(neighbor: string, direction: 'in' | 'out'): Promise<void> {
    await this.birdc('reload', direction, this.protocolName(neighbor));
  }

  /**
   * graceful: `birdc graceful restart` (BIRD exits without NOTIFICATIONs,
   * keeping kernel routes), then `bird -R` (graceful restart recovery;
   * the GR capability carries the Restart State bit). The peer must have
   * negotiated GR (`gracefulRestart` on both sides) to keep our routes.
   * Otherwise SIGTERM (Cease to every peer) and start.
   */
  async restart(options: RestartOptions): Promise<void> {
    const proc = this.processes[0];
    if (proc && options.graceful) {
      await this.birdc('graceful', 'restart');
      await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 5000))]);
      await proc.stop();
    } else if (proc) await proc.stop();
    await this.start(options.graceful);
  }

  override async kernelRoutes(): Promise<KernelRoute[]> {
    return kernelRoutesIn(this.config.namespace, 'bird');
  }

  async logText(): Promise<string> {
    const dir = this.config.stateDir;
    return (await readText(join(dir, 'bird.out'))) + (await readText(join(dir, 'bird.log')));
  }
}
