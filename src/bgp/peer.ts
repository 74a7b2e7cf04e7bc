// One configured neighbor: its session (and, during a connection collision,
// a second one), collision resolution (RFC 4271 §6.8, RFC 6286 §2.3), the
// counters `neighbor show` prints, and the events the RIB consumes.

import type net from 'node:net';
import { parseIpv4 } from '../net/ip.js';
import type { AddPathMode } from './codec/capabilities.js';
import type { BgpError } from './codec/errors.js';
import { CeaseSubcode, ErrorCode, RouteRefreshSubtype } from './codec/iana.js';
import { type BgpMessageType, encodeMessage } from './codec/message.js';
import type { OpenMessage } from './codec/open.js';
import type { RouteRefreshMessage } from './codec/route-refresh.js';
import type { UpdateMessage } from './codec/update.js';
import { type AddressFamily, familyAfiSafi } from './family.js';
import {
  type DownReason,
  defaultFsmConfig,
  type FsmConfig,
  type FsmStateName,
  type NotificationSpec,
} from './fsm.js';
import {
  buildOpen,
  type GracefulRestartConfig,
  isNotification,
  type LocalOpenConfig,
  type NegotiatedSession,
  negotiate,
} from './negotiation.js';
import { Session, type SessionHooks, type TransportConfig } from './session.js';

export interface NeighborConfig {
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  readonly localAddress: string | null;
  readonly families: readonly AddressFamily[];
  readonly holdTimeSeconds: number;
  readonly connectRetrySeconds: number;
  readonly passive: boolean;
  readonly delayOpenSeconds: number;
  readonly password: string | null;
  readonly ttlSecurity: boolean;
  readonly addPath: AddPathMode | null;
  readonly routeReflectorClient: boolean;
  readonly description: string | null;
  /** Administratively down: configured but not started. */
  readonly shutdown: boolean;
  /** The peerGroups entry its settings come from. */
  readonly peerGroup?: string;
  /** Set for a dynamic neighbor: the listenRanges prefix its connection came from. */
  readonly listenRange?: string;
}

export interface LocalSpeakerConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly hostname: string | null;
  readonly gracefulRestart: GracefulRestartConfig | null;
  readonly extendedMessage: boolean;
}

/** What a peer reports to the rest of the agent (the RIB, metrics, logs). */
export interface PeerEvents {
  established(peer: Peer, negotiated: NegotiatedSession): void;
  down(peer: Peer, reason: DownReason): void;
  update(peer: Peer, update: UpdateMessage, errors: readonly BgpError[]): void;
  routeRefresh(peer: Peer, message: RouteRefreshMessage): void;
  writable(peer: Peer): void;
  /** An exception escaped work done for this neighbor; its session is being reset. */
  internalError(peer: Peer, error: unknown, where: string): void;
  stateChanged(peer: Peer, from: FsmStateName, to: FsmStateName, reason: DownReason | undefined): void;
  notification(
    peer: Peer,
    direction: 'sent' | 'received',
    code: number,
    subcode: number,
    detail: string,
    /** The NOTIFICATION's Data field (RFC 4271 §4.5), when it has one. */
    data?: Uint8Array,
  ): void;
}

/** Messages counted by direction and type since the peer was configured. */
export type MessageCounts = Record<'in' | 'out', Record<BgpMessageType, number>>;

function zeroCounts(): MessageCounts {
  const zero = (): Record<BgpMessageType, number> => ({
    open: 0,
    update: 0,
    notification: 0,
    keepalive: 0,
    routeRefresh: 0,
  });
  return { in: zero(), out: zero() };
}

export interface PeerStatus {
  readonly address: string;
  readonly asn: number;
  readonly state: FsmStateName;
  /** Since when the session has been Established, or down (ms since the epoch). */
  readonly stateSince: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly updatesIn: number;
  readonly updatesOut: number;
  readonly flaps: number;
  readonly lastError: string | null;
  readonly messageCounts: MessageCounts;
  readonly negotiated: NegotiatedSession | null;
  readonly localAddress: string | null;
  /** Octets queued for the socket in user space (see Session.outQueueBytes). */
  readonly outQueueBytes: number;
}

