// The control API's requests: each checks its body or query against its
// schema (./requests.ts), makes one call on the agent through AgentControl
// (./control.ts), and turns the answer into the reply the contract
// (./types.ts) promises.

import type { z } from 'zod';
import { parsedPrefixText, parsePrefix } from '../bgp/codec/nlri.js';
import type { AgentControl, NeighborOperationOutcome } from './control.js';
import { filterDestinations } from './rib-filter.js';
import { ApiError, type ApiHandler, type ApiRequest } from './server.js';
import type {
  FibDiffReply,
  FibShowReply,
  NeighborOperation,
  NeighborOperationReply,
  RefreshReply,
  ReloadReply,
  RibAddReply,
  RibDeleteReply,
  RibReply,
} from './types.js';

type Checks = typeof import('./checked-requests.js');
let checksLoading: Promise<Checks> | null = null;

/** The request schemas and checkers, imported on first use (zod stays out of an idle agent). */
function checks(): Promise<Checks> {
  checksLoading ??= import('./checked-requests.js');
  return checksLoading;
}

async function queryOf<S extends z.ZodType>(
  schema: (checks: Checks) => S,
  query: URLSearchParams,
): Promise<z.output<S>> {
  const c = await checks();
  return c.checkedQuery(schema(c), query);
}

async function bodyOf<S extends z.ZodType>(
  schema: (checks: Checks) => S,
  body: unknown,
): Promise<z.output<S>> {
  const c = await checks();
  return c.checkedBody(schema(c), body);
}

/** The canonical text of a prefix ("fd00:0::/64" -> "fd00::/64"). */
function prefixText(text: string): string {
  const parsed = parsePrefix(text);
  return parsed === null ? text : parsedPrefixText(parsed);
}

export function buildApiRoutes(control: AgentControl): Map<string, ApiHandler> {
  const routes = new Map<string, ApiHandler>();

  routes.set('GET /v1/neighbors', () => ({ status: 200, body: control.neighbors() }));

  routes.set('GET /v1/bfd', async (request) => {
    const { address } = await queryOf((c) => c.bfdQuery, request.query);
    const sessions = await control.bfdSessions();
    if (address === null) return { status: 200, body: sessions };
    const one = sessions.find((s) => s.neighbor === address);
    if (one === undefined)
      throw new ApiError(404, `no BFD session with ${address} (bfd.enabled for that neighbor?)`);
    return { status: 200, body: one };
  });

  routes.set('GET /v1/global', () => ({ status: 200, body: control.global() }));

  routes.set('GET /v1/monitor', async (request) => {
    const { kinds } = await queryOf((c) => c.monitorQuery, request.query);
    return {
      status: 200,
      // Each event as a line; a client that stops reading is dropped by the server.
      stream: (sink) => {
        let stop = (): void => {};
        stop = control.monitor(kinds, (event) => {
          if (!sink.write(event)) stop();
        });
        return stop;
      },
    };
  });

  const operate = (address: string, operation: NeighborOperation) => {
    const outcome: NeighborOperationOutcome = control.neighborOperation(address, operation);
    switch (outcome) {
      case 'done': {
        const reply: NeighborOperationReply = { neighbor: address, operation };
        return { status: 200, body: reply };
      }
      case 'unknown-neighbor':
        throw new ApiError(404, `no neighbor ${address}`);
      case 'not-established':
        throw new ApiError(409, `neighbor ${address} is not Established: nothing to ${operation}`);
      case 'not-capable':
        throw new ApiError(
          409,
          `neighbor ${address} did not negotiate route refresh (RFC 2918): use neighbor reset ${address}`,
        );
      default: {
        const unknown: never = outcome;
        throw new Error(`unhandled outcome ${String(unknown)}`);
      }
    }
  };
  for (const operation of ['reset', 'disable', 'enable'] as const) {
    routes.set(`POST /v1/neighbors/${operation}`, async (request) =>
      operate((await bodyOf((c) => c.neighborRequest, request.body)).address, operation),
    );
  }
  routes.set('POST /v1/neighbors/softreset', async (request) => {
    const { address, direction } = await bodyOf((c) => c.softResetRequest, request.body);
    return operate(address, direction === 'in' ? 'softreset-in' : 'softreset-out');
  });

  routes.set('POST /v1/config/reload', async () => {
    const outcome = await control.reload();
    if (!outcome.ok)
      throw new ApiError(400, `config reload refused, the running configuration stays: ${outcome.reason}`);
    const reply: ReloadReply = { reloaded: true, ...outcome.changes };
    return { status: 200, body: reply };
  });

  routes.set('POST /v1/neighbors/refresh', async (request) => {
    const { address, family } = await bodyOf((c) => c.refreshRequest, request.body);
    const outcome = control.requestRefresh(address, family);
    if (outcome === 'unknown-neighbor') throw new ApiError(404, `no neighbor ${address}`);
    if (outcome === 'not-capable')
      throw new ApiError(409, `neighbor ${address} is not Established with route refresh and ${family}`);
    const reply: RefreshReply = { refreshRequested: address, family };
    return { status: 200, body: reply };
  });

  routes.set('GET /v1/rib', async (request) => {
    const { selection, neighbor, direction, filter } = await queryOf((c) => c.ribQuery, request.query);
    const destinations =
      neighbor === null ? control.rib(selection) : control.neighborRib(neighbor, direction, selection);
    if (destinations === null) throw new ApiError(404, `no neighbor ${neighbor}`);
    const reply: RibReply = {
      family: selection.family,
      destinations: filterDestinations(destinations, filter),
    };
    return { status: 200, body: reply };
  });

  routes.set('GET /v1/rib/summary', () => ({ status: 200, body: control.ribSummary() }));

  routes.set('POST /v1/rib', async (request) => {
    const route = await bodyOf((c) => c.ribAddRequest, request.body);
    control.originate(route);
    const reply: RibAddReply = { added: route.prefix };
    return { status: 200, body: reply };
  });

  routes.set('DELETE /v1/rib', async (request) => {
    const { prefix } = await queryOf((c) => c.ribDeleteQuery, request.query);
    if (!control.withdrawLocal(prefix)) {
      const configured = control
        .localRoutes()
        .some((route) => route.origin === 'config' && route.prefix === prefixText(prefix));
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

  const writerOf = async (request: ApiRequest) => {
    const { writer: name } = await queryOf((c) => c.fibQuery, request.query);
    const writer = control.forwardingView(name);
    if (writer === null) {
      throw new ApiError(
        409,
        name === 'ovs'
          ? 'the OVS writer is not enabled (fib.ovs.enabled)'
          : 'the kernel writer is not enabled (fib.kernel.enabled)',
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
    const writer = await writerOf(request);
    const reply: FibShowReply = {
      writer: writer.name,
      entries: await reading(writer.name, () => writer.show()),
    };
    return { status: 200, body: reply };
  });
  routes.set('GET /v1/fib/diff', async (request) => {
    const writer = await writerOf(request);
    const reply: FibDiffReply = {
      writer: writer.name,
      differences: await reading(writer.name, () => writer.diff()),
    };
    return { status: 200, body: reply };
  });

  return routes;
}
