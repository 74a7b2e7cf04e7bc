// Shared helpers for the peer modules: community normalisation, address
// families, JSON helpers, and the base class with what every daemon shares.
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { execOk } from '../netns.js';
import type { ManagedProcess } from '../process.js';
import type {
  Family,
  KernelRoute,
  NeighborConfig,
  Origin,
  PeerConfig,
  PeerKind,
  ReceivedRoute,
  RestartOptions,
  RouteConfig,
  RunningPeer,
  SessionState,
} from './types.js';
import { UnsupportedError } from './types.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const WELL_KNOWN: ReadonlyArray<readonly [string, number]> = [
  ['graceful-shutdown', 0xffff0000],
  ['accept-own', 0xffff0001],
  ['llgr-stale', 0xffff0006],
  ['no-llgr', 0xffff0007],
  ['blackhole', 0xffff029a],
  ['no-export', 0xffffff01],
  ['no-advertise', 0xffffff02],
  ['no-export-subconfed', 0xffffff03],
  ['no-peer', 0xffffff04],
];
const ALIASES: Readonly<Record<string, string>> = {
  noexport: 'no-export',
  noadvertise: 'no-advertise',
  noexportsubconfed: 'no-export-subconfed',
  localas: 'no-export-subconfed',
  'local-as': 'no-export-subconfed',
  nopeer: 'no-peer',
  gracefulshutdown: 'graceful-shutdown',
  acceptown: 'accept-own',
  llgrstale: 'llgr-stale',
  nollgr: 'no-llgr',
};

/** Community as a 32-bit number ('64512:100', 'blackhole', 'noExport', '(64512,100)', 4227858532). */
export function communityValue(c: string | number): number {
  if (typeof c === 'number') return c >>> 0;
  const s = c.trim();
  const m = /^\(?\s*(\d+)\s*[:,]\s*(\d+)\s*\)?$/.exec(s);
  if (m) {
    const hi = Number(m[1]);
    const lo = Number(m[2]);
    if (hi > 0xffff || lo > 0xffff) throw new Error(`bad community ${c}`);
    return ((hi << 16) | lo) >>> 0;
  }
  if (/^\d+$/.test(s)) return Number(s) >>> 0;
  const lower = s.toLowerCase().replace(/_/g, '-');
  const name = ALIASES[lower.replace(/-/g, '')] ?? ALIASES[lower] ?? lower;
  const known = WELL_KNOWN.find(([n]) => n === name);
  if (!known) throw new Error(`unknown community ${c}`);
  return known[1];
}

/** Canonical text: the well-known name if there is one, else 'a:b'. */
export function normalizeCommunity(c: string | number): string {
  const v = communityValue(c);
  const known = WELL_KNOWN.find(([, n]) => n === v);
  return known ? known[0] : `${v >>> 16}:${v & 0xffff}`;
}

/** 'a:b' numeric form (what every daemon accepts). */
export function numericCommunity(c: string): string {
  const v = communityValue(c);
  return `${v >>> 16}:${v & 0xffff}`;
}

/** '(64512, 1, 2)', '64512:1:2', [64512,1,2] -> '64512:1:2'. */
export function normalizeLargeCommunity(c: string | readonly number[]): string {
  const parts = typeof c === 'string' ? c.replace(/[()\s]/g, '').split(/[:,]/) : c.map(String);
  if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p)))
    throw new Error(`bad large community ${String(c)}`);
  return parts.join(':');
}

/** 'rt:64512:1' / 'target:64512:1' / 'soo:...' / 'origin:...' -> { kind, asn, value }. */
export function parseExtCommunity(c: string): { kind: 'rt' | 'soo'; global: string; local: number } {
  const m = /^(rt|target|soo|origin)[: ]\s*([\d.]+):(\d+)$/i.exec(c.trim());
  if (!m) throw new Error(`unsupported extended community ${c} (use rt:ASN:NN or soo:ASN:NN)`);
  const kind = m[1]?.toLowerCase() === 'rt' || m[1]?.toLowerCase() === 'target' ? 'rt' : 'soo';
  return { kind, global: m[2] ?? '', local: Number(m[3]) };
}