export class Peer {
  private session: Session | null = null;
  /** The second connection of a collision, until one of the two wins. */
  private contender: Session | null = null;
  private stateSince = Date.now();
  private lastError: string | null = null;
  /** Why the session is held down (BFD, RFC 5882 §4.2); null when it may run. */
  private heldBy: string | null = null;
  private flaps = 0;
  /** Counters of sessions that ended, so totals survive reconnects. */
  private readonly past = { messagesIn: 0, messagesOut: 0, updatesIn: 0, updatesOut: 0 };
  readonly messageCounts: MessageCounts = zeroCounts();

  constructor(
    readonly config: NeighborConfig,
    private readonly local: LocalSpeakerConfig,
    private readonly events: PeerEvents,
  ) {}

  get address(): string {
    return this.config.address;
  }

  get isInternal(): boolean {
    return this.config.asn === this.local.asn;
  }

  get state(): FsmStateName {
    return this.session?.state ?? 'idle';
  }

  /** The Established session, if any. */
  get established(): Session | null {
    return this.session !== null && this.session.state === 'established' ? this.session : null;
  }

  private fsmConfig(): FsmConfig {
    return {
      ...defaultFsmConfig,
      passive: this.config.passive,
      delayOpenSeconds: this.config.delayOpenSeconds,
      connectRetrySeconds: this.config.connectRetrySeconds,
      holdTimeSeconds: this.config.holdTimeSeconds,
    };
  }

  private transport(): TransportConfig {
    return {
      peerAddress: this.config.address,
      peerPort: this.config.port,
      localAddress: this.config.localAddress,
      password: this.config.password,
      ttlSecurity: this.config.ttlSecurity,
    };
  }

  localOpenConfig(): LocalOpenConfig {
    return {
      asn: this.local.asn,
      routerId: this.local.routerId,
      holdTimeSeconds: this.config.holdTimeSeconds,
      families: this.config.families,
      addPath: this.config.addPath,
      gracefulRestart: this.local.gracefulRestart,
      extendedMessage: this.local.extendedMessage,
      hostname: this.local.hostname,
      peerAsn: this.config.asn,
    };
  }

  private newSession(direction: 'outbound' | 'inbound'): Session {
    return new Session(direction, this.transport(), this.fsmConfig(), this.hooks());
  }

  /** ManualStart (RFC 4271 §8.1.2 event 1, or 4 when passive). */
  start(): void {
    if (this.config.shutdown || this.heldBy !== null) return;
    if (this.session === null || this.session.isDestroyed) this.session = this.newSession('outbound');
    this.session.handle({ type: this.config.passive ? 'ManualStartPassive' : 'ManualStart' });
  }

  /** ManualStop with a Cease subcode, an RFC 9003 message, and NOTIFICATION data (RFC 4486 §4 for 6/1). */
  stop(subcode: number = CeaseSubcode.administrativeShutdown, message?: string, data?: Uint8Array): void {
    const event = {
      type: 'ManualStop' as const,
      subcode,
      ...(message !== undefined ? { message } : {}),
      ...(data !== undefined ? { data } : {}),
    };
    this.contender?.handle(event);
    this.contender?.destroy();
    this.contender = null;
    this.session?.handle(event);
  }

  /**
   * Keeps the session down (no connects, incoming connections refused) until
   * release(): BFD says the path to this neighbor is broken (RFC 5882 §4.2).
   * The caller closes a running session itself (stop with Cease/BFD Down).
   */
  hold(reason: string): void {
    this.heldBy = reason;
    this.lastError = reason;
  }

  /** Ends a hold and starts the session again (unless shut down by configuration). */
  release(): void {
    if (this.heldBy === null) return;
    this.heldBy = null;
    this.start();
  }

  /** Why the session is held down, or null. */
  get held(): string | null {
    return this.heldBy;
  }

