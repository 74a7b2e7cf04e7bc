// gobgpd 3.x as a lab peer: TOML config, gRPC API on a unix socket in the
// state dir, `gobgp --target unix://...` as the CLI. gobgpd has no FIB code.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, runOk } from '../netns.js';
import { startProcess } from '../process.js';
import {
  addressFamily,
  asArray,
  asNumber,
  asString,
  BasePeer,
  connectRetry,
  field,
  holdTime,
  interfaceAddressToward,
  keepaliveTime,
  neighborFamilies,
  normalizeCommunity,
  normalizeExtCommunity,
  normalizeLargeCommunity,
  normalizeOrigin,
  normalizeState,
  numericCommunity,
  readText,
  routeKey,
} from './common.js';
import type {
  Family,
  PeerConfig,
  ReceivedRoute,
  RestartOptions,
  RouteConfig,
  SessionState,
} from './types.js';
import { UnsupportedError } from './types.js';

const toml = (s: string) => JSON.stringify(s);

/** gobgpd.toml for a PeerConfig (exported for unit tests). */
export function gobgpConfig(config: PeerConfig): string {
  const lines: string[] = [
    '[global.config]',
    `  as = ${config.asn}`,
    `  router-id = ${toml(config.routerId)}`,
  ];
  if (config.listenAddress) lines.push(`  local-address-list = [${toml(config.listenAddress)}]`);
  const needsNhs = config.neighbors.some((n) => n.nextHopSelf);
  for (const n of config.neighbors) {
    if (n.extendedMessage) throw new UnsupportedError('gobgp', 'extended messages (RFC 8654)');
    if (n.asn4 === false) throw new UnsupportedError('gobgp', 'disabling 4-octet AS');
    lines.push(
      '',
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = ${toml(n.address)}`,
      `    peer-as = ${n.asn}`,
    );
    if (n.password) lines.push(`    auth-password = ${toml(n.password)}`);
    lines.push(
      '  [neighbors.timers.config]',
      `    connect-retry = ${connectRetry(n)}`,
      `    hold-time = ${holdTime(n)}`,
      `    keepalive-interval = ${keepaliveTime(n)}`,
      `    idle-hold-time-after-reset = 1`,
    );
    lines.push('  [neighbors.transport.config]');
    if (n.localAddress) lines.push(`    local-address = ${toml(n.localAddress)}`);
    if (n.passive) lines.push('    passive-mode = true');
    if (n.ttlSecurity)
      lines.push('  [neighbors.ttl-security.config]', '    enabled = true', '    ttl-min = 255');
    if (n.routeReflectorClient) {
      lines.push(
        '  [neighbors.route-reflector.config]',
        '    route-reflector-client = true',
        `    route-reflector-cluster-id = ${toml(config.clusterId ?? config.routerId)}`,
      );
    }
    if (n.gracefulRestart) {
      lines.push(
        '  [neighbors.graceful-restart.config]',
        '    enabled = true',
        `    restart-time = ${n.gracefulRestart.restartTimeSeconds}`,
      );
    }
    if (n.nextHopSelf) {
      lines.push(
        '  [neighbors.apply-policy.config]',
        '    export-policy-list = ["lab-next-hop-self"]',
        '    default-export-policy = "accept-route"',
      );
    }
    for (const family of neighborFamilies(n)) {
      lines.push(
        '  [[neighbors.afi-safis]]',
        '    [neighbors.afi-safis.config]',
        `      afi-safi-name = ${toml(family)}`,
      );
      if (n.gracefulRestart)
        lines.push('    [neighbors.afi-safis.mp-graceful-restart.config]', '      enabled = true');
      if (n.addPath) {
        lines.push('    [neighbors.afi-safis.add-paths.config]');
        if (n.addPath !== 'send') lines.push('      receive = true');
        if (n.addPath !== 'receive') lines.push('      send-max = 8');
      }
    }
  }
  if (needsNhs) {
    lines.push(
      '',
      '[[policy-definitions]]',
      '  name = "lab-next-hop-self"',
      '  [[policy-definitions.statements]]',
      '    name = "nhs"',
      '    [policy-definitions.statements.actions]',
      '      route-disposition = "accept-route"',
      '      [policy-definitions.statements.actions.bgp-actions]',
      '        set-next-hop = "self"',
    );
  }
  if ((config.aggregates ?? []).length > 0) throw new UnsupportedError('gobgp', 'aggregate-address');
  return `${lines.join('\n')}\n`;
}

/** `gobgp global rib add` arguments for a route (exported for unit tests). */
export function gobgpRouteArgs(route: RouteConfig): string[] {
  for (const f of ['extendedCommunities', 'atomicAggregate', 'originatorId', 'clusterList'] as const) {
    if (route[f] !== undefined) throw new UnsupportedError('gobgp', `route attribute ${f}`);
  }
  const args = [route.prefix];
  if (route.pathId !== undefined) args.push('identifier', String(route.pathId));
  args.push('origin', route.origin ?? 'igp');
  if (route.asPathPrepend?.length) args.push('aspath', route.asPathPrepend.join(','));
  if (route.nextHop) args.push('nexthop', route.nextHop);
  if (route.med !== undefined) args.push('med', String(route.med));
  if (route.localPref !== undefined) args.push('local-pref', String(route.localPref));
  if (route.communities?.length) args.push('community', route.communities.map(numericCommunity).join(','));
  if (route.largeCommunities?.length) args.push('large-community', route.largeCommunities.join(','));
  if (route.aggregator) args.push('aggregator', `${route.aggregator.asn}:${route.aggregator.address}`);
  return args;
}

const GOBGP_STATES: Readonly<Record<number, SessionState>> = {
  1: 'idle',
  2: 'connect',
  3: 'active',
  4: 'opensent',
  5: 'openconfirm',
  6: 'established',
};

/** Parses `gobgp global rib -a <afi> -j` (exported for unit tests). */
export function parseGobgpRib(json: unknown): ReceivedRoute[] {
  const routes: ReceivedRoute[] = [];
  if (typeof json !== 'object' || json === null) return routes;
  for (const [prefix, paths] of Object.entries(json)) {
    for (const path of asArray(paths)) {
      const from = asString(field(path, 'neighbor-ip'));
      if (!from) continue; // locally originated
      let origin: ReceivedRoute['origin'] = 'incomplete';
      const asPath: number[] = [];
      const nextHops: string[] = [];
      const communities: string[] = [];
      const largeCommunities: string[] = [];
      const extendedCommunities: string[] = [];
      let med: number | undefined;
      let localPref: number | undefined;
      let originatorId: string | undefined;
      let clusterList: string[] | undefined;
      for (const attr of asArray(field(path, 'attrs'))) {
        switch (asNumber(field(attr, 'type'))) {
          case 1:
            origin = normalizeOrigin(asNumber(field(attr, 'value')) ?? 2);
            break;
          case 2:
            for (const seg of asArray(field(attr, 'as_paths'))) {
              for (const asn of asArray(field(seg, 'asns'))) if (typeof asn === 'number') asPath.push(asn);
            }
            break;
          case 3: {
            const nh = asString(field(attr, 'nexthop'));
            if (nh) nextHops.push(nh);
            break;
          }
          case 4:
            med = asNumber(field(attr, 'metric'));
            break;
          case 5:
            localPref = asNumber(field(attr, 'value'));
            break;
          case 8:
            for (const c of asArray(field(attr, 'communities')))
              if (typeof c === 'number') communities.push(normalizeCommunity(c));
            break;
          case 9:
            originatorId = asString(field(attr, 'value'));
            break;
          case 10:
            clusterList = asArray(field(attr, 'value')).filter((v): v is string => typeof v === 'string');
            break;
          case 14: {
            const nh = asString(field(attr, 'nexthop'));
            if (nh) nextHops.push(nh);
            const ll = asString(field(attr, 'linklocal_nexthop'));
            if (ll) nextHops.push(ll);
            break;
          }
          case 16:
            for (const e of asArray(field(attr, 'value'))) {
              const sub = asNumber(field(e, 'subtype'));
              const asn = asNumber(field(e, 'as')) ?? asString(field(e, 'ipv4'));
              const local = asNumber(field(e, 'local_admin'));
              if (asn !== undefined && local !== undefined && (sub === 2 || sub === 3)) {
                extendedCommunities.push(`${sub === 2 ? 'rt' : 'soo'}:${asn}:${local}`);
              } else extendedCommunities.push(normalizeExtCommunity(JSON.stringify(e)));
            }
            break;
          case 32:
            for (const l of asArray(field(attr, 'value'))) {
              const g = asNumber(field(l, 'ASN'));
              const d1 = asNumber(field(l, 'LocalData1'));
              const d2 = asNumber(field(l, 'LocalData2'));
              if (g !== undefined && d1 !== undefined && d2 !== undefined)
                largeCommunities.push(normalizeLargeCommunity([g, d1, d2]));
            }
            break;
          default:
            break;
        }
      }
      const pathId = asNumber(field(path, 'id'));
      routes.push({
        prefix,
        nextHop: nextHops[0] ?? '',
        nextHops,
        asPath,
        origin,
        communities,
        largeCommunities,
        extendedCommunities,
        best: field(path, 'best') === true,
        fromNeighbor: from,
        ...(med !== undefined ? { med } : {}),
        ...(localPref !== undefined ? { localPref } : {}),
        ...(pathId ? { pathId } : {}),
        ...(originatorId ? { originatorId } : {}),
        ...(clusterList ? { clusterList } : {}),
      });
    }
  }
  return routes;
}

export class GobgpPeer extends BasePeer {
  readonly kind = 'gobgp' as const;
  readonly socket: string;
  readonly configFile: string;

  constructor(config: PeerConfig) {
    super(config);
    this.socket = join(config.stateDir, 'gobgp.sock');
    this.configFile = join(config.stateDir, 'gobgpd.toml');
  }

  /** Runs the gobgp CLI against this daemon; returns stdout. */
  cli(...args: string[]): Promise<string> {
    return runOk(['gobgp', '--target', `unix://${this.socket}`, ...args], { timeoutMs: 15_000 });
  }

  async start(restarting = false): Promise<void> {
    writeFileSync(this.configFile, gobgpConfig(this.config));
    rmSync(this.socket, { force: true }); // left behind by a SIGKILLed gobgpd
    const argv = [
      'gobgpd',
      '-f',
      this.configFile,
      '--api-hosts',
      `unix://${this.socket}`,
      '--pprof-disable',
      '-p',
      '-l',
      'info',
    ];
    if (restarting) argv.push('-r');
    const proc = await startProcess({
      name: 'gobgpd',
      argv,
      stateDir: this.config.stateDir,
      namespace: this.config.namespace,
    });
    this.processes = [proc];
    await this.waitFor(
      'gobgpd API',
      async () =>
        (await run(['gobgp', '--target', `unix://${this.socket}`, 'global'], { timeoutMs: 3000 })).code === 0,
    );
    const routes = this.currentRoutes();
    for (let i = 0; i < routes.length; i += 16)
      await Promise.all(routes.slice(i, i + 16).map((r) => this.addRoute(r)));
  }

  protected async queryVersion(): Promise<string> {
    const out = await runOk(['gobgpd', '--version']);
    return `gobgpd ${out.replace(/^.*version\s+/i, '').trim()}`;
  }

  async sessionState(neighbor: string): Promise<SessionState> {
    const out = await this.cli('neighbor', neighbor, '-j');
    const state = field(JSON.parse(out), 'state', 'session_state');
    if (typeof state === 'number') return GOBGP_STATES[state] ?? 'unknown';
    if (typeof state === 'string') return normalizeState(state.replace(/^SESSION_STATE_/, ''));
    return 'idle';
  }

  async receivedRoutes(family: Family): Promise<ReceivedRoute[]> {
    const out = await this.cli('global', 'rib', '-a', family === 'ipv4-unicast' ? 'ipv4' : 'ipv6', '-j');
    return parseGobgpRib(out.trim() ? JSON.parse(out) : {});
  }

  private async addRoute(route: RouteConfig): Promise<void> {
    const family = addressFamily(route.prefix);
    let withNextHop = route;
    if (!route.nextHop) {
      // gobgpd would send an IPv4-mapped (or IPv4) next hop for a route of the
      // other family than the session: use our address on that link instead.
      const n = this.config.neighbors.find(
        (x) => neighborFamilies(x).includes(family) && addressFamily(x.address) !== family,
      );
      const nextHop = n ? await interfaceAddressToward(this.config.namespace, n.address, family) : undefined;
      if (nextHop) withNextHop = { ...route, nextHop };
    }
    await this.cli(
      'global',
      'rib',
      '-a',
      family === 'ipv4-unicast' ? 'ipv4' : 'ipv6',
      'add',
      ...gobgpRouteArgs(withNextHop),
    );
  }

  async announce(route: RouteConfig): Promise<void> {
    gobgpRouteArgs(route); // validate before changing state
    const key = routeKey(route.prefix, route.pathId);
    if (this.routes.has(key)) await this.withdraw(route.prefix, route.pathId);
    await this.addRoute(route);
    this.routes.set(key, route);
  }

  async withdraw(prefix: string, pathId?: number): Promise<void> {
    const args = [
      'global',
      'rib',
      '-a',
      addressFamily(prefix) === 'ipv4-unicast' ? 'ipv4' : 'ipv6',
      'del',
      prefix,
    ];
    if (pathId !== undefined) args.push('identifier', String(pathId));
    await this.cli(...args);
    this.routes.delete(routeKey(prefix, pathId));
  }

  /**
   * Without a message `gobgp neighbor X disable` (Cease/Administrative
   * Shutdown, no data). With one, the deprecated `gobgp neighbor X shutdown
   * --reason TEXT`: gobgp 3.10's `disable` ignores --reason, `shutdown`
   * sends it as the RFC 8203 shutdown communication. Both leave the peer
   * administratively down until enableNeighbor().
   */
  async shutdownNeighbor(neighbor: string, message?: string): Promise<void> {
    if (message) await this.cli('neighbor', neighbor, 'shutdown', '--reason', message);
    else await this.cli('neighbor', neighbor, 'disable');
  }

  async enableNeighbor(neighbor: string): Promise<void> {
    await this.cli('neighbor', neighbor, 'enable');
  }

  /**
   * `gobgp neighbor X softresetin|softresetout`. Note: gobgpd 3.10 keeps the
   * Adj-RIB-In and re-applies its policies on softresetin; it sends no
   * ROUTE-REFRESH (verified: the peer's routeRefreshRecv counter stays 0).
   */
  async softReset(neighbor: string, direction: 'in' | 'out'): Promise<void> {
    await this.cli('neighbor', neighbor, direction === 'in' ? 'softresetin' : 'softresetout');
  }

  /**
   * graceful: SIGKILL gobgpd (no NOTIFICATION, so a peer that negotiated
   * graceful restart keeps our routes as stale), then start it again with
   * `-r` (Restart State bit set in the GR capability) and re-add our routes.
   * Otherwise SIGTERM (gobgpd sends Cease) and start again.
   */
  async restart(options: RestartOptions): Promise<void> {
    const proc = this.processes[0];
    if (proc) await (options.graceful ? proc.kill() : proc.stop());
    await this.start(options.graceful);
  }

  async logText(): Promise<string> {
    return readText(join(this.config.stateDir, 'gobgpd.out'));
  }
}
