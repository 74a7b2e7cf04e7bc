// The kernel's notifications, on a socket of their own: links, addresses
// and routes of both families, turned into three events for the writer
// (the view changed, one of our routes changed, messages were lost).
//
// The socket is hardened (socket-options.ts says why): NETLINK_NO_ENOBUFS,
// so that an overflow drops messages instead of aborting the process inside
// the netlink package, and a filter that drops the echoes of the command
// socket's writes in the kernel. Dropped messages are then only counted by
// the kernel (/proc/self/net/netlink), which is read once a second; after
// notifications were dropped, the socket is replaced by a fresh one (see
// watchDrops) and the writer reads everything again.

import { RawNetlinkSocket } from './raw-socket.js';
import {
  NETLINK_ROUTE,
  NlMsgType,
  peekRoute,
  type RoutePeek,
  RtnlGroup,
  routePeek,
  splitMessages,
} from './rtnetlink.js';
import { dropMessagesFromPort, netlinkDescriptor, netlinkTable, setNoEnobufs } from './socket-options.js';
import type { RouteOwner, WriterLog } from './types.js';

export interface MonitorEvents {
  /** Links, addresses or another protocol's main-table route changed: next hops may resolve differently. */
  viewChanged(): void;
  /** A route with our protocol in our table changed; `peek` and `payload` are valid during the call only. */
  ownedRouteChanged(peek: RoutePeek, payload: Buffer, deleted: boolean): void;
  /** The kernel dropped messages for us: compare everything (and read the view again when notifications were lost). */
  lost(notificationsLost: boolean): void;
}

/** The main table: where other protocols' routes that carry our next hops live. */
const RT_TABLE_MAIN = 254;
const MONITOR_RECEIVE_BYTES = 8 << 20;
const DROPS_POLL_MS = 1000;

/** One datagram of notifications to events. Allocates nothing for routes that are not ours. */
export function dispatchNotifications(
  datagram: Buffer,
  owner: RouteOwner,
  peek: RoutePeek,
  events: MonitorEvents,
): void {
  for (const message of splitMessages(datagram)) {
    switch (message.type) {
      case NlMsgType.newLink:
      case NlMsgType.delLink:
      case NlMsgType.newAddr:
      case NlMsgType.delAddr:
        events.viewChanged();
        break;
      case NlMsgType.newRoute:
      case NlMsgType.delRoute: {
        if (!peekRoute(message.payload, peek)) break;
        if (peek.protocol !== owner.protocol || peek.table !== owner.table) {
          // Another protocol's route: it may carry (or stop carrying) a next hop of ours.
          if (peek.table === RT_TABLE_MAIN) events.viewChanged();
          break;
        }
        events.ownedRouteChanged(peek, message.payload, message.type === NlMsgType.delRoute);
        break;
      }
      default:
        break;
    }
  }
}

export class RouteMonitor {
  private socket: RawNetlinkSocket | null = null;
  private port = 0;
  private dropsTimer: NodeJS.Timeout | null = null;
  /** Kernel drop counts of the command socket and of the current monitor socket when last looked at. */
  private drops = { command: 0, monitor: 0 };
  /** The filter drops the echoes of our writes in the kernel (see socket-options.ts); else they arrive. */
  echoesFiltered = false;
  private readonly peek = routePeek();

  private constructor(
    private readonly owner: RouteOwner,
    private readonly command: { readonly port: number; readonly hardenError: string | null },
    private readonly events: MonitorEvents,
    private readonly log: WriterLog,
  ) {}

  /**
   * Subscribes to the notifications and hardens the socket. `command` is
   * the command socket: its port id is what the echo filter drops, and its
   * own hardening (done in its worker) decides whether drops are watched.
   */
  static open(
    owner: RouteOwner,
    command: { readonly port: number; readonly hardenError: string | null },
    events: MonitorEvents,
    log: WriterLog,
  ): RouteMonitor {
    const monitor = new RouteMonitor(owner, command, events, log);
    if (monitor.subscribe()) {
      monitor.dropsTimer = setInterval(() => monitor.watchDrops(), DROPS_POLL_MS);
      monitor.dropsTimer.unref();
    }
    return monitor;
  }

  /** A new, hardened socket in place of the current one (closed after). Returns whether it is hardened. */
  private subscribe(): boolean {
    const socket = new RawNetlinkSocket(NETLINK_ROUTE, {
      recvBufferSize: MONITOR_RECEIVE_BYTES,
      sendBufferSize: 1 << 16,
    });
    for (const group of [
      RtnlGroup.link,
      RtnlGroup.ipv4Ifaddr,
      RtnlGroup.ipv6Ifaddr,
      RtnlGroup.ipv4Route,
      RtnlGroup.ipv6Route,
    ]) {
      socket.addMembership(group);
    }
    socket.on('message', (datagram: Buffer) =>
      dispatchNotifications(datagram, this.owner, this.peek, this.events),
    );
    socket.on('error', (error) => {
      // ENOBUFS: notifications were lost; a full comparison finds whatever changed.
      this.log.warn({ error: error.message }, 'kernel: notifications lost, reconciling');
      this.events.lost(true);
    });
    this.socket?.close();
    this.socket = socket;
    this.port = socket.address().port;
    this.drops.monitor = 0;
    try {
      if (this.command.hardenError !== null) throw new Error(this.command.hardenError);
      const fd = netlinkDescriptor(this.port);
      setNoEnobufs(fd);
      dropMessagesFromPort(fd, this.command.port);
      this.echoesFiltered = true;
    } catch (error) {
      this.echoesFiltered = false;
      this.log.warn(
        { error: (error as Error).message },
        'kernel: could not set netlink socket options; a notification overflow may stop the agent',
      );
    }
    return this.echoesFiltered;
  }

  /**
   * Messages the kernel could not queue for us: lost notifications or
   * error reports mean a full comparison. When notifications were lost, the
   * socket's queue is full of stale ones (thousands, read 32 a turn of the
   * event loop): a fresh socket drops them at once, so that the next hand
   * edit is not read seconds late, and the full read that follows covers
   * whatever they said.
   */
  private watchDrops(): void {
    const table = netlinkTable();
    const command = table.get(this.command.port)?.drops ?? 0;
    const monitor = table.get(this.port)?.drops ?? 0;
    if (command === this.drops.command && monitor === this.drops.monitor) return;
    this.log.warn(
      { notifications: monitor - this.drops.monitor, replies: command - this.drops.command },
      'kernel: netlink messages dropped, reconciling',
    );
    this.drops.command = command;
    this.drops.monitor = monitor;
    const notificationsLost = monitor > 0;
    if (notificationsLost && !this.subscribe()) this.stopWatching();
    this.events.lost(notificationsLost);
  }

  private stopWatching(): void {
    if (this.dropsTimer !== null) clearInterval(this.dropsTimer);
    this.dropsTimer = null;
  }

  close(): void {
    this.stopWatching();
    this.socket?.close();
    this.socket = null;
  }
}