  /** True while some connection to the neighbor exists (the session's or a contender's). */
  get connected(): boolean {
    return (this.session?.connected ?? false) || (this.contender?.connected ?? false);
  }

  /** Stopped by an operator (agentctl neighbor disable) or by configuration (shutdown). */
  get disabled(): boolean {
    if (this.config.shutdown) return true;
    const session = this.session;
    return session !== null && !session.isDestroyed && !session.fsmState.enabled && session.state === 'idle';
  }

  /**
   * Asks the neighbor to send a family again (RFC 2918 ROUTE-REFRESH);
   * false unless Established with route refresh and that family.
   */
  requestRefresh(family: AddressFamily): boolean {
    const session = this.established;
    const negotiated = session?.negotiated;
    if (session === null || negotiated == null || !negotiated.routeRefresh) return false;
    if (!negotiated.families.includes(family)) return false;
    const { afi, safi } = familyAfiSafi(family);
    session.send({ type: 'routeRefresh', afi, safi, subtype: RouteRefreshSubtype.normal });
    return true;
  }

  /**
   * Resets the current session after an internal error in work done for it
   * outside the session (the Adj-RIB-Out, a routing timer): Cease/Out of
   * Resources, and the session comes back by itself.
   */
  resetAfterInternalError(where: string): void {
    const session = this.session;
    if (session === null || session.isDestroyed) return;
    session.resetAfterInternalError(where);
  }

  /**
   * Drops the connection without a NOTIFICATION, as a crash would: a Graceful
   * Restart peer keeps our routes as stale (RFC 4724 §4.2: only a TCP failure
   * does), so forwarding goes on while the agent restarts.
   */
  abandon(): void {
    this.contender?.destroy();
    this.contender = null;
    this.session?.destroy();
    this.session = null;
  }

  /** Stops and forgets everything (the neighbor was removed or replaced). */
  dispose(subcode: number = CeaseSubcode.peerDeconfigured, message?: string): void {
    this.stop(subcode, message);
    this.session?.destroy();
    this.session = null;
  }

  /**
   * An incoming connection from this neighbor. Idle (even while holding off
   * after a failure), Connect and Active take it as their connection; in
   * OpenSent, OpenConfirm and Established it becomes a contender whose OPEN
   * decides: collision resolution (RFC 4271 §6.8), or, when an Established
   * Graceful Restart peer's OPEN has the Restart bit, the replacement of the
   * old session (RFC 4724 §4.2); otherwise Cease/Collision for the newcomer.
   */
  accept(socket: net.Socket): void {
    if (this.config.shutdown) {
      rejectSocket(socket, CeaseSubcode.administrativeShutdown);
      return;
    }
    if (this.heldBy !== null) {
      // RFC 9384: the path is down as far as BFD knows; the peer may retry later.
      rejectSocket(socket, CeaseSubcode.bfdDown);
      return;
    }
    try {
      Session.prepareAccepted(socket, this.transport());
    } catch (error) {
      this.lastError = `GTSM on accepted socket: ${(error as Error).message}`;
      socket.destroy();
      return;
    }
    const current = this.session;
    if (current === null || current.isDestroyed) {
      this.session = this.newSession('inbound');
      this.session.handle({ type: 'ManualStartPassive' });
      this.session.attach(socket);
      return;
    }
    switch (current.state) {
      case 'idle':
        if (!current.fsmState.enabled) {
          rejectSocket(socket, CeaseSubcode.administrativeShutdown);
          return;
        }
        current.handle({ type: 'AutomaticStartPassive' });
        current.attach(socket);
        return;
      case 'connect':
      case 'active':
        current.attach(socket);
        return;
      case 'openSent':
      case 'openConfirm':
      case 'established': {
        // Tracked until its OPEN says what it is: a collision (RFC 4271 §6.8)
        // or, against an Established session, the peer's restart (RFC 4724 §4.2).
        this.contender?.destroy();
        const contender = this.newSession('inbound');
        this.contender = contender;
        contender.handle({ type: 'ManualStartPassive' });
        contender.attach(socket);
        return;
      }
      default: {
        const unreachable: never = current.state;
        throw new Error(`unknown state ${String(unreachable)}`);
      }
    }
  }

