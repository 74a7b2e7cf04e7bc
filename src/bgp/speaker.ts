// The set of peers and the listening sockets: accepts connections and hands
// each to its neighbor, keeps TCP MD5 keys on the listeners, and applies a
// new configuration as a difference (new peers start, removed ones get
// Cease/Peer De-configured, changed ones restart, the rest stay up).

import net from 'node:net';
import { canonicalIp, ipFamilyOf } from '../net/ip.js';
import { CeaseSubcode } from './codec/iana.js';
import { type ListenRangeSpec, matchListenRange } from './listen-ranges.js';
import { type LocalSpeakerConfig, type NeighborConfig, Peer, type PeerEvents, rejectSocket } from './peer.js';
import { descriptorOf, setListenerTtl, setMd5Key } from './socket-options.js';

export interface ListenConfig {
  readonly address: string;
  /** 0: do not listen (every session is then active). */
  readonly port: number;
}

/** Connections from `prefix` become neighbors with `template`'s settings (dynamic neighbors). */
export interface DynamicRange extends ListenRangeSpec {
  readonly peerGroup: string;
  /** The group's settings, address empty, listenRange set, passive. */
  readonly template: NeighborConfig;
}

export interface SpeakerConfig {
  readonly local: LocalSpeakerConfig;
  readonly listen: ListenConfig;
  readonly neighbors: readonly NeighborConfig[];
  readonly listenRanges?: readonly DynamicRange[];
}

/** The neighbor a connection from `address` in `range` becomes. */
export function dynamicNeighborOf(range: DynamicRange, address: string): NeighborConfig {
  return { ...range.template, address };
}

export interface SpeakerLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
}

interface Listener {
  readonly family: 4 | 6;
  readonly server: net.Server;
  /** Neighbor addresses whose MD5 key is on this listener, with the key. */
  readonly keys: Map<string, string>;
  /** Sends with TTL 255 for GTSM neighbors (RFC 5082). */
  ttl255: boolean;
}

/** The family of an address, or of a prefix (a listen range's, in listenerNeighbors). */
function familyOf(addressOrPrefix: string): 4 | 6 | null {
  return ipFamilyOf(addressOrPrefix.split('/')[0] ?? '');
}

/** The address a connection came from, as configured (IPv4-mapped IPv6 unwrapped). */
function remoteOf(socket: net.Socket): string | null {
  const address = socket.remoteAddress;
  if (address === undefined) return null;
  const unmapped = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  return canonicalIp(unmapped);
}

