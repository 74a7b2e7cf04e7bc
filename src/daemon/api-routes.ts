// The control API's requests: each turns a request into a call on the agent
// and its answer into JSON. Argument checks here mirror agentctl's, so a
// client other than agentctl gets the same one-line errors.

import { ApiError, type ApiHandler } from '../api/server.js';
import type { DestinationJson, NeighborJson } from '../api/types.js';
import { parsePrefix, prefixToString } from '../bgp/codec/nlri.js';
import type { AddressFamily } from '../bgp/family.js';
import { parseCommunity, parseLargeCommunity } from '../bgp/format/communities.js';
import { ConfigError } from '../config/load.js';
import { canonicalIp, ipFamilyOf } from '../net/ip.js';
import type { Agent } from './agent.js';
import { familyOfText, queryRib } from './rib-query.js';

function neighborsJson(agent: Agent): NeighborJson[] {
  const now = Date.now();
  return agent.speaker.allPeers().map((peer) => {
    const status = peer.status();
    const source = agent.routing.sourceOf(peer);
    const negotiated = status.negotiated;
    return {
      address: status.address,
      asn: status.asn,
      description: peer.config.description,
      state: status.state,
      upDownSeconds: Math.max(0, Math.floor((now - status.stateSince) / 1000)),
      messagesIn: status.messagesIn,
      messagesOut: status.messagesOut,
      updatesIn: status.updatesIn,
      updatesOut: status.updatesOut,
      prefixes: {
        received: source === undefined ? 0 : source.received[0] + source.received[1],
        accepted: source === undefined ? 0 : source.accepted[0] + source.accepted[1],
        advertised: agent.routing.advertisedTo(peer),
      },
      flaps: status.flaps,
      lastError: status.lastError,
      outQueueBytes: status.outQueueBytes,
      session:
        negotiated === null
          ? null
          : {
              localAddress: status.localAddress,
              peerRouterId: negotiated.peerRouterId,
              peerHostname: negotiated.peerHostname,
              holdTimeSeconds: negotiated.holdTimeSeconds,
              keepaliveSeconds: negotiated.keepaliveSeconds,
              families: negotiated.families,
              fourOctetAs: negotiated.asn4,
              routeRefresh: negotiated.routeRefresh,
              enhancedRouteRefresh: negotiated.enhancedRouteRefresh,
              extendedMessage: negotiated.extendedMessage,
              gracefulRestart: negotiated.gracefulRestart !== null,
              addPath: Object.fromEntries(negotiated.addPath),
            },
    };
  });
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

export function buildApiRoutes(agent: Agent): Map<string, ApiHandler> {
  const routes = new Map<string, ApiHandler>();

  routes.set('GET /v1/neighbors', () => ({ status: 200, body: neighborsJson(agent) }));

  routes.set('POST /v1/config/reload', async () => {
    try {
      return { status: 200, body: { reloaded: true, ...(await agent.reload()) } };
    } catch (error) {
      if (error instanceof ConfigError)
        throw new ApiError(400, `config reload refused, the running configuration stays: ${error.message}`);
      throw error;
    }
  });

  routes.set('POST /v1/neighbors/refresh', (request) => {
    const body = (request.body ?? {}) as { address?: unknown; family?: unknown };
    if (typeof body.address !== 'string' || canonicalIp(body.address) === null)
      throw new ApiError(400, 'address must be a neighbor address');
    const family = familyParam(
      typeof body.family === 'string' ? body.family : null,
      ipFamilyOf(body.address) === 6 ? 'ipv6-unicast' : 'ipv4-unicast',
    );
    if (agent.peer(body.address) === undefined) throw new ApiError(404, `no neighbor ${body.address}`);
    if (!agent.requestRefresh(body.address, family)) {
      throw new ApiError(409, `neighbor ${body.address} is not Established with route refresh and ${family}`);
    }
    return { status: 200, body: { refreshRequested: body.address, family } };
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
    let destinations: DestinationJson[];
    if (neighbor !== null) {
      const peer = agent.peer(neighbor);
      if (peer === undefined) throw new ApiError(404, `no neighbor ${neighbor}`);
      const source = agent.routing.sourceOf(peer);
      if (direction === 'out') {
        destinations = agent.routing.advertisedRoutes(peer, family, prefix ?? undefined);
      } else if (direction === 'in') {
        destinations = queryRib(agent.rib, {
          family,
          ...(prefix !== null ? { prefix } : {}),
          ...(source !== undefined ? { neighborSourceId: source.id } : {}),
        });
      } else {
        throw new ApiError(400, `direction "${direction}" is not one of in, out`);
      }
    } else {
      destinations = queryRib(agent.rib, { family, ...(prefix !== null ? { prefix } : {}) });
    }
    return { status: 200, body: { family, destinations } };
  });

  routes.set('GET /v1/rib/summary', () => ({
    status: 200,
    body: {
      'ipv4-unicast': {
        prefixes: agent.rib.locRibCount('ipv4-unicast'),
        routes: agent.rib.family('ipv4-unicast').routes.count,
      },
      'ipv6-unicast': {
        prefixes: agent.rib.locRibCount('ipv6-unicast'),
        routes: agent.rib.family('ipv6-unicast').routes.count,
      },
      attributeSets: agent.rib.attrs.size,
    },
  }));

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
    agent.routing.originate({
      prefix: body.prefix,
      nextHop: typeof body.nextHop === 'string' ? (canonicalIp(body.nextHop) ?? body.nextHop) : null,
      communities,
      largeCommunities,
      med: uint32(body.med, 'med'),
      localPref: uint32(body.localPref, 'local-pref'),
      origin: 'runtime',
    });
    return { status: 200, body: { added: body.prefix } };
  });

  routes.set('DELETE /v1/rib', (request) => {
    const prefix = request.query.get('prefix');
    if (prefix === null || parsePrefix(prefix) === null) {
      throw new ApiError(400, `prefix "${prefix ?? ''}" is not a prefix (e.g. 10.233.1.0/24)`);
    }
    if (!agent.routing.withdrawOriginated(prefix, 'runtime')) {
      const configured = agent.routing
        .localRoutes()
        .some((r) => r.origin === 'config' && r.prefix === prefixText(prefix));
      throw new ApiError(
        404,
        configured
          ? `${prefix} comes from the configuration (originate:); remove it there and run config reload`
          : `no route added with rib add for ${prefix}`,
      );
    }
    return { status: 200, body: { deleted: prefix } };
  });

  routes.set('GET /v1/routes/local', () => ({ status: 200, body: agent.routing.localRoutes() }));

  const writerOf = (request: { query: URLSearchParams }) => {
    const name = request.query.get('writer') ?? 'kernel';
    const writer = agent.writer(name);
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
    return {
      status: 200,
      body: { writer: writer.name, entries: await reading(writer.name, () => writer.show()) },
    };
  });
  routes.set('GET /v1/fib/diff', async (request) => {
    const writer = writerOf(request);
    return {
      status: 200,
      body: { writer: writer.name, differences: await reading(writer.name, () => writer.diff()) },
    };
  });

  return routes;
}
