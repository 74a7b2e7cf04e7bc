// ExaBGP 4.2 as a lab peer. Its API process is a small Python helper
// (written to the state dir) that
//   - copies every JSON line ExaBGP writes to it (neighbor changes, received
//     OPEN/UPDATE/NOTIFICATION/ROUTE-REFRESH with raw bytes: `parsed; packets;
//     consolidate`) to rx.jsonl, and command acks ("done"/"error") to acks.log;
//   - copies commands written to the FIFO cmd.fifo to its stdout (ExaBGP's API).
// It keeps stdout open for its whole life (ExaBGP respawns helpers whose
// stdout closes, 5 times, then exits) and exits when ExaBGP closes its stdin.
// Session state and received routes are read back from rx.jsonl: ExaBGP's own
// JSON encoder is a BGP decoder independent of the others.
import { closeSync, constants, existsSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { run, runOk } from '../netns.js';
import { startProcess } from '../process.js';
import {
  addressFamily,
  asArray,
  asNumber,
  asRecord,
  asString,
  BasePeer,
  field,
  holdTime,
  interfaceAddressToward,
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
  sleep,
} from './common.js';
import type {
  Family,
  NeighborConfig,
  PeerConfig,
  ReceivedRoute,
  RestartOptions,
  RouteConfig,
  SessionState,
} from './types.js';
import { UnsupportedError } from './types.js';

const HELPER = `#!/usr/bin/env python3
# ExaBGP API helper (lab/peers/exabgp.ts): stdin (from exabgp) -> rx.jsonl / acks.log,
# FIFO (commands from the lab) -> stdout (to exabgp). Exits when exabgp closes stdin.
import os, sys, threading
fifo, rx, acks = sys.argv[1:4]
def reader():
    with open(rx, 'a', buffering=1) as jf, open(acks, 'a', buffering=1) as af:
        for line in sys.stdin:
            (jf if line.startswith('{') else af).write(line)
    os._exit(0)
threading.Thread(target=reader, daemon=True).start()
fd = os.open(fifo, os.O_RDWR)  # read-write: never sees EOF between writers
with os.fdopen(fd, 'r', buffering=1) as f:
    for line in f:
        line = line.strip()
        if line:
            sys.stdout.write(line + '\\n')
            sys.stdout.flush()
`;

const FAMILY_KEY: Readonly<Record<Family, string>> = {
  'ipv4-unicast': 'ipv4 unicast',
  'ipv6-unicast': 'ipv6 unicast',
};

/** ExaBGP route text after `route ` (static) or `announce route ` (API) (exported for unit tests). */
export function exabgpRoute(route: RouteConfig, selfNextHop?: string, ebgpLocalAs?: number): string {
  const p = [
    route.prefix,
    'next-hop',
    route.nextHop ?? selfNextHop ?? 'self',
    'origin',
    route.origin ?? 'igp',
  ];
  // ExaBGP sends a configured as-path as is: add our ASN in front on eBGP, like the other daemons do
  if (route.asPathPrepend?.length) {
    const path = ebgpLocalAs === undefined ? route.asPathPrepend : [ebgpLocalAs, ...route.asPathPrepend];
    p.push('as-path', `[ ${path.join(' ')} ]`);
  }
  if (route.med !== undefined) p.push('med', String(route.med));
  if (route.localPref !== undefined) p.push('local-preference', String(route.localPref));
  if (route.communities?.length)
    p.push('community', `[ ${route.communities.map(numericCommunity).join(' ')} ]`);
  if (route.largeCommunities?.length) {
    p.push(
      'large-community',
      `[ ${route.largeCommunities.map((c) => normalizeLargeCommunity(c)).join(' ')} ]`,
    );
  }
  if (route.extendedCommunities?.length) {
    const ext = route.extendedCommunities.map((c) => {
      const e = parseExtCommunity(c);
      return `${e.kind === 'rt' ? 'target' : 'origin'}:${e.global}:${e.local}`;
    });
    p.push('extended-community', `[ ${ext.join(' ')} ]`);
  }
  if (route.atomicAggregate) p.push('atomic-aggregate');
  if (route.aggregator) p.push('aggregator', `( ${route.aggregator.asn}:${route.aggregator.address} )`);
  if (route.originatorId) p.push('originator-id', route.originatorId);
  if (route.clusterList?.length) p.push('cluster-list', `[ ${route.clusterList.join(' ')} ]`);
  if (route.pathId !== undefined) p.push('path-information', String(route.pathId));
  return p.join(' ');
}

/** Per neighbor: our next hop for each family that is not the session's transport family. */
export type SelfNextHops = ReadonlyMap<string, Partial<Record<Family, string>>>;

function neighborBlock(
  config: PeerConfig,
  n: NeighborConfig,
  routes: readonly RouteConfig[],
  self: SelfNextHops,
): string[] {
  if (!n.localAddress) throw new Error(`exabgp: neighbor ${n.address} needs localAddress`);
  const families = neighborFamilies(n);
  const L = [`neighbor ${n.address} {`];
  L.push(`  router-id ${config.routerId};`, `  local-address ${n.localAddress};`);
  L.push(`  local-as ${config.asn};`, `  peer-as ${n.asn};`, `  hold-time ${holdTime(n)};`);
  L.push(`  host-name ${config.hostname ?? config.namespace};`);
  if (n.passive) L.push('  passive true;');
  if (n.password) L.push(`  md5-password "${n.password.replace(/"/g, '')}";`);
  if (n.ttlSecurity) {
    if (addressFamily(n.address) === 'ipv6-unicast') throw new UnsupportedError('exabgp', 'GTSM over IPv6');
    L.push('  outgoing-ttl 255;', '  incoming-ttl 255;');
  }
  if (n.routeReflectorClient || n.nextHopSelf)
    throw new UnsupportedError('exabgp', 'route reflection / next-hop-self');
  L.push(`  family { ${families.map((f) => `${FAMILY_KEY[f]};`).join(' ')} }`);
  const caps = ['route-refresh enable;'];
  if (n.asn4 === false) caps.push('asn4 disable;');
  if (n.addPath) caps.push(`add-path ${n.addPath === 'both' ? 'send/receive' : n.addPath};`);
  if (n.gracefulRestart) caps.push(`graceful-restart ${n.gracefulRestart.restartTimeSeconds};`);
  if (n.extendedMessage === false) caps.push('extended-message disable;');
  L.push(`  capability { ${caps.join(' ')} }`);
  if (n.addPath) L.push(`  add-path { ${families.map((f) => `${FAMILY_KEY[f]};`).join(' ')} }`);
  const mine = routes.filter((r) => families.includes(addressFamily(r.prefix)));
  const nh = (r: RouteConfig) => self.get(n.address)?.[addressFamily(r.prefix)];
  const ebgp = n.asn !== config.asn ? config.asn : undefined;
  if (mine.length)
    L.push('  static {', ...mine.map((r) => `    route ${exabgpRoute(r, nh(r), ebgp)};`), '  }');
  L.push(
    '  api {',
    '    processes [ lab ];',
    '    neighbor-changes;',
    '    receive { parsed; packets; consolidate; open; update; notification; refresh; }',
    '  }',
    '}',
  );
  return L;
}

/** exabgp.conf (exported for unit tests). */
export function exabgpConfig(
  config: PeerConfig,
  routes: readonly RouteConfig[],
  self: SelfNextHops = new Map(),
): string {
  if ((config.aggregates ?? []).length > 0) throw new UnsupportedError('exabgp', 'aggregate-address');
  const dir = config.stateDir;
  const L = [
    'process lab {',
    `  run /usr/bin/python3 ${join(dir, 'api.py')} ${join(dir, 'cmd.fifo')} ${join(dir, 'rx.jsonl')} ${join(dir, 'acks.log')};`,
    '  encoder json;',
    '}',
  ];
  for (const n of config.neighbors) L.push(...neighborBlock(config, n, routes, self));
  return `${L.join('\n')}\n`;
}

interface RibEntry {
  readonly route: ReceivedRoute;
}

/** Replays ExaBGP's JSON lines into session states and the received routes (exported for unit tests). */
export function replayExabgp(lines: readonly unknown[]): {
  states: Map<string, string>;
  rib: Map<string, RibEntry>;
} {
  const states = new Map<string, string>();
  const rib = new Map<string, RibEntry>();
  for (const msg of lines) {
    const type = asString(field(msg, 'type'));
    const peer = asString(field(msg, 'neighbor', 'address', 'peer')) ?? '';
    if (type === 'state') {
      const state = asString(field(msg, 'neighbor', 'state')) ?? 'unknown';
      states.set(peer, state);
      if (state === 'down') for (const [k, v] of rib) if (v.route.fromNeighbor === peer) rib.delete(k);
      continue;
    }
    if (type !== 'update' || field(msg, 'neighbor', 'direction') !== 'receive') continue;
    const update = field(msg, 'neighbor', 'message', 'update');
    for (const [fam, entries] of Object.entries(asRecord(field(update, 'withdraw')))) {
      for (const e of asArray(entries)) {
        const prefix = asString(field(e, 'nlri'));
        if (prefix) rib.delete(`${peer}|${fam}|${prefix}|${String(field(e, 'path-information') ?? '')}`);
      }
    }
    const attr = field(update, 'attribute');
    const asPath: number[] = [];
    for (const a of asArray(field(attr, 'as-path'))) if (typeof a === 'number') asPath.push(a);
    const asPathObj = asRecord(field(attr, 'as-path'));
    for (const seg of Object.values(asPathObj)) {
      for (const a of asArray(field(seg, 'value'))) if (typeof a === 'number') asPath.push(a);
    }
    const communities = asArray(field(attr, 'community')).map((c) => {
      const pair = asArray(c);
      return normalizeCommunity(`${String(pair[0])}:${String(pair[1])}`);
    });
    const largeCommunities = asArray(field(attr, 'large-community')).map((c) =>
      normalizeLargeCommunity(asArray(c).map((x) => Number(x))),
    );
    const extendedCommunities = asArray(field(attr, 'extended-community')).map((c) => {
      const s = asString(field(c, 'string')) ?? JSON.stringify(c);
      return normalizeExtCommunity(s.replace(/^target:/, 'rt:').replace(/^origin:/, 'soo:'));
    });
    const med = asNumber(field(attr, 'med'));
    const localPref = asNumber(field(attr, 'local-preference'));
    const originatorId = asString(field(attr, 'originator-id'));
    const clusterList = asArray(field(attr, 'cluster-list')).filter(
      (c): c is string => typeof c === 'string',
    );
    for (const [fam, byNextHop] of Object.entries(asRecord(field(update, 'announce')))) {
      for (const [nh, entries] of Object.entries(asRecord(byNextHop))) {
        for (const e of asArray(entries)) {
          const prefix = asString(field(e, 'nlri'));
          if (!prefix) continue;
          const pid = field(e, 'path-information');
          const pathId = typeof pid === 'string' ? ipv4ToNumber(pid) : asNumber(pid);
          const nextHops = nh.split(/[\s,]+/).filter(Boolean);
          const route: ReceivedRoute = {
            prefix,
            nextHop: nextHops[0] ?? '',
            nextHops,
            asPath,
            origin: normalizeOrigin(asString(field(attr, 'origin')) ?? 'incomplete'),
            communities,
            largeCommunities,
            extendedCommunities,
            best: true,
            fromNeighbor: peer,
            ...(med !== undefined ? { med } : {}),
            ...(localPref !== undefined ? { localPref } : {}),
            ...(pathId ? { pathId } : {}),
            ...(originatorId ? { originatorId } : {}),
            ...(clusterList.length ? { clusterList } : {}),
          };
          rib.set(`${peer}|${fam}|${prefix}|${String(pid ?? '')}`, { route });
        }
      }
    }
  }
  return { states, rib };
}

function ipv4ToNumber(s: string): number | undefined {
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export class ExabgpPeer extends BasePeer {
  readonly kind = 'exabgp' as const;
  readonly fifo: string;
  readonly rxFile: string;
  readonly ackFile: string;
  private selfNextHops = new Map<string, Partial<Record<Family, string>>>();

  constructor(config: PeerConfig) {
    super(config);
    this.fifo = join(config.stateDir, 'cmd.fifo');
    this.rxFile = join(config.stateDir, 'rx.jsonl');
    this.ackFile = join(config.stateDir, 'acks.log');
  }

  async start(): Promise<void> {
    const dir = this.config.stateDir;
    writeFileSync(join(dir, 'api.py'), HELPER, { mode: 0o755 });
    if (!existsSync(this.fifo)) await runOk(['mkfifo', '-m', '0600', this.fifo]);
    // ExaBGP's `next-hop self` is wrong for routes of the other family than
    // the session (0.0.0.0 / the router id): use our address on that link.
    for (const n of this.config.neighbors) {
      const hops: Partial<Record<Family, string>> = {};
      for (const family of neighborFamilies(n)) {
        if (family === addressFamily(n.address)) continue;
        const a = await interfaceAddressToward(this.config.namespace, n.address, family);
        if (a) hops[family] = a;
      }
      this.selfNextHops.set(n.address, hops);
    }
    writeFileSync(
      join(dir, 'exabgp.conf'),
      exabgpConfig(this.config, this.currentRoutes(), this.selfNextHops),
    );
    const bind =
      this.config.listenAddress ??
      this.config.neighbors
        .filter((n) => n.passive)
        .map((n) => n.localAddress ?? '')
        .join(' ');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      'exabgp.daemon.user': 'root',
      'exabgp.daemon.daemonize': 'false',
      'exabgp.api.cli': 'false',
      'exabgp.api.ack': 'true',
      'exabgp.log.destination': join(dir, 'exabgp.log'),
      'exabgp.tcp.bind': bind,
      'exabgp.tcp.port': '179',
    };
    const proc = await startProcess({
      name: 'exabgp',
      argv: ['exabgp', join(dir, 'exabgp.conf')],
      stateDir: dir,
      namespace: this.config.namespace,
      env,
    });
    this.processes = [proc];
    // ready once the helper has the FIFO open for reading
    await this.waitFor('exabgp API helper', () => canOpenFifo(this.fifo), 15_000);
  }

  /** Sends API commands (one per line) and waits for ExaBGP's acks; throws on an "error" ack. */
  async command(...commands: string[]): Promise<void> {
    const before = (await readText(this.ackFile)).split('\n').filter(Boolean).length;
    for (const c of commands) await writeFifo(this.fifo, `${c}\n`);
    let acks: string[] = [];
    await this.waitFor(
      `acks for ${commands.join(' | ')}`,
      async () => {
        acks = (await readText(this.ackFile)).split('\n').filter(Boolean).slice(before);
        return acks.length >= commands.length;
      },
      15_000,
    );
    if (acks.some((a) => a.trim() !== 'done'))
      throw new Error(`exabgp: ${commands.join(' | ')} -> ${acks.join(' ')}`);
  }

  /** Every JSON object ExaBGP wrote to the API (rx.jsonl). */
  async rxMessages(): Promise<unknown[]> {
    const text = await readText(this.rxFile);
    const out: unknown[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // a line being written: skip
      }
    }
    return out;
  }

  protected async queryVersion(): Promise<string> {
    const out = await run(['exabgp', '--version']);
    const m = /ExaBGP\s*:\s*(\S+)/.exec(out.stdout + out.stderr);
    return `ExaBGP ${m?.[1] ?? '?'}`;
  }

  async sessionState(neighbor: string): Promise<SessionState> {
    this.neighbor(neighbor);
    const { states } = replayExabgp(await this.rxMessages());
    const s = states.get(neighbor);
    return s ? normalizeState(s) : 'idle';
  }

  async receivedRoutes(family: Family): Promise<ReceivedRoute[]> {
    const { rib } = replayExabgp(await this.rxMessages());
    return [...rib.values()].map((e) => e.route).filter((r) => addressFamily(r.prefix) === family);
  }

  /** `neighbor X <verb> route ...` for every neighbor that carries the route's family. */
  private routeCommands(verb: 'announce' | 'withdraw', route: RouteConfig): string[] {
    const family = addressFamily(route.prefix);
    return this.config.neighbors
      .filter((n) => neighborFamilies(n).includes(family))
      .map((n) => {
        const ebgp = n.asn !== this.config.asn ? this.config.asn : undefined;
        const nh = this.selfNextHops.get(n.address)?.[family];
        return `neighbor ${n.address} ${verb} route ${exabgpRoute(route, nh, ebgp)}`;
      });
  }

  async announce(route: RouteConfig): Promise<void> {
    await this.command(...this.routeCommands('announce', route));
    this.routes.set(routeKey(route.prefix, route.pathId), route);
  }

  async withdraw(prefix: string, pathId?: number): Promise<void> {
    const route = this.routes.get(routeKey(prefix, pathId)) ?? {
      prefix,
      ...(pathId !== undefined ? { pathId } : {}),
    };
    await this.command(...this.routeCommands('withdraw', route));
    this.routes.delete(routeKey(prefix, pathId));
  }

  /** `neighbor X teardown 2`: Cease/Administrative Shutdown (ExaBGP sends no RFC 8203 text, and reconnects later). */
  async shutdownNeighbor(neighbor: string, _message?: string): Promise<void> {
    await this.command(`neighbor ${neighbor} teardown 2`);
  }

  /** ExaBGP reconnects on its own after a teardown: nothing to do. */
  async enableNeighbor(neighbor: string): Promise<void> {
    this.neighbor(neighbor);
  }

  /** 'in': `neighbor X announce route-refresh <afi> unicast` (a ROUTE-REFRESH per family). 'out' is unsupported. */
  async softReset(neighbor: string, direction: 'in' | 'out'): Promise<void> {
    if (direction === 'out') throw new UnsupportedError('exabgp', 'soft reset out');
    for (const family of neighborFamilies(this.neighbor(neighbor))) {
      await this.command(`neighbor ${neighbor} announce route-refresh ${FAMILY_KEY[family]}`);
    }
  }

  /**
   * ExaBGP has no restarting-speaker mode: graceful = SIGKILL (no
   * NOTIFICATION; a peer that negotiated GR keeps our routes as stale) and
   * start again with the same config and current routes (the GR capability
   * is re-advertised; ExaBGP sets its Restart State bit in every OPEN anyway).
   * Otherwise SIGTERM and start (with GR configured ExaBGP closes without NOTIFICATION).
   */
  async restart(options: RestartOptions): Promise<void> {
    const proc = this.processes[0];
    if (proc) await (options.graceful ? proc.kill() : proc.stop());
    await this.start();
  }

  async logText(): Promise<string> {
    const dir = this.config.stateDir;
    return (await readText(join(dir, 'exabgp.out'))) + (await readText(join(dir, 'exabgp.log')));
  }
}

function canOpenFifo(path: string): boolean {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    return true;
  } catch {
    return false; // ENXIO: no reader yet
  }
}

async function writeFifo(path: string, text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  const buf = Buffer.from(text);
  for (;;) {
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
      let off = 0;
      while (off < buf.length) {
        try {
          off += writeSync(fd, buf, off);
        } catch (e) {
          if (e instanceof Error && 'code' in e && e.code === 'EAGAIN' && Date.now() < deadline)
            await sleep(10);
          else throw e;
        }
      }
      return;
    } catch (e) {
      if (!(e instanceof Error && 'code' in e && e.code === 'ENXIO') || Date.now() > deadline) throw e;
      await sleep(50);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}
