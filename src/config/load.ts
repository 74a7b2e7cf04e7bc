// YAML file -> validated AgentConfig, or one line naming the field and the fix.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import type { AddressFamily } from '../bgp/family.js';
import { canonicalIp } from '../net/ip.js';
import { describeValueIssue, formatPath } from '../util/zod-issue.js';
import {
  canonicalPrefix,
  configSchema,
  type RawConfig,
  type RawNeighbor,
  type RawPeerGroup,
} from './schema.js';
import {
  type AgentConfig,
  type BfdSettings,
  ConfigError,
  DEFAULT_BFD,
  DEFAULT_LISTEN_RANGE_LIMIT,
  type ListenRangeConfig,
  type NeighborSettings,
} from './types.js';

// The types are the daemon's; callers of the parser get them from here too.
export * from './types.js';

type RawBfd = NonNullable<RawConfig['bfd']>;

function bfdSettings(raw: RawBfd | undefined, defaults: BfdSettings): BfdSettings {
  return {
    enabled: raw?.enabled ?? defaults.enabled,
    minRxMs: raw?.minRxMs ?? defaults.minRxMs,
    minTxMs: raw?.minTxMs ?? defaults.minTxMs,
    multiplier: raw?.multiplier ?? defaults.multiplier,
    hops: raw?.hops ?? defaults.hops,
  };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        previous + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length] as number;
}

/** The keys a zod object schema at `path` accepts (walking arrays, optionals and unions). */
function knownKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  let candidates: unknown[] = [schema];
  const unwrap = (s: unknown): unknown[] => {
    const def = (
      s as {
        def?: { type?: string; innerType?: unknown; options?: unknown[]; in?: unknown; schema?: unknown };
      }
    ).def;
    if (def === undefined) return [s];
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default')
      return unwrap(def.innerType);
    if (def.type === 'union') return (def.options ?? []).flatMap(unwrap);
    if (def.type === 'pipe') return unwrap(def.in);
    return [s];
  };
  for (const part of path) {
    const next: unknown[] = [];
    for (const candidate of candidates.flatMap(unwrap)) {
      const c = candidate as {
        shape?: Record<string, unknown>;
        element?: unknown;
        def?: { type?: string; valueType?: unknown };
      };
      if (typeof part === 'number' && c.element !== undefined) next.push(c.element);
      else if (typeof part === 'string' && c.def?.type === 'record') next.push(c.def.valueType);
      else if (typeof part === 'string' && c.shape?.[part] !== undefined) next.push(c.shape[part]);
    }
    candidates = next;
  }
  return candidates
    .flatMap(unwrap)
    .flatMap((c) => Object.keys((c as { shape?: Record<string, unknown> }).shape ?? {}));
}

/**
 * The issue inside a union (a policy: a name, a term or a list of terms) of
 * the branch the value was meant for: the one whose shape it has, with the
 * path made whole. A value of no branch's shape (root-level type or value
 * mismatch in every branch) has none, and the union's own message says what
 * the choices are.
 */
function issueOfMatchingBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue | null {
  if (issue.code !== 'invalid_union') return null;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first === undefined) continue;
    const rootMismatch =
      first.path.length === 0 && (first.code === 'invalid_type' || first.code === 'invalid_value');
    if (!rootMismatch) return { ...first, path: [...issue.path, ...first.path] };
  }
  return null;
}

/** The first schema issue as one line: where, what was there, what to write. */
export function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const inner = issueOfMatchingBranch(issue);
  if (inner !== null) return describeIssue(inner, raw);
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const known = knownKeysAt(configSchema, path);
    const closest = known
      .map((candidate) => ({ candidate, distance: editDistance(key, candidate) }))
      .sort((x, y) => x.distance - y.distance)[0];
    const hint =
      closest !== undefined && closest.distance <= Math.max(2, Math.floor(key.length / 3))
        ? `did you mean ${closest.candidate}?`
        : `known keys: ${known.join(', ')}`;
    return `${formatPath([...path, key])}: unknown key; ${hint}`;
  }
  return describeValueIssue(issue, raw);
}