function sameNeighbor(a: NeighborConfig, b: NeighborConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameLocal(a: LocalSpeakerConfig, b: LocalSpeakerConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Told when a peer object is created or dropped (the routing side registers it). */
export interface PeerLifecycle {
  added(peer: Peer): void;
  removed(peer: Peer): void;
}

const noLifecycle: PeerLifecycle = { added: () => {}, removed: () => {} };

export class Speaker {
  private readonly peers = new Map<string, Peer>();
  private listeners: Listener[] = [];
  private config: SpeakerConfig;

  constructor(
    config: SpeakerConfig,
    private readonly events: PeerEvents,
    private readonly log: SpeakerLog,
    private readonly lifecycle: PeerLifecycle = noLifecycle,
  ) {
    this.config = config;
  }

  get local(): LocalSpeakerConfig {
    return this.config.local;
  }

  /** Replaces our local settings before start() (e.g. the graceful-restart bits once known). */
  setLocal(local: LocalSpeakerConfig): void {
    this.config = { ...this.config, local };
  }

  allPeers(): Peer[] {
    return [...this.peers.values()];
  }

  peer(address: string): Peer | undefined {
    const canonical = canonicalIp(address);
    return canonical === null ? undefined : this.peers.get(canonical);
  }

  /** Listens (throws on EADDRINUSE and the like, before any session starts) and starts every peer. */
  async start(): Promise<void> {
    await this.listen(this.config.listen, this.listenerNeighbors(this.config));
    for (const neighbor of this.config.neighbors) this.addPeer(neighbor);
  }

  /**
   * What the listeners serve: the configured neighbors and, for each listen
   * range, its template at the range's prefix (an IPv6 range needs the IPv6
   * listener; its MD5 key and GTSM go on the listener for the whole prefix).
   */
  private listenerNeighbors(config: SpeakerConfig): NeighborConfig[] {
    return [
      ...config.neighbors,
      ...(config.listenRanges ?? []).map((range) => ({ ...range.template, address: range.prefix })),
    ];
  }

  /** Dynamic neighbors from the listen range `prefix` now. */
  dynamicMembers(prefix: string): number {
    let count = 0;
    for (const peer of this.peers.values()) if (peer.config.listenRange === prefix) count++;
    return count;
  }

  /**
   * Forgets a dynamic neighbor whose session ended (its routes go with it,
   * through the lifecycle). False when `address` is not a dynamic neighbor.
   */
  removeDynamic(address: string): boolean {
    const key = canonicalIp(address) ?? address;
    const peer = this.peers.get(key);
    if (peer?.config.listenRange === undefined) return false;
    peer.dispose();
    this.peers.delete(key);
    this.lifecycle.removed(peer);
    return true;
  }

  private addPeer(neighbor: NeighborConfig): void {
    const key = canonicalIp(neighbor.address) ?? neighbor.address;
    const peer = new Peer(neighbor, this.config.local, this.events);
    this.peers.set(key, peer);
    this.lifecycle.added(peer);
    peer.start();
  }

  private async listen(listen: ListenConfig, neighbors: readonly NeighborConfig[]): Promise<void> {
    if (listen.port === 0) return;
    const any = listen.address === '0.0.0.0' || listen.address === '::';
    const families: (4 | 6)[] = any
      ? [
          4,
          ...(neighbors.some((n) => familyOf(n.address) === 6) || listen.address === '::'
            ? [6 as const]
            : []),
        ]
      : [familyOf(listen.address) ?? 4];
    for (const family of families) {
      const host = any ? (family === 4 ? '0.0.0.0' : '::') : listen.address;
      const server = net.createServer({ pauseOnConnect: false }, (socket) => this.onConnection(socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port: listen.port, ipv6Only: family === 6 }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (error) => this.log.warn({ err: error.message, host }, 'listener error'));
      this.listeners.push({ family, server, keys: new Map(), ttl255: false });
      this.log.info({ address: host, port: listen.port }, 'listening for BGP connections');
    }
    this.syncListenerOptions(neighbors);
  }

  /**
   * Puts each neighbor's TCP MD5 key on the listener of its family, removes
   * stale ones, and sends with TTL 255 once a GTSM neighbor needs it.
   */
  private syncListenerOptions(neighbors: readonly NeighborConfig[]): void {
    for (const listener of this.listeners) {
      const wanted = new Map<string, string>();
      for (const neighbor of neighbors) {
        if (neighbor.password !== null && familyOf(neighbor.address) === listener.family) {
          wanted.set(neighbor.address, neighbor.password);
        }
      }
      const fd = descriptorOf(listener.server);
      if (
        !listener.ttl255 &&
        neighbors.some((n) => n.ttlSecurity && familyOf(n.address) === listener.family)
      ) {
        setListenerTtl(fd, listener.family);
        listener.ttl255 = true;
      }
      for (const [address, key] of listener.keys) {
        if (wanted.get(address) !== key) {
          setMd5Key(fd, address, ''); // an empty key deletes it
          listener.keys.delete(address);
        }
      }
      for (const [address, key] of wanted) {
        if (listener.keys.get(address) !== key) {
          setMd5Key(fd, address, key);
          listener.keys.set(address, key);
        }
      }
    }
  }

  private onConnection(socket: net.Socket): void {
    const remote = remoteOf(socket);
    const peer = remote === null ? undefined : (this.peers.get(remote) ?? this.dynamicPeer(remote, socket));
    if (peer === undefined) return;
    try {
      peer.accept(socket);
    } catch (error) {
      // A bug while taking the connection: refuse it, keep listening.
      this.log.warn(
        { neighbor: peer.address, err: String(error) },
        'internal error accepting a connection; closed',
      );
      socket.destroy();
    }
  }

  /**
   * A connection from an address no neighbor has: a neighbor from the most
   * specific listen range containing it, or refused (socket closed; at the
   * range's limit with Cease/Connection Rejected, RFC 4486 §4).
   */
  private dynamicPeer(remote: string, socket: net.Socket): Peer | undefined {
    if (this.config.neighbors.some((n) => (canonicalIp(n.address) ?? n.address) === remote)) {
      // A configured neighbor not added yet (a reload is reopening the
      // listeners): never a dynamic one; it connects again in a moment.
      socket.destroy();
      return undefined;
    }
    const match = matchListenRange(this.config.listenRanges ?? [], remote, (range) =>
      this.dynamicMembers(range.prefix),
    );
    switch (match.kind) {
      case 'none':
        this.log.debug({ remote: socket.remoteAddress }, 'connection from an unconfigured address refused');
        socket.destroy();
        return undefined;
      case 'full':
        this.log.warn(
          { remote, listenRange: match.range.prefix, limit: match.range.limit },
          `connection from ${remote} refused: listen range ${match.range.prefix} has its limit of ${match.range.limit} neighbors`,
        );
        rejectSocket(socket, CeaseSubcode.connectionRejected);
        return undefined;
      case 'accept': {
        if (match.range.template.shutdown) {
          // A shut-down group's neighbors are refused before they exist (no state kept for them).
          rejectSocket(socket, CeaseSubcode.administrativeShutdown);
          return undefined;
        }
        const neighbor = dynamicNeighborOf(match.range, remote);
        this.log.info(
          { neighbor: remote, listenRange: match.range.prefix, peerGroup: match.range.peerGroup },
          `dynamic neighbor ${remote} from listen range ${match.range.prefix} (peer group ${match.range.peerGroup})`,
        );
        this.addPeer(neighbor);
        return this.peers.get(remote);
      }
      default: {
        const unreachable: never = match;
        throw new Error(`unknown listen range match ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * Applies a new configuration. Returns what changed. A change of the local
   * AS, router ID or listener restarts everything; otherwise only neighbors
   * whose configuration changed restart.
   */
  async reconfigure(
    next: SpeakerConfig,
  ): Promise<{ added: string[]; removed: string[]; restarted: string[] }> {
    const previous = this.config;
    const result = { added: [] as string[], removed: [] as string[], restarted: [] as string[] };
    const globalChange =
      !sameLocal(previous.local, next.local) ||
      previous.listen.address !== next.listen.address ||
      previous.listen.port !== next.listen.port;
    this.config = next;
    const nextByAddress = new Map(next.neighbors.map((n) => [canonicalIp(n.address) ?? n.address, n]));
    const nextRanges = new Map((next.listenRanges ?? []).map((range) => [range.prefix, range]));
    for (const [address, peer] of this.peers) {
      const range = peer.config.listenRange;
      if (range !== undefined && !nextByAddress.has(address)) {
        // A dynamic neighbor stays while its range and group settings do;
        // otherwise it goes, and comes back with the new ones when it reconnects.
        const still = nextRanges.get(range);
        if (
          still !== undefined &&
          !globalChange &&
          sameNeighbor(peer.config, dynamicNeighborOf(still, address))
        )
          continue;
        peer.dispose(
          still === undefined ? CeaseSubcode.peerDeconfigured : CeaseSubcode.otherConfigurationChange,
          still === undefined ? 'listen range removed from configuration' : 'configuration changed',
        );
        this.peers.delete(address);
        this.lifecycle.removed(peer);
        result.removed.push(address);
        continue;
      }
      const wanted = nextByAddress.get(address);
      if (wanted === undefined) {
        peer.dispose(CeaseSubcode.peerDeconfigured, 'neighbor removed from configuration');
        this.peers.delete(address);
        this.lifecycle.removed(peer);
        result.removed.push(address);
      } else if (globalChange || !sameNeighbor(peer.config, wanted)) {
        peer.dispose(CeaseSubcode.otherConfigurationChange, 'configuration changed');
        this.peers.delete(address);
        this.lifecycle.removed(peer);
        result.restarted.push(address);
      }
    }
    const served = this.listenerNeighbors(next);
    if (globalChange) {
      await this.closeListeners();
      await this.listen(next.listen, served);
    } else {
      this.syncListenerOptions(served);
      // A first IPv6 neighbor (or range) needs the IPv6 listener.
      const needsV6 = served.some((n) => familyOf(n.address) === 6);
      const any = next.listen.address === '0.0.0.0' || next.listen.address === '::';
      if (any && needsV6 && next.listen.port !== 0 && !this.listeners.some((l) => l.family === 6)) {
        await this.closeListeners();
        await this.listen(next.listen, served);
      }
    }
    for (const [address, neighbor] of nextByAddress) {
      if (!this.peers.has(address)) {
        if (!result.restarted.includes(address)) result.added.push(address);
        this.addPeer(neighbor);
      }
    }
    return result;
  }

  /**
   * Closes the listening sockets. Not waiting for the server's 'close'
   * event: Node fires it only once every connection it accepted has ended,
   * and those are live BGP sessions (a reload that reopens the listeners
   * would wait for them forever). The port is free once close() returns.
   */
  private async closeListeners(): Promise<void> {
    for (const listener of this.listeners) listener.server.close();
    this.listeners = [];
  }

  /**
   * Closes every session without a NOTIFICATION and the listeners: to the
   * peers the agent went away as if it had crashed, so the ones with Graceful
   * Restart keep forwarding to it until it is back (RFC 4724 §4.2).
   */
  async close(): Promise<void> {
    for (const peer of this.peers.values()) peer.abandon();
    await this.closeListeners();
    for (const peer of this.peers.values()) this.lifecycle.removed(peer);
    this.peers.clear();
  }

  /**
   * Cease/Administrative Shutdown (RFC 8203/9003 message) to every peer, then
   * closes the listeners. Resolves once the NOTIFICATIONs had a moment to leave.
   */
  async stop(message = 'agent shutting down'): Promise<void> {
    for (const peer of this.peers.values()) peer.stop(CeaseSubcode.administrativeShutdown, message);
    await this.closeListeners();
    // Give the kernel the queued NOTIFICATIONs before the process exits.
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const peer of this.peers.values()) {
      peer.dispose();
      this.lifecycle.removed(peer);
    }
    this.peers.clear();
  }
}
