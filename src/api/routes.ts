// The control API's requests: each turns a request into a call on the agent
// (through AgentControl, ./control.ts) and its answer into JSON. Argument
// checks here mirror agentctl's, so a client other than agentctl gets the
// same one-line errors.

import { parsePrefix, prefixToString } from '../bgp/codec/nlri.js';
import type { AddressFamily } from '../bgp/family.js';
import { parseCommunity, parseLargeCommunity } from '../bgp/format/communities.js';
import { canonicalIp, ipFamilyOf, parseIpv4, parseIpv6 } from '../net/ip.js';
import type { AgentControl } from './control.js';
import { ApiError, type ApiHandler } from './server.js';
import type {
  DestinationJson,
  FibDiffReply,
  FibShowReply,
  RefreshReply,
  ReloadReply,
  RibAddReply,
  RibDeleteReply,
  RibReply,
} from './types.js';

function familyOfText(text: string): AddressFamily | null {
  if (parseIpv4(text.split('/')[0] ?? '') !== null) return 'ipv4-unicast';
  if (parseIpv6(text.split('/')[0] ?? '') !== null) return 'ipv6-unicast';
  return null;
}

function familyParam(value: string | null, fallback: AddressFamily): AddressFamily {
  if (value === null) return fallback;
  if (value === 'ipv4' || value === 'ipv4-unicast') return 'ipv4-unicast';
  if (value === 'ipv6' || value === 'ipv6-unicast') return 'ipv6-unicast';
  throw new ApiError(400, `family "${value}" is not one of ipv4, ipv6`);
}

interface RibAddBody {
  prefix?: unknown;
  nextHop?: unknown;
  communities?: unknown;
  largeCommunities?: unknown;
  med?: unknown;
  localPref?: unknown;
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw new ApiError(400, `${what} must be a list of strings`);
  return value as string[];
}

function uint32(value: unknown, what: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new ApiError(400, `${what} must be an integer from 0 to 4294967295`);
  }
  return value;
}

/** The canonical text of a prefix ("10.233.1.5/24" -> "10.233.1.0/24"). */
function prefixText(text: string): string {
  const parsed = parsePrefix(text);
  return parsed === null
    ? text
    : prefixToString(
        {
          afi: parsed.afi,
          count: 1,
          lengths: Uint8Array.of(parsed.length),
          words: Uint32Array.from(parsed.words),
          pathIds: null,
        },
        0,
      );
}