  status(): PeerStatus {
    const session = this.session;
    const counters = session?.counters;
    return {
      address: this.config.address,
      asn: this.config.asn,
      state: this.state,
      stateSince: this.stateSince,
      messagesIn: this.past.messagesIn + (counters?.messagesIn ?? 0),
      messagesOut: this.past.messagesOut + (counters?.messagesOut ?? 0),
      updatesIn: this.past.updatesIn + (counters?.updatesIn ?? 0),
      updatesOut: this.past.updatesOut + (counters?.updatesOut ?? 0),
      flaps: this.flaps,
      lastError: this.lastError,
      messageCounts: this.messageCounts,
      negotiated: this.established?.negotiated ?? null,
      localAddress: this.established?.localAddress ?? null,
      outQueueBytes: session?.outQueueBytes ?? 0,
    };
  }

  /** RFC 4271 §6.8 and RFC 6286 §2.3: which of two connections survives. */
  private collisionLoser(a: Session, b: Session, remoteId: string, remoteAsn: number): Session {
    const localId = parseIpv4(this.local.routerId) ?? 0;
    const peerId = parseIpv4(remoteId) ?? 0;
    // The connection initiated by the speaker with the higher identifier
    // (or, identifiers equal, the higher AS) survives.
    const keepOurs = localId !== peerId ? localId > peerId : this.local.asn > remoteAsn;
    const ours = a.direction === 'outbound' ? a : b;
    const theirs = ours === a ? b : a;
    return keepOurs ? theirs : ours;
  }

  /** Ends a connection that is no longer the peer's, keeping its counts (idempotent). */
  private retire(session: Session): void {
    if (session.isDestroyed) return;
    this.past.messagesIn += session.counters.messagesIn;
    this.past.messagesOut += session.counters.messagesOut;
    this.past.updatesIn += session.counters.updatesIn;
    this.past.updatesOut += session.counters.updatesOut;
    session.destroy();
  }

