// One BGP session: the FSM of one TCP connection, run against a real socket.
// The session executes the FSM's actions (connect, write, arm a timer, close)
// and turns what happens (socket events, timer expiry, decoded messages) back
// into FSM events. What a message means for routing is the peer's business:
// the session hands OPENs, UPDATEs and ROUTE-REFRESHes to its hooks.

import net from 'node:net';
import { ipFamilyOf } from '../net/ip.js';
import { type CodecContext, codecContext } from './codec/context.js';
import type { BgpError } from './codec/errors.js';
import { CeaseSubcode, ErrorCode, MAX_MESSAGE_LENGTH, OpenSubcode } from './codec/iana.js';
import {
  type BgpMessage,
  type BgpMessageType,
  decodeMessage,
  KEEPALIVE,
  writeMessage,
} from './codec/message.js';
import type { OpenMessage } from './codec/open.js';
import type { RouteRefreshMessage } from './codec/route-refresh.js';
import type { UpdateMessage } from './codec/update.js';
import { BufferWriter } from './codec/writer.js';
import {
  type DownReason,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  type FsmStateName,
  initialFsmState,
  type NotificationSpec,
  step,
  type TimerName,
} from './fsm.js';
import { inputSliceSpent } from './input-pacer.js';
import type { NegotiatedSession } from './negotiation.js';
import { PacedInput } from './paced-input.js';
import { descriptorOf, rawTcpSocket, setGtsm, setMd5Key } from './socket-options.js';

export type ConnectionDirection = 'outbound' | 'inbound';

export interface TransportConfig {
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly localAddress: string | null;
  /** TCP MD5 (RFC 2385) password; null for none. */
  readonly password: string | null;
  /** GTSM (RFC 5082) for a directly connected peer. */
  readonly ttlSecurity: boolean;
}

/** What the owner of a session (the peer) decides and learns. */
export interface SessionHooks {
  /** Our OPEN for this session. */
  localOpen(): OpenMessage;
  /**
   * The peer's OPEN arrived: negotiate, or refuse with a NOTIFICATION, or
   * lose a connection collision (RFC 4271 §6.8).
   */
  receivedOpen(session: Session, open: OpenMessage): NegotiatedSession | NotificationSpec | 'collision-dump';
  stateChanged(session: Session, from: FsmStateName, to: FsmStateName, reason: DownReason | undefined): void;
  established(session: Session): void;
  down(session: Session, reason: DownReason): void;
  update(session: Session, update: UpdateMessage, errors: readonly BgpError[]): void;
  routeRefresh(session: Session, message: RouteRefreshMessage): void;
  notification(
    session: Session,
    direction: 'sent' | 'received',
    code: number,
    subcode: number,
    detail: string,
    /** The NOTIFICATION's Data field (RFC 4271 §4.5), when it has one. */
    data?: Uint8Array,
  ): void;
  /** The socket buffer drained: more UPDATEs may be written. */
  writable(session: Session): void;
  /** Messages of `type` went in or out (`count` of them, 1 unless batched). */
  messageCounted(session: Session, direction: 'in' | 'out', type: BgpMessageType, count?: number): void;
  /**
   * An exception escaped the handling of this connection's input or timers
   * (a bug): the session is reset with Cease/Out of Resources right after.
   */
  internalError(session: Session, error: unknown, where: string): void;
}

/** RFC 4271 §10: timers are jittered by a factor in [0.75, 1.0]. */
function jittered(seconds: number): number {
  return seconds * (0.75 + Math.random() * 0.25);
}

/** Above this many buffered octets the session refuses more UPDATEs until 'drain'. */
export const WRITE_HIGH_WATER_MARK = 256 * 1024;