export function normalizeExtCommunity(c: string): string {
  try {
    const e = parseExtCommunity(c);
    return `${e.kind}:${e.global}:${e.local}`;
  } catch {
    return c.trim();
  }
}

export function normalizeOrigin(o: string | number): Origin {
  if (o === 0) return 'igp';
  if (o === 1) return 'egp';
  if (o === 2) return 'incomplete';
  const s = String(o).toLowerCase();
  if (s === 'igp' || s === 'i') return 'igp';
  if (s === 'egp' || s === 'e') return 'egp';
  if (s === 'incomplete' || s === '?') return 'incomplete';
  throw new Error(`bad origin ${o}`);
}

export function addressFamily(addressOrPrefix: string): Family {
  return isIPv6(addressOrPrefix.split('/')[0] ?? '') ? 'ipv6-unicast' : 'ipv4-unicast';
}

export function neighborFamilies(n: NeighborConfig): readonly Family[] {
  return n.families ?? [addressFamily(n.address)];
}

export function holdTime(n: NeighborConfig): number {
  return n.holdTimeSeconds ?? 9;
}

export function keepaliveTime(n: NeighborConfig): number {
  return Math.max(1, Math.floor(holdTime(n) / 3));
}

export function connectRetry(n: NeighborConfig): number {
  return n.connectRetrySeconds ?? 2;
}

export function routeKey(prefix: string, pathId?: number): string {
  return pathId === undefined ? prefix : `${prefix}#${pathId}`;
}

/** Splits text holding several JSON values one after another (vtysh with several -c). */
export function parseJsonStream(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0 && start >= 0) {
        values.push(JSON.parse(text.slice(start, i + 1)));
        start = -1;
      }
    }
  }
  return values;
}

/** Property access on unknown JSON without `any`. */
export function field(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = Reflect.get(v, key);
  }
  return v;
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function asNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Maps a daemon's FSM state name to SessionState. */
export function normalizeState(raw: string): SessionState {
  const s = raw.toLowerCase().replace(/[^a-z]/g, '');
  if (s.startsWith('establ')) return 'established';
  if (s === 'idle' || s === 'down' || s === 'clearing' || s === 'deleted' || s === 'close') return 'idle';
  if (s === 'connect' || s === 'connected') return 'connect';
  if (s === 'active') return 'active';
  if (s === 'opensent') return 'opensent';
  if (s === 'openconfirm') return 'openconfirm';
  if (s === 'up') return 'established';
  return 'unknown';
}

export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** BGP routes in the namespace's kernel tables (`ip -j route show proto P`). */
export async function kernelRoutesIn(ns: string, protocol: string): Promise<KernelRoute[]> {
  const routes: KernelRoute[] = [];
  for (const fam of ['-4', '-6']) {
    const out = await execOk(ns, ['ip', '-j', fam, 'route', 'show', 'proto', protocol]);
    for (const r of asArray(out.trim() ? JSON.parse(out) : [])) {
      const dst = asString(field(r, 'dst')) ?? '';
      const prefix =
        dst === 'default'
          ? fam === '-4'
            ? '0.0.0.0/0'
            : '::/0'
          : dst.includes('/')
            ? dst
            : `${dst}/${fam === '-4' ? 32 : 128}`;
      const gateways: string[] = [];
      const gw = asString(field(r, 'gateway'));
      if (gw) gateways.push(gw);
      for (const nh of asArray(field(r, 'nexthops'))) {
        const g = asString(field(nh, 'gateway'));
        if (g) gateways.push(g);
      }
      const dev = asString(field(r, 'dev'));
      routes.push({ prefix, gateways, protocol, ...(dev ? { dev } : {}) });
    }
  }
  return routes;
}

/** What every peer shares: the route set it announces, process list, polling waits. */
export abstract class BasePeer implements RunningPeer {
  abstract readonly kind: PeerKind;
  protected readonly routes = new Map<string, RouteConfig>();
  protected processes: ManagedProcess[] = [];
  protected stopped = false;