/** Parses and validates YAML text; throws ConfigError with one line. */
export function parseConfig(text: string, source = 'config'): AgentConfig {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const yamlError = document.errors[0];
  if (yamlError !== undefined) {
    const line = yamlError.linePos?.[0];
    const where = line !== undefined ? ` line ${line.line} column ${line.col}` : '';
    throw new ConfigError(
      `${source}${where}: not valid YAML: ${(yamlError.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  const raw: unknown = document.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${source}: must be a YAML mapping with at least asn and routerId`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${source}: ${issue === undefined ? 'invalid' : describeIssue(issue, raw)}`);
  }
  return resolve(parsed.data);
}

export function loadConfigFile(path: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new ConfigError(`${path}: no such file; create it (see README) or pass --config PATH`);
    throw new ConfigError(`${path}: cannot read it (${code ?? (error as Error).message})`);
  }
  return parseConfig(text, path);
}

type RawNeighborSettings = Omit<RawNeighbor, 'address' | 'peerGroup'>;

/** The group's keys, overridden by the neighbor's own (bfd key by key); then the defaults. */
function neighborSettings(
  address: string,
  own: RawNeighborSettings,
  group: RawPeerGroup | undefined,
  bfdDefaults: BfdSettings,
  membership: { readonly peerGroup?: string | undefined; readonly listenRange?: string },
): NeighborSettings {
  const n: RawNeighborSettings = { ...group, ...own };
  const asn = n.asn;
  // The schema refuses a neighbor or range without an AS number (own or the group's).
  if (asn === undefined) throw new ConfigError(`neighbor ${address}: no AS number`);
  const bfd = group?.bfd === undefined && own.bfd === undefined ? undefined : { ...group?.bfd, ...own.bfd };
  return {
    address,
    port: n.port ?? 179,
    asn,
    localAddress: n.localAddress === undefined ? null : (canonicalIp(n.localAddress) ?? n.localAddress),
    families: (n.families ?? ['ipv4-unicast']) as AddressFamily[],
    holdTimeSeconds: n.holdTimeSeconds ?? 90,
    connectRetrySeconds: n.connectRetrySeconds ?? 30,
    passive: n.passive ?? false,
    delayOpenSeconds: n.delayOpenSeconds ?? 0,
    password: n.password ?? null,
    ttlSecurity: n.ttlSecurity ?? false,
    addPath: n.addPath ?? null,
    routeReflectorClient: n.routeReflectorClient ?? false,
    description: n.description ?? null,
    shutdown: n.shutdown ?? false,
    ...(membership.peerGroup !== undefined ? { peerGroup: membership.peerGroup } : {}),
    ...(membership.listenRange !== undefined ? { listenRange: membership.listenRange } : {}),
    import: n.import,
    export: n.export,
    nextHopSelf: n.nextHopSelf ?? false,
    enforceFirstAs: n.enforceFirstAs ?? true,
    maxPrefix:
      n.maxPrefix === undefined
        ? null
        : {
            limit: n.maxPrefix.limit,
            warningOnly: n.maxPrefix.warningOnly ?? false,
            warningThresholdPercent: n.maxPrefix.warningThresholdPercent ?? 75,
            restartSeconds: n.maxPrefix.restartSeconds ?? 0,
          },
    bfd: bfdSettings(bfd, bfdDefaults),
  };
}

function resolve(raw: RawConfig): AgentConfig {
  const asn = raw.asn;
  const bfdDefaults = bfdSettings(raw.bfd, DEFAULT_BFD);
  const groups = raw.peerGroups ?? {};
  const neighbors: NeighborSettings[] = (raw.neighbors ?? []).map((n) => {
    const group = n.peerGroup === undefined ? undefined : groups[n.peerGroup];
    return neighborSettings(canonicalIp(n.address) ?? n.address, n, group, bfdDefaults, {
      peerGroup: n.peerGroup,
    });
  });
  const listenRanges: ListenRangeConfig[] = (raw.listenRanges ?? []).map((range) => ({
    prefix: canonicalPrefix(range.prefix),
    peerGroup: range.peerGroup,
    limit: range.limit ?? DEFAULT_LISTEN_RANGE_LIMIT,
    // A dynamic neighbor is never connected to: it is known only once it connects.
    template: {
      ...neighborSettings('', {}, groups[range.peerGroup], bfdDefaults, {
        peerGroup: range.peerGroup,
        listenRange: canonicalPrefix(range.prefix),
      }),
      passive: true,
    },
  }));
  const ovs = raw.fib?.ovs;
  return {
    asn,
    routerId: raw.routerId,
    hostname: raw.hostname ?? hostname(),
    listen: { address: raw.listen?.address ?? '0.0.0.0', port: raw.listen?.port ?? 179 },
    maxPaths: raw.maxPaths ?? 1,
    clusterId: raw.clusterId ?? raw.routerId,
    alwaysCompareMed: raw.alwaysCompareMed ?? false,
    preferOldestEbgpPath: raw.preferOldestEbgpPath ?? false,
    advertisementIntervalMs: raw.advertisementIntervalMs ?? 50,
    gracefulRestart: {
      enabled: raw.gracefulRestart?.enabled ?? true,
      restartTimeSeconds: raw.gracefulRestart?.restartTimeSeconds ?? 120,
      staleRoutesTimeSeconds: raw.gracefulRestart?.staleRoutesTimeSeconds ?? 360,
    },
    bfd: bfdDefaults,
    neighbors,
    listenRanges,
    originate: (raw.originate ?? []).map((o) => ({
      prefix: o.prefix,
      nextHop: o.nextHop ?? null,
      communities: o.communities ?? [],
      largeCommunities: o.largeCommunities ?? [],
      med: o.med ?? null,
      localPref: o.localPref ?? null,
    })),
    fib: {
      kernel: {
        enabled: raw.fib?.kernel?.enabled ?? true,
        table: raw.fib?.kernel?.table ?? 254,
        protocol: raw.fib?.kernel?.protocol ?? 186,
        metric: raw.fib?.kernel?.metric ?? 20,
      },
      ovs: {
        enabled: ovs?.enabled ?? false,
        bridge: ovs?.bridge ?? 'br-int',
        table: ovs?.table ?? 0,
        mode: ovs?.mode ?? 'routed',
        openflow: ovs?.openflow ?? null,
        ovsdb: ovs?.ovsdb ?? 'unix:/var/run/openvswitch/db.sock',
        uplinkPort: ovs?.uplinkPort ?? null,
        tunnelPort: ovs?.tunnelPort ?? null,
        cookie: BigInt(ovs?.cookie ?? '0xb6b0000000000000'),
      },
    },
    overlay: {
      mode: raw.overlay?.mode ?? 'never',
      vni: raw.overlay?.vni ?? 1,
      port: raw.overlay?.port ?? 4789,
      device: raw.overlay?.device ?? 'agent.vxlan',
      mtu: raw.overlay?.mtu ?? null,
      localAddress:
        raw.overlay?.localAddress === undefined
          ? null
          : (canonicalIp(raw.overlay.localAddress) ?? raw.overlay.localAddress),
    },
    api: { socket: raw.api?.socket ?? '/run/agent/agent.sock' },
    metrics: { listen: raw.metrics?.listen === '' ? null : (raw.metrics?.listen ?? '127.0.0.1:9179') },
  };
}