export class Session {
  private fsm: FsmState;
  private socket: net.Socket | null = null;
  private input = pacedInput();
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();
  /** The duration the running hold timer was started with. */
  private holdTimerSeconds = -1;
  private receiveContext: CodecContext = codecContext();
  private sendContext: CodecContext = codecContext();
  private negotiatedSession: NegotiatedSession | null = null;
  private readonly writer = new BufferWriter(4096);
  private destroyed = false;
  private socketError: string | null = null;
  /** Set while a transition is running, so events raised inside it queue. */
  private stepping = false;
  private readonly queued: FsmEvent[] = [];
  /** The UPDATE that travels beside an UpdateMsg event until processUpdate hands it on. */
  private pendingUpdate: { update: UpdateMessage; errors: readonly BgpError[] } | null = null;
  establishedAt: number | null = null;
  readonly counters = {
    messagesIn: 0,
    messagesOut: 0,
    updatesIn: 0,
    updatesOut: 0,
    notificationsIn: 0,
    notificationsOut: 0,
  };

  constructor(
    readonly direction: ConnectionDirection,
    private readonly transport: TransportConfig,
    fsmConfig: FsmConfig,
    private readonly hooks: SessionHooks,
  ) {
    this.fsm = initialFsmState(fsmConfig);
  }

  get state(): FsmStateName {
    return this.fsm.name;
  }

  get fsmState(): FsmState {
    return this.fsm;
  }

  get negotiated(): NegotiatedSession | null {
    return this.negotiatedSession;
  }

  get encodeContext(): CodecContext {
    return this.sendContext;
  }

  get localAddress(): string | null {
    return this.socket?.localAddress ?? null;
  }

  get remotePort(): number | null {
    return this.socket?.remotePort ?? null;
  }

  /** Octets written but not yet taken by the kernel (FRR's OutQ): bounded by the write mark plus one batch. */
  get outQueueBytes(): number {
    return this.socket?.writableLength ?? 0;
  }

  /** True while UPDATEs may be written without growing the socket buffer past its mark. */
  get canWrite(): boolean {
    return (
      this.fsm.name === 'established' &&
      this.socket !== null &&
      this.socket.writableLength < WRITE_HIGH_WATER_MARK
    );
  }

  /** Feeds an event to the FSM and carries out the resulting actions, in order. */
  handle(event: FsmEvent): void {
    if (this.destroyed) return;
    if (this.stepping) {
      this.queued.push(event);
      return;
    }
    this.stepping = true;
    try {
      let next: FsmEvent | undefined = event;
      while (next !== undefined) {
        this.apply(next);
        next = this.queued.shift();
      }
    } finally {
      this.stepping = false;
    }
  }

  private apply(event: FsmEvent): void {
    const from = this.fsm.name;
    const transition = step(this.fsm, event);
    this.fsm = transition.state;
    for (const action of transition.actions) this.execute(action, event);
    if (from !== this.fsm.name) this.hooks.stateChanged(this, from, this.fsm.name, transition.reason);
  }

  private execute(action: FsmAction, event: FsmEvent): void {
    switch (action.type) {
      case 'connect':
        this.connect();
        break;
      case 'dropConnection':
        this.closeSocket();
        break;
      case 'sendOpen':
        this.send(this.hooks.localOpen());
        break;
      case 'sendKeepalive':
        this.send(KEEPALIVE);
        break;
      case 'sendNotification':
        this.sendNotification(action.notification);
        break;
      case 'startTimer':
        this.startTimer(action.timer, action.seconds);
        break;
      case 'stopTimer':
        this.stopTimer(action.timer);
        break;
      case 'established':
        this.establishedAt = Date.now();
        this.hooks.established(this);
        break;
      case 'sessionDown':
        this.establishedAt = null;
        this.hooks.down(this, action.reason);
        break;
      case 'processUpdate':
        // The UPDATE itself travels beside the event (see onMessage).
        if (this.pendingUpdate !== null) {
          this.hooks.update(this, this.pendingUpdate.update, this.pendingUpdate.errors);
        }
        break;
      default: {
        const unreachable: never = action;
        throw new Error(`unhandled FSM action ${JSON.stringify(unreachable)} for ${event.type}`);
      }
    }
  }