  constructor(readonly config: PeerConfig) {
    mkdirSync(config.stateDir, { recursive: true });
    for (const route of config.routes ?? []) this.routes.set(routeKey(route.prefix, route.pathId), route);
  }

  private versionText: string | undefined;
  /** Asks the daemon (CLI) once; cached, so it also answers after stop(). */
  protected abstract queryVersion(): Promise<string>;

  async version(): Promise<string> {
    this.versionText ??= await this.queryVersion();
    return this.versionText;
  }

  abstract sessionState(neighbor: string): Promise<SessionState>;
  abstract receivedRoutes(family: Family): Promise<ReceivedRoute[]>;
  abstract announce(route: RouteConfig): Promise<void>;
  abstract withdraw(prefix: string, pathId?: number): Promise<void>;
  abstract shutdownNeighbor(neighbor: string, message?: string): Promise<void>;
  abstract enableNeighbor(neighbor: string): Promise<void>;
  abstract softReset(neighbor: string, direction: 'in' | 'out'): Promise<void>;
  abstract restart(options: RestartOptions): Promise<void>;
  abstract logText(): Promise<string>;

  async waitEstablished(neighbor: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: SessionState = 'unknown';
    for (;;) {
      try {
        last = await this.sessionState(neighbor);
      } catch {
        last = 'unknown';
      }
      if (last === 'established') return;
      if (Date.now() > deadline) {
        const log = (await this.logText()).split('\n').slice(-30).join('\n');
        throw new Error(
          `${this.kind} in ${this.config.namespace}: session to ${neighbor} is ${last} after ${timeoutMs} ms\n${log}`,
        );
      }
      await sleep(150);
    }
  }

  /** Polls `check` until it returns true. */
  protected async waitFor(
    what: string,
    check: () => Promise<boolean> | boolean,
    timeoutMs = 10_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() > deadline) throw new Error(`${this.kind}: timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  async kernelRoutes(): Promise<KernelRoute[]> {
    throw new UnsupportedError(this.kind, 'kernelRoutes (no FIB installation)');
  }

  pids(): readonly number[] {
    return this.processes.filter((p) => p.running()).map((p) => p.pid);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of [...this.processes].reverse()) await p.stop();
  }

  protected neighbor(address: string): NeighborConfig {
    const n = this.config.neighbors.find((x) => x.address === address);
    if (!n) throw new Error(`${this.kind}: no neighbor ${address} configured`);
    return n;
  }

  /** Routes currently announced (config routes plus announce() minus withdraw()). */
  protected currentRoutes(family?: Family): RouteConfig[] {
    return [...this.routes.values()].filter(
      (r) => family === undefined || addressFamily(r.prefix) === family,
    );
  }

  protected unsupported(route: RouteConfig, fields: readonly (keyof RouteConfig)[]): void {
    for (const f of fields)
      if (route[f] !== undefined) throw new UnsupportedError(this.kind, `route attribute ${f}`);
  }
}

/**
 * Our global address of `family` on the interface that leads to `neighbor`
 * (`ip route get` + `ip addr`): the next hop to announce for routes of a
 * family other than the session's transport (e.g. IPv6 routes on an IPv4
 * session), which gobgpd and ExaBGP would otherwise send as an IPv4-mapped
 * or 0.0.0.0 next hop.
 */
export async function interfaceAddressToward(
  ns: string,
  neighbor: string,
  family: Family,
): Promise<string | undefined> {
  const routeOut = await execOk(ns, ['ip', '-j', 'route', 'get', neighbor]);
  const dev = asString(field(asArray(JSON.parse(routeOut))[0], 'dev'));
  if (!dev) return undefined;
  const addrOut = await execOk(ns, [
    'ip',
    '-j',
    family === 'ipv4-unicast' ? '-4' : '-6',
    'addr',
    'show',
    'dev',
    dev,
    'scope',
    'global',
  ]);
  for (const link of asArray(JSON.parse(addrOut))) {
    for (const info of asArray(field(link, 'addr_info'))) {
      const local = asString(field(info, 'local'));
      if (local) return local;
    }
  }
  return undefined;
}
