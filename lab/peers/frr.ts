// FRR 8.4 (zebra + bgpd) as a lab peer. Both daemons run as the frr user
// (root fails the frrvty group check), so the state dir is chowned frr:frr.
// vty sockets live in the state dir: `vtysh --vty_socket DIR`.
// Routes are `network P route-map LAB-RT-n` (the route-map sets the
// attributes); `no bgp network import-check` lets them out without an IGP route.
import { chownSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from '../netns.js';
import { type ManagedProcess, startProcess } from '../process.js';
import {
  addressFamily,
  asArray,
  asNumber,
  asRecord,
  asString,
  BasePeer,
  connectRetry,
  field,
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
  parseJsonStream,
  readText,
  routeKey,
} from './common.js';
import type {
  Family,
  KernelRoute,
  PeerConfig,
  ReceivedRoute,
  RestartOptions,
  RouteConfig,
  SessionState,
} from './types.js';
import { UnsupportedError } from './types.js';

const AFI: Readonly<Record<Family, string>> = {
  'ipv4-unicast': 'ipv4 unicast',
  'ipv6-unicast': 'ipv6 unicast',
};

/** Route-map body (`set ...` lines) for a route; empty if the route has no attributes. */
export function frrRouteMapSets(route: RouteConfig): string[] {
  for (const f of ['atomicAggregate', 'aggregator', 'pathId', 'originatorId', 'clusterList'] as const) {
    if (route[f] !== undefined) throw new UnsupportedError('frr', `route attribute ${f}`);
  }
  const sets: string[] = [];
  if (route.origin) sets.push(`set origin ${route.origin}`);
  if (route.med !== undefined) sets.push(`set metric ${route.med}`);
  if (route.localPref !== undefined) sets.push(`set local-preference ${route.localPref}`);
  if (route.asPathPrepend?.length) sets.push(`set as-path prepend ${route.asPathPrepend.join(' ')}`);
  if (route.communities?.length)
    sets.push(`set community ${route.communities.map(numericCommunity).join(' ')}`);
  if (route.largeCommunities?.length) sets.push(`set large-community ${route.largeCommunities.join(' ')}`);
  const ext = (route.extendedCommunities ?? []).map(parseExtCommunity);
  const rts = ext.filter((e) => e.kind === 'rt').map((e) => `${e.global}:${e.local}`);
  const soos = ext.filter((e) => e.kind === 'soo').map((e) => `${e.global}:${e.local}`);
  if (rts.length) sets.push(`set extcommunity rt ${rts.join(' ')}`);
  if (soos.length) sets.push(`set extcommunity soo ${soos.join(' ')}`);
  if (route.nextHop) {
    sets.push(
      addressFamily(route.prefix) === 'ipv4-unicast'
        ? `set ip next-hop ${route.nextHop}`
        : `set ipv6 next-hop global ${route.nextHop}`,
    );
  }
  return sets;
}

/** bgpd.conf for a PeerConfig and the routes to announce (exported for unit tests). */
export function frrBgpdConfig(
  config: PeerConfig,
  routes: ReadonlyMap<string, { route: RouteConfig; map: string }>,
): string {
  const hostname = config.hostname ?? config.namespace;
  const L: string[] = [
    'frr defaults traditional',
    `hostname ${hostname}`,
    `log file ${join(config.stateDir, 'bgpd.log')} informational`,
    'log timestamp precision 3',
    '!',
  ];
  for (const { route, map } of routes.values()) {
    const sets = frrRouteMapSets(route);
    if (sets.length === 0) continue;
    L.push(`route-map ${map} permit 10`, ...sets.map((s) => ` ${s}`), 'exit', '!');
  }
  L.push(
    `router bgp ${config.asn}`,
    ` bgp router-id ${config.routerId}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
    ' no bgp default ipv4-unicast',
    ' bgp log-neighbor-changes',
  );
  if (config.neighbors.some((n) => n.routeReflectorClient))
    L.push(` bgp cluster-id ${config.clusterId ?? config.routerId}`);
  const gr = config.neighbors.find((n) => n.gracefulRestart)?.gracefulRestart;
  if (gr) L.push(` bgp graceful-restart restart-time ${gr.restartTimeSeconds}`);
  for (const n of config.neighbors) {
    if (n.asn4 === false) throw new UnsupportedError('frr', 'disabling 4-octet AS');
    if (n.extendedMessage === false) throw new UnsupportedError('frr', 'disabling extended messages');
    const a = n.address;
    L.push(` neighbor ${a} remote-as ${n.asn}`, ` neighbor ${a} timers ${keepaliveTime(n)} ${holdTime(n)}`);
    L.push(` neighbor ${a} timers connect ${connectRetry(n)}`);
    if (n.password) L.push(` neighbor ${a} password ${n.password}`);
    if (n.ttlSecurity) L.push(` neighbor ${a} ttl-security hops 1`);
    if (n.passive) L.push(` neighbor ${a} passive`);
    if (n.localAddress) L.push(` neighbor ${a} update-source ${n.localAddress}`);
    if (n.gracefulRestart) L.push(` neighbor ${a} graceful-restart`);
    // Single-hop BFD follows the BGP session (bgpd registers it with bfdd);
    // a multihop one is a plain bfdd peer (frrBfddConfig), BGP stays direct.
    if (n.bfd !== undefined && n.bfd.multihop !== true)
      L.push(` neighbor ${a} bfd`, ` neighbor ${a} bfd profile lab-n${config.neighbors.indexOf(n)}`);
  }
  for (const family of ['ipv4-unicast', 'ipv6-unicast'] as const) {
    const body: string[] = [];
    for (const n of config.neighbors) {
      if (!neighborFamilies(n).includes(family)) continue;
      const a = n.address;
      body.push(`  neighbor ${a} activate`);
      if (n.routeReflectorClient) body.push(`  neighbor ${a} route-reflector-client`);
      if (n.nextHopSelf) body.push(`  neighbor ${a} next-hop-self`);
      if (n.addPath === 'send' || n.addPath === 'both') body.push(`  neighbor ${a} addpath-tx-all-paths`);
      if (n.addPath === 'send') body.push(`  neighbor ${a} disable-addpath-rx`);
    }
    for (const { route, map } of routes.values()) {
      if (addressFamily(route.prefix) !== family) continue;
      body.push(`  network ${route.prefix}${frrRouteMapSets(route).length ? ` route-map ${map}` : ''}`);
    }
    for (const agg of config.aggregates ?? []) {
      if (addressFamily(agg.prefix) !== family) continue;
      body.push(
        `  aggregate-address ${agg.prefix}${agg.asSet ? ' as-set' : ''}${agg.summaryOnly ? ' summary-only' : ''}`,
      );
    }
    if (body.length) L.push(` address-family ${AFI[family]}`, ...body, ' exit-address-family');
  }
  L.push('exit', '!');
  return `${L.join('\n')}\n`;
}

/** bfdd.conf: one profile of timers per neighbor with BFD, and the multihop peers (exported for unit tests). */
export function frrBfddConfig(config: PeerConfig): string {
  const L = [`log file ${join(config.stateDir, 'bfdd.log')} informational`, 'bfd'];
  config.neighbors.forEach((n, i) => {
    if (n.bfd === undefined) return;
    L.push(
      ` profile lab-n${i}`,
      `  receive-interval ${n.bfd.minRxMs}`,
      `  transmit-interval ${n.bfd.minTxMs}`,
      `  detect-multiplier ${n.bfd.multiplier}`,
      ' exit',
    );
  });
  config.neighbors.forEach((n, i) => {
    if (n.bfd?.multihop !== true) return;
    if (n.localAddress === undefined) throw new Error('frr: a multihop BFD peer needs localAddress');
    L.push(` peer ${n.address} multihop local-address ${n.localAddress}`, `  profile lab-n${i}`, ' exit');
  });
  L.push('exit', '');
  return L.join('\n');
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), uid, gid);
}

/** One path of `show bgp <afi> unicast <prefix> json` as a ReceivedRoute (exported for unit tests). */
export function parseFrrPath(prefix: string, path: unknown): ReceivedRoute | undefined {
  const peerId = asString(field(path, 'peer', 'peerId'));
  if (!peerId || peerId === '0.0.0.0' || peerId === '::' || field(path, 'sourced') === true) return undefined;
  const asPath: number[] = [];
  for (const seg of asArray(field(path, 'aspath', 'segments'))) {
    for (const asn of asArray(field(seg, 'list'))) if (typeof asn === 'number') asPath.push(asn);
  }
  const nextHops = asArray(field(path, 'nexthops'))
    .map((nh) => asString(field(nh, 'ip')))
    .filter((ip): ip is string => ip !== undefined);
  const communities = asArray(field(path, 'community', 'list')).map((c) => normalizeCommunity(String(c)));
  const largeCommunities = asArray(field(path, 'largeCommunity', 'list')).map((c) =>
    normalizeLargeCommunity(String(c)),
  );
  const extText = asString(field(path, 'extendedCommunity', 'string')) ?? '';
  const extendedCommunities = extText
    .split(/\s+/)
    .filter(Boolean)
    .map((e) => normalizeExtCommunity(e.replace(/^RT:/i, 'rt:').replace(/^SoO:/i, 'soo:')));
  const med = asNumber(field(path, 'metric'));
  const localPref = asNumber(field(path, 'locPrf')) ?? asNumber(field(path, 'localpref'));
  const pathId = asNumber(field(path, 'remotePathId')) ?? asNumber(field(path, 'addpathRxId'));
  const originatorId = asString(field(path, 'originatorId'));
  // FRR 8.4 prints it as "clusterList": { "list": [...] }.
  const clusterList = asArray(field(path, 'clusterList', 'list') ?? field(path, 'cluster', 'list')).filter(
    (c): c is string => typeof c === 'string',
  );
  return {
    prefix,
    nextHop: nextHops[0] ?? '',
    nextHops,
    asPath,
    origin: normalizeOrigin(asString(field(path, 'origin')) ?? 'incomplete'),
    communities,
    largeCommunities,
    extendedCommunities,
    best: field(path, 'bestpath', 'overall') === true,
    fromNeighbor: peerId,
    ...(med !== undefined ? { med } : {}),
    ...(localPref !== undefined ? { localPref } : {}),
    ...(pathId ? { pathId } : {}),
    ...(originatorId ? { originatorId } : {}),
    ...(clusterList.length ? { clusterList } : {}),
  };
}

export class FrrPeer extends BasePeer {
  readonly kind = 'frr' as const;
  private zebra: ManagedProcess | undefined;
  private bgpd: ManagedProcess | undefined;
  private bfdd: ManagedProcess | undefined;
  private readonly maps = new Map<string, { route: RouteConfig; map: string }>();
  private mapCounter = 0;

  constructor(config: PeerConfig) {
    super(config);
    for (const [key, route] of this.routes) this.maps.set(key, { route, map: `LAB-RT-${this.mapCounter++}` });
  }

  /** Runs vtysh with each argument as one `-c` command; returns stdout. Throws if vtysh fails or prints `%` errors. */
  async vtysh(...commands: string[]): Promise<string> {
    const argv = ['vtysh', '--vty_socket', this.config.stateDir];
    for (const c of commands) argv.push('-c', c);
    const out = await runOk(argv, { timeoutMs: 30_000 });
    const errors = out.split('\n').filter((l) => /^% /.test(l) && !/^% Unknown command: end$/.test(l));
    if (errors.length > 0) throw new Error(`vtysh ${commands.join(' | ')}: ${errors.join('; ')}`);
    return out;
  }

  private writeConfigs(): void {
    const dir = this.config.stateDir;
    writeFileSync(
      join(dir, 'zebra.conf'),
      `hostname ${this.config.hostname ?? this.config.namespace}\nlog file ${join(dir, 'zebra.log')} informational\n`,
    );
    writeFileSync(join(dir, 'bgpd.conf'), frrBgpdConfig(this.config, this.maps));
    if (this.hasBfd) writeFileSync(join(dir, 'bfdd.conf'), frrBfddConfig(this.config));
    const { uid, gid } = frrIds();
    chownTree(dir, uid, gid);
  }

  async start(): Promise<void> {
    this.writeConfigs();
    const dir = this.config.stateDir;
    const zserv = join(dir, 'zserv.api');
    this.zebra = await startProcess({
      name: 'zebra',
      argv: [
        '/usr/lib/frr/zebra',
        '-f',
        join(dir, 'zebra.conf'),
        '-i',
        join(dir, 'zebra.pid'),
        '-z',
        zserv,
        '--vty_socket',
        dir,
        '-P',
        '0',
      ],
      stateDir: dir,
      namespace: this.config.namespace,
    });
    this.processes = [this.zebra];
    await this.waitFor('zebra socket', () => exists(zserv));
    if (this.hasBfd) await this.startBfdd();
    await this.startBgpd();
  }

  private get hasBfd(): boolean {
    return this.config.neighbors.some((n) => n.bfd !== undefined);
  }

  /** bfdd with its control socket in the state dir (the default /var/run/frr one would be shared by every lab). */
  private async startBfdd(): Promise<void> {
    const dir = this.config.stateDir;
    const argv = ['/usr/lib/frr/bfdd', '-f', join(dir, 'bfdd.conf'), '-i', join(dir, 'bfdd.pid')];
    argv.push(
      '-z',
      join(dir, 'zserv.api'),
      '--vty_socket',
      dir,
      '-P',
      '0',
      '--bfdctl',
      join(dir, 'bfdd.sock'),
    );
    this.bfdd = await startProcess({ name: 'bfdd', argv, stateDir: dir, namespace: this.config.namespace });
    this.processes = [this.zebra, this.bfdd].filter((p): p is ManagedProcess => p !== undefined);
    await this.waitFor('bfdd vty', async () => {
      try {
        await this.vtysh('show bfd peers json');
        return true;
      } catch {
        return false;
      }
    });
  }

  /** bfdd's view of the session with `peer`: up, down, init, ... or 'none'. */
  async bfdState(peer: string): Promise<string> {
    const list: unknown = JSON.parse(await this.vtysh('show bfd peers json'));
    const found = asArray(list).find((p) => asString(field(p, 'peer')) === peer);
    return asString(field(found, 'status')) ?? 'none';
  }

  /** bfdd's JSON for the session with `peer` (intervals, discriminators), or undefined. */
  async bfdPeer(peer: string): Promise<Record<string, unknown> | undefined> {
    const list: unknown = JSON.parse(await this.vtysh('show bfd peers json'));
    const found = asArray(list).find((p) => asString(field(p, 'peer')) === peer);
    return found === undefined ? undefined : asRecord(found);
  }

  private async startBgpd(): Promise<void> {
    const dir = this.config.stateDir;
    const argv = [
      '/usr/lib/frr/bgpd',
      '-f',
      join(dir, 'bgpd.conf'),
      '-i',
      join(dir, 'bgpd.pid'),
      '-z',
      join(dir, 'zserv.api'),
    ];
    argv.push('--vty_socket', dir, '-P', '0');
    if (!this.config.installFib) argv.push('-n');
    this.bgpd = await startProcess({ name: 'bgpd', argv, stateDir: dir, namespace: this.config.namespace });
    this.processes = [this.zebra, this.bfdd, this.bgpd].filter((p): p is ManagedProcess => p !== undefined);
    await this.waitFor('bgpd vty', async () => {
      try {
        await this.vtysh('show bgp summary json');
        return true;
      } catch {
        return false;
      }
    });
  }

  protected async queryVersion(): Promise<string> {
    const out = await this.vtysh('show version');
    const m = /FRRouting\s+(\S+)/.exec(out);
    return `FRR ${m?.[1] ?? out.trim()}`;
  }

  async sessionState(neighbor: string): Promise<SessionState> {
    const json: unknown = JSON.parse(await this.vtysh(`show bgp neighbors ${neighbor} json`));
    const state = asString(field(json, neighbor, 'bgpState'));
    return state ? normalizeState(state) : 'unknown';
  }

  async receivedRoutes(family: Family): Promise<ReceivedRoute[]> {
    const afi = AFI[family];
    const table: unknown = JSON.parse(await this.vtysh(`show bgp ${afi} json`));
    const prefixes = Object.entries(asRecord(field(table, 'routes')))
      .filter(([, paths]) => asArray(paths).some((p) => asString(field(p, 'peerId')) !== '(unspec)'))
      .map(([prefix]) => prefix);
    const routes: ReceivedRoute[] = [];
    for (let i = 0; i < prefixes.length; i += 100) {
      const chunk = prefixes.slice(i, i + 100);
      const out = await this.vtysh(...chunk.map((p) => `show bgp ${afi} ${p} json`));
      for (const detail of parseJsonStream(out)) {
        const prefix = asString(field(detail, 'prefix'));
        if (!prefix) continue;
        for (const path of asArray(field(detail, 'paths'))) {
          const route = parseFrrPath(prefix, path);
          if (route) routes.push(route);
        }
      }
    }
    return routes;
  }

  private configure(...commands: string[]): Promise<string> {
    return this.vtysh('configure terminal', ...commands, 'end');
  }

  async announce(route: RouteConfig): Promise<void> {
    const sets = frrRouteMapSets(route);
    const key = routeKey(route.prefix, route.pathId);
    if (this.maps.has(key)) await this.withdraw(route.prefix, route.pathId);
    const map = `LAB-RT-${this.mapCounter++}`;
    const cmds: string[] = [];
    if (sets.length) cmds.push(`route-map ${map} permit 10`, ...sets, 'exit');
    cmds.push(
      `router bgp ${this.config.asn}`,
      `address-family ${AFI[addressFamily(route.prefix)]}`,
      `network ${route.prefix}${sets.length ? ` route-map ${map}` : ''}`,
    );
    await this.configure(...cmds);
    this.routes.set(key, route);
    this.maps.set(key, { route, map });
  }

  async withdraw(prefix: string, pathId?: number): Promise<void> {
    const key = routeKey(prefix, pathId);
    const entry = this.maps.get(key);
    await this.configure(
      `router bgp ${this.config.asn}`,
      `address-family ${AFI[addressFamily(prefix)]}`,
      `no network ${prefix}`,
    );
    if (entry && frrRouteMapSets(entry.route).length) await this.configure(`no route-map ${entry.map}`);
    this.routes.delete(key);
    this.maps.delete(key);
  }

  /** `neighbor X shutdown message TEXT`: Cease/Administrative Shutdown with an RFC 8203 message. */
  async shutdownNeighbor(neighbor: string, message?: string): Promise<void> {
    await this.configure(
      `router bgp ${this.config.asn}`,
      `neighbor ${neighbor} shutdown${message ? ` message ${message}` : ''}`,
    );
  }

  async enableNeighbor(neighbor: string): Promise<void> {
    await this.configure(`router bgp ${this.config.asn}`, `no neighbor ${neighbor} shutdown`);
  }

  /** `clear bgp <afi> X soft in|out` per family: 'in' sends ROUTE-REFRESH (with BoRR/EoRR if enhanced refresh). */
  async softReset(neighbor: string, direction: 'in' | 'out'): Promise<void> {
    for (const family of neighborFamilies(this.neighbor(neighbor))) {
      await this.vtysh(`clear bgp ${AFI[family]} ${neighbor} soft ${direction}`);
    }
  }

  /**
   * Restarts bgpd only (zebra keeps running and, with graceful restart
   * negotiated, keeps bgpd's routes in the kernel until they are refreshed).
   * graceful: bgpd is SIGKILLed (no NOTIFICATION; the peer, if it negotiated
   * GR with `neighbor X graceful-restart`, keeps our routes as stale) and
   * started again. Otherwise SIGTERM (Cease to every peer) and start.
   * The config is rewritten first so routes announced at runtime survive.
   */
  async restart(options: RestartOptions): Promise<void> {
    this.writeConfigs();
    if (this.bgpd) await (options.graceful ? this.bgpd.kill() : this.bgpd.stop());
    await this.startBgpd();
  }

  override async kernelRoutes(): Promise<KernelRoute[]> {
    return kernelRoutesIn(this.config.namespace, 'bgp');
  }

  async logText(): Promise<string> {
    const dir = this.config.stateDir;
    const parts = await Promise.all(
      ['zebra.out', 'bgpd.out', 'bfdd.out', 'zebra.log', 'bgpd.log', 'bfdd.log'].map((f) =>
        readText(join(dir, f)),
      ),
    );
    return parts.join('');
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

let frrIdCache: { uid: number; gid: number } | undefined;
/** uid/gid of the frr user from /etc/passwd. */
function frrIds(): { uid: number; gid: number } {
  if (frrIdCache) return frrIdCache;
  const passwd = readFileSync('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((l) => l.startsWith('frr:'));
  const parts = line?.split(':');
  if (!parts || parts.length < 4) throw new Error('no frr user in /etc/passwd (is FRR installed?)');
  frrIdCache = { uid: Number(parts[2]), gid: Number(parts[3]) };
  return frrIdCache;
}