export function buildApiRoutes(control: AgentControl): Map<string, ApiHandler> {
  const routes = new Map<string, ApiHandler>();

  routes.set('GET /v1/neighbors', () => ({ status: 200, body: control.neighbors() }));

  routes.set('POST /v1/config/reload', async () => {
    const outcome = await control.reload();
    if (!outcome.ok)
      throw new ApiError(400, `config reload refused, the running configuration stays: ${outcome.reason}`);
    const body: ReloadReply = { reloaded: true, ...outcome.changes };
    return { status: 200, body };
  });

  routes.set('POST /v1/neighbors/refresh', (request) => {
    const body = (request.body ?? {}) as { address?: unknown; family?: unknown };
    if (typeof body.address !== 'string' || canonicalIp(body.address) === null)
      throw new ApiError(400, 'address must be a neighbor address');
    const family = familyParam(
      typeof body.family === 'string' ? body.family : null,
      ipFamilyOf(body.address) === 6 ? 'ipv6-unicast' : 'ipv4-unicast',
    );
    const outcome = control.requestRefresh(body.address, family);
    if (outcome === 'unknown-neighbor') throw new ApiError(404, `no neighbor ${body.address}`);
    if (outcome === 'not-capable') {
      throw new ApiError(409, `neighbor ${body.address} is not Established with route refresh and ${family}`);
    }
    const reply: RefreshReply = { refreshRequested: body.address, family };
    return { status: 200, body: reply };
  });

  routes.set('GET /v1/rib', (request) => {
    const prefix = request.query.get('prefix');
    const neighbor = request.query.get('neighbor');
    const direction = request.query.get('direction') ?? 'in';
    const fallback: AddressFamily =
      prefix !== null ? (familyOfText(prefix) ?? 'ipv4-unicast') : 'ipv4-unicast';
    const family = familyParam(request.query.get('family'), fallback);
    if (prefix !== null && familyOfText(prefix) === null) {
      throw new ApiError(
        400,
        `"${prefix}" is not a prefix or an address (e.g. 10.233.1.0/24 or 10.233.1.10)`,
      );
    }
    const selection = { family, ...(prefix !== null ? { prefix } : {}) };
    let destinations: readonly DestinationJson[];
    if (neighbor !== null) {
      if (direction !== 'in' && direction !== 'out')
        throw new ApiError(400, `direction "${direction}" is not one of in, out`);
      const found = control.neighborRib(neighbor, direction, selection);
      if (found === null) throw new ApiError(404, `no neighbor ${neighbor}`);
      destinations = found;
    } else {
      destinations = control.rib(selection);
    }
    const reply: RibReply = { family, destinations };
    return { status: 200, body: reply };
  });

  routes.set('GET /v1/rib/summary', () => ({ status: 200, body: control.ribSummary() }));

  routes.set('POST /v1/rib', (request) => {
    const body = (request.body ?? {}) as RibAddBody;
    if (typeof body.prefix !== 'string' || parsePrefix(body.prefix) === null) {
      throw new ApiError(
        400,
        `prefix "${String(body.prefix)}" is not a prefix (e.g. 10.233.1.0/24 or fd00:233:1::/64)`,
      );
    }
    const parsed = parsePrefix(body.prefix);
    if (body.nextHop !== undefined && body.nextHop !== null) {
      if (typeof body.nextHop !== 'string' || ipFamilyOf(body.nextHop) !== (parsed?.afi === 1 ? 4 : 6)) {
        throw new ApiError(
          400,
          `nexthop "${String(body.nextHop)}" must be an address of the prefix's family`,
        );
      }
    }
    const communities = stringList(body.communities, 'communities');
    for (const c of communities) {
      if (parseCommunity(c) === null)
        throw new ApiError(
          400,
          `community "${c}" is not AS:VALUE or a well-known name (blackhole, no-export, no-advertise, no-export-subconfed)`,
        );
    }
    const largeCommunities = stringList(body.largeCommunities, 'largeCommunities');
    for (const c of largeCommunities) {
      if (parseLargeCommunity(c) === null)
        throw new ApiError(400, `large community "${c}" is not GLOBAL:DATA1:DATA2`);
    }
    control.originate({
      prefix: body.prefix,
      nextHop: typeof body.nextHop === 'string' ? (canonicalIp(body.nextHop) ?? body.nextHop) : null,
      communities,
      largeCommunities,
      med: uint32(body.med, 'med'),
      localPref: uint32(body.localPref, 'local-pref'),
    });
    const reply: RibAddReply = { added: body.prefix };
    return { status: 200, body: reply };
  });

  routes.set('DELETE /v1/rib', (request) => {
    const prefix = request.query.get('prefix');
    if (prefix === null || parsePrefix(prefix) === null) {
      throw new ApiError(400, `prefix "${prefix ?? ''}" is not a prefix (e.g. 10.233.1.0/24)`);
    }
    if (!control.withdrawLocal(prefix)) {
      const configured = control
        .localRoutes()
        .some((r) => r.origin === 'config' && r.prefix === prefixText(prefix));
      throw new ApiError(
        404,
        configured
          ? `${prefix} comes from the configuration (originate:); remove it there and run config reload`
          : `no route added with rib add for ${prefix}`,
      );
    }
    const reply: RibDeleteReply = { deleted: prefix };
    return { status: 200, body: reply };
  });

  routes.set('GET /v1/routes/local', () => ({ status: 200, body: control.localRoutes() }));

  const writerOf = (request: { query: URLSearchParams }) => {
    const name = request.query.get('writer') ?? 'kernel';
    const writer = control.forwardingView(name);
    if (writer === null) {
      throw new ApiError(
        409,
        name === 'ovs'
          ? 'the OVS writer is not enabled (fib.ovs.enabled)'
          : `the ${name} writer is not enabled (fib.kernel.enabled)`,
      );
    }
    return writer;
  };
  /** A writer that cannot read its forwarding plane now (OVS not connected) is 503, not a server fault. */
  const reading = async <T>(name: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new ApiError(503, message.startsWith(`${name}:`) ? message : `${name}: ${message}`);
    }
  };
  routes.set('GET /v1/fib', async (request) => {
    const writer = writerOf(request);
    const reply: FibShowReply = {
      writer: writer.name,
      entries: await reading(writer.name, () => writer.show()),
    };
    return { status: 200, body: reply };
  });
  routes.set('GET /v1/fib/diff', async (request) => {
    const writer = writerOf(request);
    const reply: FibDiffReply = {
      writer: writer.name,
      differences: await reading(writer.name, () => writer.diff()),
    };
    return { status: 200, body: reply };
  });

  return routes;
}