  private hooks(): SessionHooks {
    return {
      localOpen: (): OpenMessage => buildOpen(this.localOpenConfig()),
      receivedOpen: (session, open) => {
        const outcome = negotiate(this.localOpenConfig(), open);
        if (isNotification(outcome)) {
          this.lastError = outcome.reason;
          return outcome;
        }
        const other = session === this.session ? this.contender : this.session;
        if (
          session === this.contender &&
          (other === null ||
            other.isDestroyed ||
            !(other.state === 'openSent' || other.state === 'openConfirm' || other.state === 'established'))
        ) {
          // The peer's connection failed while this one waited for its OPEN
          // (the peer gave up on it and connected again): there is nothing to
          // collide with, so this connection becomes the peer's session.
          // Left a contender, it would reach Established unseen by the RIB
          // while the neighbor showed Active.
          this.session = session;
          this.contender = null;
          if (other !== null) this.retire(other);
          return outcome;
        }
        if (
          other !== null &&
          !other.isDestroyed &&
          (other.state === 'openSent' || other.state === 'openConfirm')
        ) {
          const loser = this.collisionLoser(session, other, outcome.peerRouterId, outcome.peerAsn);
          if (loser === session) {
            // This connection loses. If it was the peer's session, the other
            // one takes its place now; the loser is retired once it is Idle.
            if (session === this.session) {
              this.session = other;
              this.contender = null;
            }
            return 'collision-dump';
          }
          // The winner becomes the peer's session before the loser is told,
          // so the loser's last transitions are not reported as the peer's.
          this.session = session;
          this.contender = null;
          other.handle({ type: 'OpenCollisionDump' });
          this.retire(other);
        } else if (other !== null && !other.isDestroyed && other.state === 'established') {
          const restarted = open.parameters.some(
            (p) =>
              p.type === 'capabilities' &&
              p.capabilities.some((c) => c.kind === 'graceful-restart' && c.restarting),
          );
          if (session === this.contender && restarted && other.negotiated?.gracefulRestart != null) {
            // RFC 4724 §4.2: the peer restarted (R bit) while we still held its
            // session: the old one ends as if its TCP connection had failed
            // (its routes become stale), and the new one carries on.
            other.handle({ type: 'TcpConnectionFails' });
            this.retire(other);
            this.session = session;
            this.contender = null;
            return outcome;
          }
          // Otherwise the Established session stays (CollisionDetectEstablishedState is false).
          return 'collision-dump';
        }
        return outcome;
      },
      stateChanged: (session, from, to, reason) => {
        if (session !== this.session) {
          // A contender, or a connection that lost a collision, is finished
          // once its TCP connection is: in Idle (it must not come back through
          // its idle-hold restart), and in Active when its connection failed
          // in OpenSent (RFC 4271 §8.2.2 event 18), where its ConnectRetryTimer
          // would make it connect to the peer on its own. Connecting is the
          // session's job: a second connection from us to a Graceful Restart
          // peer whose session is Established reads as our restart (RFC 4724
          // §4.2), and BIRD resets the session for it.
          if (to === 'idle' || (to === 'active' && from !== 'idle')) {
            this.retire(session);
            if (session === this.contender) this.contender = null;
          }
          return;
        }
        if (to === 'established' || from === 'established') this.stateSince = Date.now();
        if (reason !== undefined && from !== 'idle') {
          const osError = reason.kind === 'connection-failed' ? session.lastSocketError : null;
          this.lastError = `${describeReason(reason)}${osError !== null ? `: ${osError}` : ''}`;
        }
        this.events.stateChanged(this, from, to, reason);
      },
      established: (session) => {
        const negotiated = session.negotiated;
        if (session === this.session && negotiated !== null) this.events.established(this, negotiated);
      },
      down: (session, reason) => {
        if (session !== this.session) return;
        this.flaps++;
        this.events.down(this, reason);
      },
      update: (session, update, errors) => {
        if (session === this.session) this.events.update(this, update, errors);
      },
      routeRefresh: (session, message) => {
        if (session === this.session) this.events.routeRefresh(this, message);
      },
      notification: (_session, direction, code, subcode, detail, data) => {
        this.events.notification(this, direction, code, subcode, detail, data);
      },
      writable: (session) => {
        if (session === this.session) this.events.writable(this);
      },
      messageCounted: (_session, direction, type, count = 1) => {
        this.messageCounts[direction][type] += count;
      },
      internalError: (_session, error, where) => this.events.internalError(this, error, where),
    };
  }
}

/** Refuses a connection with a Cease NOTIFICATION (RFC 4486), without an OPEN. */
export function rejectSocket(socket: net.Socket, subcode: number): void {
  socket.on('error', () => {});
  socket.end(
    encodeMessage({ type: 'notification', code: ErrorCode.cease, subcode, data: new Uint8Array(0) }),
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}

export function describeReason(reason: DownReason): string {
  switch (reason.kind) {
    case 'admin-stop':
      return reason.subcode === CeaseSubcode.bfdDown
        ? `BFD down (Cease/${reason.subcode})`
        : `administrative stop (Cease/${reason.subcode})`;
    case 'automatic-stop':
      return `automatic stop (Cease/${reason.subcode})`;
    case 'hold-timer-expired':
      return 'hold timer expired';
    case 'connection-failed':
      return 'TCP connection failed or closed';
    case 'notification-received':
      return `NOTIFICATION received ${reason.code}/${reason.subcode}`;
    case 'notification-sent':
      return `NOTIFICATION sent ${reason.code}/${reason.subcode}: ${reason.reason}`;
    case 'collision':
      return 'connection collision resolution';
    case 'fsm-error':
      return `FSM error on ${reason.event}`;
    default: {
      const unreachable: never = reason;
      return String(unreachable);
    }
  }
}

export type { NotificationSpec };
