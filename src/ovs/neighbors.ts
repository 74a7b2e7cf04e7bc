// Next-hop MACs for routed mode. The writer asks a NeighborResolver for the
// MAC of each next hop it programs; a resolver may also push changes so that
// a MAC that moves is reprogrammed without waiting for the writer's refresh.
//
// NetlinkNeighborResolver reads the kernel neighbour table of the namespace
// the agent runs in (rtnetlink RTM_GETNEIGH dumps and RTNLGRP_NEIGH
// notifications, npm `netlink`). When an entry is missing or not usable
// (INCOMPLETE/FAILED/NONE), or STALE, it makes the kernel resolve it by
// sending one UDP datagram to the next hop's discard port (9): the kernel
// must ARP/ND before it can transmit, and a STALE entry goes to
// DELAY/PROBE and back to REACHABLE. This needs no `ip neigh` process and no
// raw socket; the next hop may answer the datagram with ICMP port
// unreachable, which is harmless. (A netlink RTM_NEWNEIGH with
// NTF_EXT_MANAGED would also work on kernels >= 5.16 but needs the
// interface and is not in the `netlink` package's attribute set.)
import dgram from 'node:dgram';
import { isIPv4 } from 'node:net';
import { createRtNetlink, type RtNetlinkSocket, rt } from 'netlink';
import { canonicalIp, formatIpv4, formatIpv6 } from '../net/ip.js';

export interface NeighborResolver {
  /** The MAC (aa:bb:cc:dd:ee:ff) of `address`, resolving it if needed; null if it cannot be resolved now. */
  resolve(address: string): Promise<string | null>;
  /** Optional push of changes: the listener gets an address whose MAC changed, appeared or vanished. */
  subscribe?(listener: (address: string) => void): () => void;
  /** Releases sockets and timers. */
  close?(): void;
}

/** Fixed MACs (tests, or next hops with static ARP entries); set() pushes the change to subscribers. */
export class StaticNeighborResolver implements NeighborResolver {
  private readonly macs = new Map<string, string>();
  private readonly listeners = new Set<(address: string) => void>();

  constructor(entries: Readonly<Record<string, string>> = {}) {
    for (const [address, mac] of Object.entries(entries))
      this.macs.set(canonicalIp(address) ?? address, mac.toLowerCase());
  }

  async resolve(address: string): Promise<string | null> {
    return this.macs.get(canonicalIp(address) ?? address) ?? null;
  }

  set(address: string, mac: string | null): void {
    const key = canonicalIp(address) ?? address;
    if (mac === null) this.macs.delete(key);
    else this.macs.set(key, mac.toLowerCase());
    for (const listener of this.listeners) listener(key);
  }