  private startTimer(timer: TimerName, seconds: number): void {
    const running = this.timers.get(timer);
    if (running !== undefined && timer === 'hold' && this.holdTimerSeconds === seconds) {
      // Every UPDATE and KEEPALIVE restarts the hold timer (RFC 4271 §8.2.2):
      // re-armed in place, not a new timer and closure per message.
      running.refresh();
      return;
    }
    this.stopTimer(timer);
    if (timer === 'hold') this.holdTimerSeconds = seconds;
    const delay = timer === 'connectRetry' || timer === 'keepalive' ? jittered(seconds) : seconds;
    const handle = setTimeout(() => {
      this.timers.delete(timer);
      this.guarded(`${timer} timer`, () => this.handle(timerEvent(timer)));
    }, delay * 1000);
    handle.unref();
    this.timers.set(timer, handle);
  }

  private stopTimer(timer: TimerName): void {
    const handle = this.timers.get(timer);
    if (handle !== undefined) {
      clearTimeout(handle);
      this.timers.delete(timer);
    }
  }

  /**
   * Runs work that the event loop started for this connection (input, a
   * timer, the socket closing or draining). Nothing thrown inside reaches
   * the event loop: one neighbor's input never stops the daemon.
   */
  private guarded(where: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.failInternally(error, where);
    }
  }

  /** The last resort after an exception in this connection's work: report it, then reset. */
  private failInternally(error: unknown, where: string): void {
    this.report(error, where);
    this.resetAfterInternalError(where);
  }

  private report(error: unknown, where: string): void {
    try {
      this.hooks.internalError(this, error, where);
    } catch {
      // Reporting must not stop the reset.
    }
  }

  /**
   * Resets this session alone after an internal error (reported by the
   * caller) with Cease/Out of Resources (RFC 4486); it comes back by itself
   * after the idle hold time. If even the reset throws, the connection is
   * destroyed: nothing escapes to the event loop.
   */
  resetAfterInternalError(where: string): void {
    this.queued.length = 0;
    this.stepping = false;
    this.pendingUpdate = null;
    try {
      this.handle({ type: 'AutomaticStop', subcode: CeaseSubcode.outOfResources });
    } catch (second) {
      this.report(second, `${where}, while resetting the session`);
      this.destroy();
    }
  }

  /** Adopts an accepted connection (RFC 4271 §8 event 17). */
  attach(socket: net.Socket): void {
    this.guarded('accept', () => {
      this.closeSocket();
      this.adopt(socket);
      this.handle({ type: 'TcpConnectionConfirmed' });
    });
  }

  private connect(): void {
    this.closeSocket();
    const { peerAddress, peerPort, localAddress, password, ttlSecurity } = this.transport;
    const family = ipFamilyOf(peerAddress) ?? 4;
    let socket: net.Socket;
    try {
      if (password !== null || ttlSecurity) {
        // Options that must be in place before the SYN (RFC 2385 signs it).
        const fd = rawTcpSocket(family);
        if (password !== null) setMd5Key(fd, peerAddress, password);
        if (ttlSecurity) setGtsm(fd, family);
        socket = new net.Socket({ fd, readable: true, writable: true });
      } else {
        socket = new net.Socket();
      }
    } catch (error) {
      this.hooks.notification(this, 'sent', 0, 0, `cannot open a socket: ${(error as Error).message}`);
      setImmediate(() => this.guarded('connect', () => this.handle({ type: 'TcpConnectionFails' })));
      return;
    }
    this.adopt(socket);
    socket.once('connect', () => {
      if (this.socket === socket) this.guarded('connect', () => this.handle({ type: 'TcpCrAcked' }));
    });
    socket.connect({ host: peerAddress, port: peerPort, ...(localAddress !== null ? { localAddress } : {}) });
  }

  private adopt(socket: net.Socket): void {
    this.socket = socket;
    this.socketError = null;
    this.input = pacedInput();
    this.receiveContext = codecContext();
    this.sendContext = codecContext();
    this.negotiatedSession = null;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.guarded('input', () => {
        this.input.push(chunk);
        this.pumpInput(socket, true);
      });
    });
    socket.on('drain', () => {
      if (this.socket === socket && this.fsm.name === 'established')
        this.guarded('drain', () => this.hooks.writable(this));
    });
    socket.on('error', (error: Error) => {
      // 'close' follows and reports it as TcpConnectionFails; the OS's words
      // ("connect ECONNREFUSED 10.0.0.2:179") are kept for the operator.
      if (this.socket === socket) this.socketError = error.message;
    });
    socket.on('close', () => {
      if (this.socket === socket) {
        // What the peer sent before it closed (a NOTIFICATION, often) is read first.
        this.guarded('input', () => this.pumpInput(socket, false));
      }
      if (this.socket === socket) {
        this.socket = null;
        this.guarded('close', () => this.handle({ type: 'TcpConnectionFails' }));
      }
    });
  }

  /**
   * Hands the queued messages to the FSM. When `paced` and this turn's
   * input share runs out first, the socket pauses and the rest waits for
   * the next turn (src/bgp/paced-input.ts).
   */
  private pumpInput(socket: net.Socket, paced: boolean): void {
    const outcome = this.input.drain((bytes) => {
      if (this.socket !== socket || this.destroyed) return false;
      this.onMessage(bytes);
      return this.socket === socket && !this.destroyed;
    }, paced);
    if (outcome === 'stopped') return;
    if (outcome === 'more') {
      if (!socket.isPaused()) socket.pause();
      setImmediate(() => {
        if (this.socket === socket) this.guarded('input', () => this.pumpInput(socket, true));
      });
      return;
    }
    if (outcome !== 'empty') {
      this.handle({ type: 'BgpHeaderErr', notification: toSpec(outcome) });
      return;
    }
    if (socket.isPaused()) socket.resume();
  }

  private onMessage(bytes: Uint8Array): void {
    this.counters.messagesIn++;
    const decoded = decodeMessage(bytes, this.receiveContext);
    if (!decoded.ok) {
      const spec = toSpec(decoded.error);
      if (decoded.error.code === ErrorCode.messageHeader)
        this.handle({ type: 'BgpHeaderErr', notification: spec });
      else if (decoded.error.code === ErrorCode.openMessage)
        this.handle({ type: 'BgpOpenMsgErr', notification: spec });
      else this.handle({ type: 'UpdateMsgErr', notification: spec });
      return;
    }
    const message = decoded.value;
    this.hooks.messageCounted(this, 'in', message.type);
    switch (message.type) {
      case 'open':
        this.onOpen(message);
        break;
      case 'keepalive':
        this.handle({ type: 'KeepAliveMsg' });
        break;
      case 'update':
        this.counters.updatesIn++;
        this.pendingUpdate = { update: message, errors: decoded.errors };
        this.handle({ type: 'UpdateMsg' });
        this.pendingUpdate = null;
        break;
      case 'notification': {
        this.counters.notificationsIn++;
        const detail = message.shutdownMessage !== undefined ? `"${message.shutdownMessage}"` : '';
        this.hooks.notification(this, 'received', message.code, message.subcode, detail, message.data);
        // RFC 4271 §8.1.5 event 24: a NOTIFICATION about the version during OPEN exchange.
        if (
          message.code === ErrorCode.openMessage &&
          message.subcode === OpenSubcode.unsupportedVersionNumber
        ) {
          this.handle({ type: 'NotifMsgVerErr' });
        } else {
          this.handle({ type: 'NotifMsg', code: message.code, subcode: message.subcode });
        }
        break;
      }
      case 'routeRefresh':
        if (this.fsm.name === 'established') {
          // A message from the peer shows it is alive (as FRR and BIRD count it).
          if (this.fsm.holdTimeSeconds > 0) this.startTimer('hold', this.fsm.holdTimeSeconds);
          this.hooks.routeRefresh(this, message);
        } else {
          this.handle({ type: 'UpdateMsg' });
        }
        break;
      default: {
        const unreachable: never = message;
        throw new Error(`unhandled message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private onOpen(open: OpenMessage): void {
    const outcome = this.hooks.receivedOpen(this, open);
    if (outcome === 'collision-dump') {
      this.handle({ type: 'OpenCollisionDump' });
      return;
    }
    if ('code' in outcome) {
      this.handle({ type: 'BgpOpenMsgErr', notification: outcome });
      return;
    }
    this.negotiatedSession = outcome;
    this.receiveContext = outcome.receiveContext;
    this.sendContext = outcome.sendContext;
    this.input.setMaxMessageLength(outcome.receiveContext.maxMessageLength);
    this.handle({ type: 'BgpOpen', holdTimeSeconds: outcome.holdTimeSeconds });
  }

  /** Writes one message now (OPEN, KEEPALIVE, NOTIFICATION, ROUTE-REFRESH, or an UPDATE). */
  send(message: BgpMessage): void {
    const socket = this.socket;
    if (socket === null || socket.destroyed) return;
    this.writer.truncate(0);
    writeMessage(this.writer, message, this.sendContext);
    socket.write(this.writer.toBytes());
    this.counters.messagesOut++;
    if (message.type === 'update') this.counters.updatesOut++;
    this.hooks.messageCounted(this, 'out', message.type);
  }

  /**
   * Writes pre-encoded UPDATEs (from the packer). Returns false when the
   * socket buffer is above its mark: stop, and wait for the 'writable' hook.
   */
  sendEncodedUpdates(bytes: Uint8Array, messageCount: number): boolean {
    const socket = this.socket;
    if (socket === null || socket.destroyed || this.fsm.name !== 'established') return false;
    socket.write(bytes);
    this.counters.messagesOut += messageCount;
    this.counters.updatesOut += messageCount;
    this.hooks.messageCounted(this, 'out', 'update', messageCount);
    return socket.writableLength < WRITE_HIGH_WATER_MARK;
  }

  private sendNotification(spec: NotificationSpec): void {
    this.counters.notificationsOut++;
    this.send({
      type: 'notification',
      code: spec.code,
      subcode: spec.subcode,
      data: spec.data ?? new Uint8Array(0),
      shutdownMessage: spec.shutdownMessage,
    });
    const detail =
      spec.shutdownMessage !== undefined ? `${spec.reason} "${spec.shutdownMessage}"` : spec.reason;
    this.hooks.notification(this, 'sent', spec.code, spec.subcode, detail, spec.data);
  }

  /** Closes the connection, letting queued octets (a NOTIFICATION) go first. */
  private closeSocket(): void {
    const socket = this.socket;
    if (socket === null) return;
    this.socket = null;
    socket.removeAllListeners('data');
    socket.removeAllListeners('drain');
    socket.end();
    // A peer that never reads must not keep the socket alive for ever.
    setTimeout(() => socket.destroy(), 2000).unref();
  }

  /** Stops everything without telling the peer (the caller already did, or the session lost a collision). */
  destroy(): void {
    if (this.destroyed) return;
    for (const timer of [...this.timers.keys()]) this.stopTimer(timer);
    this.closeSocket();
    this.destroyed = true;
  }

  /** What the OS said about the last connection's failure, if it said anything. */
  get lastSocketError(): string | null {
    return this.socketError;
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** True while a TCP connection is attached (also in Active while DelayOpen runs). */
  get connected(): boolean {
    return this.socket !== null && !this.destroyed;
  }

  /** Sets socket options that apply to an accepted connection (GTSM on this socket). */
  static prepareAccepted(socket: net.Socket, transport: TransportConfig): void {
    if (transport.ttlSecurity) {
      setGtsm(descriptorOf(socket), ipFamilyOf(transport.peerAddress) ?? 4);
    }
  }
}

function timerEvent(timer: TimerName): FsmEvent {
  switch (timer) {
    case 'connectRetry':
      return { type: 'ConnectRetryTimerExpires' };
    case 'hold':
      return { type: 'HoldTimerExpires' };
    case 'keepalive':
      return { type: 'KeepaliveTimerExpires' };
    case 'delayOpen':
      return { type: 'DelayOpenTimerExpires' };
    case 'idleHold':
      return { type: 'IdleHoldTimerExpires' };
    case 'stable':
      return { type: 'StableTimerExpires' };
    default: {
      const unreachable: never = timer;
      throw new Error(`unknown timer ${String(unreachable)}`);
    }
  }
}

function toSpec(error: BgpError): NotificationSpec {
  return { code: error.code, subcode: error.subcode, data: error.data, reason: error.reason };
}

function pacedInput(): PacedInput {
  return new PacedInput(MAX_MESSAGE_LENGTH, () => inputSliceSpent(performance.now()));
}
