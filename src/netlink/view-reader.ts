// Reads what next hops are resolved against (kernel-view.ts): the links and
// whether they are up, their addresses (connected subnets), and the unicast
// routes of other protocols in the main table. Links and addresses come
// through two dumps on a short-lived socket (interface-messages.ts: a few
// dozen messages); routes through the writer's dumps, parsed only when they
// qualify.

import type { RouteDumps } from './dump.js';
import { InterfaceMsgType, interfaceDumpRequest, parseInterface, parseSubnet } from './interface-messages.js';
import type { ConnectedSubnet, InterfaceState, KernelView } from './kernel-view.js';
import { RawNetlinkSocket } from './raw-socket.js';
import {
  AF_INET,
  AF_INET6,
  type DumpFilter,
  errorCode,
  type KernelRoute,
  NETLINK_ROUTE,
  NlMsgType,
  RouteType,
  splitMessages,
} from './rtnetlink.js';

/** The main table: other protocols' routes elsewhere do not carry next hops for us. */
const RT_TABLE_MAIN = 254;
/** What the kernel is asked for (our own routes come too: a filter cannot say "not ours"). */
const MAIN_UNICAST: DumpFilter = { table: RT_TABLE_MAIN, protocol: 0, type: RouteType.unicast };
/** A link or address dump that has not ended by then will not: the read fails (and is retried by the caller's schedule). */
const DUMP_TIMEOUT_MS = 10_000;

/** Reads links, addresses and other protocols' routes into `view` (replaced at once, when all is read). */
export async function readKernelView(
  view: KernelView,
  dumps: RouteDumps,
  ourProtocol: number,
): Promise<void> {
  const socket = new RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: 1 << 20, sendBufferSize: 1 << 16 });
  let interfaces: Map<number, InterfaceState>;
  let subnets: ConnectedSubnet[];
  try {
    interfaces = new Map();
    for (const payload of await dumpPayloads(socket, InterfaceMsgType.getLink, InterfaceMsgType.newLink, 1)) {
      const link = parseInterface(payload);
      if (link !== null) interfaces.set(link.index, link);
    }
    subnets = [];
    for (const payload of await dumpPayloads(socket, InterfaceMsgType.getAddr, InterfaceMsgType.newAddr, 2)) {
      const subnet = parseSubnet(payload);
      if (subnet !== null) subnets.push(subnet);
    }
  } finally {
    socket.close();
  }
  const routes: KernelRoute[] = [];
  for (const af of [AF_INET, AF_INET6]) {
    const first = routes.length;
    await dumps.consistent(
      af,
      () => {
        routes.length = first;
      },
      {
        // Not our own routes (never resolve through them), not local/broadcast ones.
        wants: (peek) =>
          peek.protocol !== ourProtocol && peek.table === RT_TABLE_MAIN && peek.type === RouteType.unicast,
        route: (route) => routes.push(route),
      },
      MAIN_UNICAST,
    );
  }
  view.interfaces = interfaces;
  view.subnets = subnets;
  view.routes = routes;
}

/**
 * One dump on `socket`: the payloads of its `replyType` messages (copies:
 * the datagrams are the package's). Rejects when the kernel refuses it.
 */
function dumpPayloads(
  socket: RawNetlinkSocket,
  requestType: typeof InterfaceMsgType.getLink | typeof InterfaceMsgType.getAddr,
  replyType: number,
  seq: number,
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const payloads: Buffer[] = [];
    const finish = (error: Error | null): void => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('error', onError);
      if (error === null) resolve(payloads);
      else reject(error);
    };
    const onMessage = (datagram: Buffer): void => {
      for (const message of splitMessages(datagram)) {
        if (message.seq !== seq) continue;
        if (message.type === replyType) payloads.push(Buffer.from(message.payload));
        else if (message.type === NlMsgType.done) finish(null);
        else if (message.type === NlMsgType.error && errorCode(message.payload) !== 0)
          finish(new Error(`kernel: ${what} dump refused: errno ${-errorCode(message.payload)}`));
      }
    };
    const onError = (error: Error): void => finish(error);
    const what = requestType === InterfaceMsgType.getLink ? 'link' : 'address';
    const timer = setTimeout(() => finish(new Error(`kernel: no end to the ${what} dump`)), DUMP_TIMEOUT_MS);
    socket.on('message', onMessage);
    socket.on('error', onError);
    socket.send(interfaceDumpRequest(requestType, seq), { port: 0 }, (error) => {
      if (error !== undefined) finish(error);
    });
  });
}