  subscribe(listener: (address: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** NUD states (include/uapi/linux/neighbour.h) under which the entry's lladdr can be used. */
const USABLE_STATES = ['reachable', 'stale', 'delay', 'probe', 'permanent', 'noarp'] as const;

interface Entry {
  readonly mac: string;
  readonly usable: boolean;
  readonly stale: boolean;
}

export interface NetlinkNeighborResolverOptions {
  /** How long resolve() waits for a missing entry; default 1000 ms. */
  readonly resolveTimeoutMs?: number;
  /** Re-reads the table and re-probes tracked next hops that are not REACHABLE; default 30 s. 0 disables. */
  readonly refreshMs?: number;
}

function macText(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function addressText(family: number | undefined, bytes: Buffer | undefined): string | null {
  if (!bytes) return null;
  if (family === 2 && bytes.length === 4)
    return formatIpv4(
      ((bytes[0] ?? 0) * 0x1000000 + ((bytes[1] ?? 0) << 16) + ((bytes[2] ?? 0) << 8) + (bytes[3] ?? 0)) >>>
        0,
    );
  if (family === 10 && bytes.length === 16) return formatIpv6(bytes);
  return null;
}

export class NetlinkNeighborResolver implements NeighborResolver {
  private readonly requests: RtNetlinkSocket;
  private readonly events: RtNetlinkSocket;
  private readonly table = new Map<string, Entry>();
  private readonly tracked = new Set<string>();
  private readonly reported = new Map<string, string | null>();
  private readonly listeners = new Set<(address: string) => void>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly timer: NodeJS.Timeout | null;
  private closed = false;

  constructor(private readonly options: NetlinkNeighborResolverOptions = {}) {
    this.requests = createRtNetlink();
    this.events = createRtNetlink();
    this.events.addMembership('NEIGH');
    // The high-level 'message' event drops nlmsg_type (NEW vs DEL); read the raw socket.
    this.events.socket.on('message', (messages) => {
      for (const message of messages) {
        if (message.type !== rt.MessageType.NEWNEIGH && message.type !== rt.MessageType.DELNEIGH) continue;
        const parsed = rt.parseMessage(message.type, message.data);
        if (parsed.kind !== 'neighbor') continue;
        this.record(parsed, message.type === rt.MessageType.DELNEIGH);
      }
    });
    this.events.socket.unref?.();
    this.requests.socket.unref?.();
    const refreshMs = options.refreshMs ?? 30_000;
    this.timer = refreshMs > 0 ? setInterval(() => void this.refresh(), refreshMs) : null;
    this.timer?.unref();
  }

  async resolve(address: string): Promise<string | null> {
    const key = canonicalIp(address);
    if (key === null || this.closed) return null;
    this.tracked.add(key);
    let entry = this.table.get(key);
    if (!entry?.usable) {
      await this.dump();
      entry = this.table.get(key);
    }
    if (entry?.usable) {
      if (entry.stale) this.probe(key);
      this.reported.set(key, entry.mac);
      return entry.mac;
    }
    this.probe(key);
    const mac = await this.waitUsable(key, this.options.resolveTimeoutMs ?? 1000);
    this.reported.set(key, mac);
    return mac;
  }

  subscribe(listener: (address: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.requests.socket.close();
    this.events.socket.close();
  }

  /** One dump of the table; tracked next hops that are not REACHABLE are probed. */
  async refresh(): Promise<void> {
    if (this.closed) return;
    await this.dump();
    for (const key of this.tracked) {
      const entry = this.table.get(key);
      if (!entry?.usable || entry.stale) this.probe(key);
      this.notifyIfChanged(key);
    }
  }

  private async dump(): Promise<void> {
    try {
      const messages = await this.requests.getNeighbors();
      for (const message of messages) this.record(message, false);
    } catch {
      // A failed dump leaves the cache as it was; the next refresh retries.
    }
  }

  private record(message: rt.NeighborMessage, deleted: boolean): void {
    const key = addressText(message.data.family, message.attrs.dst);
    if (key === null) return;
    if (deleted) {
      this.table.delete(key);
    } else {
      const state = message.data.state ?? {};
      const lladdr = message.attrs.lladdr;
      const usable =
        lladdr !== undefined && lladdr.length === 6 && USABLE_STATES.some((s) => state[s] === true);
      if (lladdr !== undefined && lladdr.length === 6)
        this.table.set(key, { mac: macText(lladdr), usable, stale: state.stale === true });
      else this.table.set(key, { mac: '', usable: false, stale: false });
    }
    const waiting = this.waiters.get(key);
    if (waiting && this.table.get(key)?.usable) for (const wake of waiting) wake();
    if (this.tracked.has(key)) this.notifyIfChanged(key);
  }

  private notifyIfChanged(key: string): void {
    const entry = this.table.get(key);
    const mac = entry?.usable ? entry.mac : null;
    if (!this.reported.has(key) || this.reported.get(key) === mac) return;
    this.reported.set(key, mac);
    for (const listener of this.listeners) listener(key);
  }

  private waitUsable(key: string, timeoutMs: number): Promise<string | null> {
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) {
        set = new Set();
        this.waiters.set(key, set);
      }
      const done = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        set?.delete(done);
        if (set?.size === 0) this.waiters.delete(key);
        const entry = this.table.get(key);
        resolve(entry?.usable ? entry.mac : null);
      };
      const timer = setTimeout(done, timeoutMs);
      // Notifications are the fast path; a slow poll covers a missed one.
      const poll = setInterval(() => void this.dump(), Math.max(50, Math.floor(timeoutMs / 5)));
      set.add(done);
    });
  }

  /** One datagram to the discard port: the kernel resolves the next hop in order to send it. */
  private probe(key: string): void {
    if (this.closed) return;
    const socket = dgram.createSocket(isIPv4(key) ? 'udp4' : 'udp6');
    socket.on('error', () => socket.close());
    socket.send(Buffer.alloc(1), 9, key, () => socket.close());
    socket.unref();
  }
}
