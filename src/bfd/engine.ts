// The BFD sessions against real sockets and timers: executes what the pure
// state machine (fsm.ts) decides and feeds back what happens. It runs in a
// worker thread (worker.ts) so that its timers fire on time while the main
// thread is busy with RIB work; nothing here depends on that, so it can run
// anywhere (tests, benchmarks).
//
// Sockets (sockets.ts): one receiving socket per family and port (3784
// single-hop, 4784 multihop) with a kernel TTL check, and one sending socket
// per session on a source port of its own, TTL 255.

import type dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { canonicalIp, ipFamilyOf } from '../net/ip.js';
import {
  type BfdAction,
  type BfdEvent,
  type BfdSessionConfig,
  type BfdSessionState,
  currentDetectionTimeUs,
  initialBfdState,
  step,
} from './fsm.js';
import { MULTIHOP_PORT, SINGLE_HOP_PORT, SINGLE_HOP_TTL } from './iana.js';
import { LatenessWindow } from './lateness.js';
import type { EngineStats, FromWorker, SessionSpec, SessionStatus } from './messages.js';
import { decodeControlPacket, encodeControlPacket, type PacketErrorReason } from './packet.js';
import { openReceiver, openSourceSocket, type Receiver, setMinimumTtl } from './sockets.js';
import { jitteredIntervalUs } from './timing.js';
import { minimumTtlFor } from './ttl-filter.js';

export interface EngineOptions {
  /** Where the receiving sockets bind; tests give loopback addresses. */
  readonly listenV4: string;
  readonly listenV6: string;
  readonly singleHopPort: number;
  readonly multihopPort: number;
  readonly random: () => number;
  readonly now: () => number;
}

export const defaultEngineOptions: EngineOptions = {
  listenV4: '0.0.0.0',
  listenV6: '::',
  singleHopPort: SINGLE_HOP_PORT,
  multihopPort: MULTIHOP_PORT,
  random: Math.random,
  now: Date.now,
};

interface RunningSession {
  spec: SessionSpec;
  fsm: BfdSessionState;
  readonly family: 4 | 6;
  readonly socket: dgram.Socket;
  sourcePort: number;
  transmitTimer: NodeJS.Timeout | null;
  detectTimer: NodeJS.Timeout | null;
  /** Bumped on every arm and stop: an expiry from an older arming is void. */
  detectGeneration: number;
  stateSinceMs: number;
  transitions: number;
  flaps: number;
  lastDown: SessionStatus['lastDown'];
  packetsIn: number;
  packetsOut: number;
  lastPosted: string;
  closed: boolean;
}

function configOf(spec: SessionSpec): BfdSessionConfig {
  return {
    desiredMinTxUs: spec.desiredMinTxUs,
    requiredMinRxUs: spec.requiredMinRxUs,
    detectMult: spec.detectMult,
  };
}

const sameTransport = (a: SessionSpec, b: SessionSpec) =>
  a.peerAddress === b.peerAddress && a.localAddress === b.localAddress && a.hops === b.hops;

export class BfdEngine {
  private readonly sessions = new Map<string, RunningSession>();
  private readonly byDiscriminator = new Map<number, RunningSession>();
  private readonly receivers = new Map<string, Receiver>();
  private readonly transmitLateness = new LatenessWindow();
  private readonly detectLateness = new LatenessWindow();
  private readonly discarded: Partial<Record<PacketErrorReason | 'no-session', number>> = {};
  /** Serializes configure() calls: each waits for the sockets of the one before. */
  private configuring: Promise<void> = Promise.resolve();

  constructor(
    private readonly post: (message: FromWorker) => void,
    private readonly options: EngineOptions = defaultEngineOptions,
  ) {}

  configure(specs: readonly SessionSpec[]): Promise<void> {
    this.configuring = this.configuring.then(() => this.apply(specs));
    return this.configuring;
  }

  private async apply(specs: readonly SessionSpec[]): Promise<void> {
    const wanted = new Map(specs.map((s) => [s.key, s]));
    for (const [key, session] of this.sessions) {
      const spec = wanted.get(key);
      if (spec === undefined || !sameTransport(spec, session.spec)) this.remove(session);
    }
    for (const spec of specs) {
      const session = this.sessions.get(spec.key);
      try {
        if (session === undefined) await this.add(spec);
        else this.update(session, spec);
      } catch (error) {
        this.post({ kind: 'error', key: spec.key, message: (error as Error).message });
      }
    }
    this.syncReceivers();
  }

  stats(): EngineStats {
    return {
      transmitLateness: this.transmitLateness.summary(),
      detectLateness: this.detectLateness.summary(),
      discarded: { ...this.discarded },
      sessions: this.statuses(),
    };
  }

  async stop(): Promise<void> {
    await this.configuring;
    for (const session of [...this.sessions.values()]) this.remove(session);
    await Promise.all(
      [...this.receivers.values()].map(
        (r) => new Promise<void>((resolve) => r.socket.close(() => resolve())),
      ),
    );
    this.receivers.clear();
  }

  // ------------------------------------------------------------ sessions

  private async add(spec: SessionSpec): Promise<void> {
    const family = ipFamilyOf(spec.peerAddress);
    if (family === null) throw new Error(`not an IP address: ${spec.peerAddress}`);
    await this.receiver(family, spec.hops > 1);
    const socket = await this.bindSource(family, spec.localAddress);
    const session: RunningSession = {
      spec,
      fsm: initialBfdState(configOf(spec), this.newDiscriminator()),
      family,
      socket,
      sourcePort: socket.address().port,
      transmitTimer: null,
      detectTimer: null,
      detectGeneration: 0,
      stateSinceMs: this.options.now(),
      transitions: 0,
      flaps: 0,
      lastDown: null,
      packetsIn: 0,
      packetsOut: 0,
      lastPosted: '',
      closed: false,
    };
    this.sessions.set(spec.key, session);
    this.byDiscriminator.set(session.fsm.localDiscriminator, session);
    this.handle(session, { type: 'start' });
    if (!spec.enabled) this.handle(session, { type: 'adminDown' });
  }

  private update(session: RunningSession, spec: SessionSpec): void {
    const previous = session.spec;
    session.spec = spec;
    if (
      previous.desiredMinTxUs !== spec.desiredMinTxUs ||
      previous.requiredMinRxUs !== spec.requiredMinRxUs ||
      previous.detectMult !== spec.detectMult
    )
      this.handle(session, { type: 'configure', config: configOf(spec) });
    if (previous.enabled && !spec.enabled) this.handle(session, { type: 'adminDown' });
    if (!previous.enabled && spec.enabled) this.handle(session, { type: 'adminUp' });
  }

  /** §6.8.16: the remote is told AdminDown (so it does not count us dead), then the session goes. */
  private remove(session: RunningSession): void {
    this.handle(session, { type: 'adminDown' });
    session.closed = true;
    this.clearTimers(session);
    this.sessions.delete(session.spec.key);
    this.byDiscriminator.delete(session.fsm.localDiscriminator);
    // Close after the AdminDown datagram left.
    setImmediate(() => session.socket.close());
    this.post({ kind: 'removed', key: session.spec.key });
  }

  private newDiscriminator(): number {
    for (;;) {
      const value = Math.floor(this.options.random() * 0xfffffffe) + 1;
      if (!this.byDiscriminator.has(value)) return value;
    }
  }

  private handle(session: RunningSession, event: BfdEvent): void {
    if (session.closed) return;
    const transition = step(session.fsm, event);
    session.fsm = transition.state;
    for (const action of transition.actions) this.execute(session, action);
    this.postStatus(session);
  }

  private execute(session: RunningSession, action: BfdAction): void {
    switch (action.type) {
      case 'send': {
        const port = session.spec.hops > 1 ? this.options.multihopPort : this.options.singleHopPort;
        session.socket.send(encodeControlPacket(action.packet), port, session.spec.peerAddress, (error) => {
          if (error !== null && error !== undefined) this.sendFailed(session, error);
        });
        session.packetsOut++;
        break;
      }
      case 'armTransmit': {
        if (session.transmitTimer !== null) clearTimeout(session.transmitTimer);
        const delayMs =
          jitteredIntervalUs(action.intervalUs, action.detectMult, this.options.random()) / 1000;
        const due = performance.now() + delayMs;
        session.transmitTimer = setTimeout(() => {
          session.transmitTimer = null;
          this.transmitLateness.add(performance.now() - due);
          this.handle(session, { type: 'transmitTimerExpired' });
        }, delayMs);
        break;
      }
      case 'stopTransmit':
        if (session.transmitTimer !== null) clearTimeout(session.transmitTimer);
        session.transmitTimer = null;
        break;
      case 'armDetect': {
        if (session.detectTimer !== null) clearTimeout(session.detectTimer);
        const delayMs = action.detectionTimeUs / 1000;
        const due = performance.now() + delayMs;
        const generation = ++session.detectGeneration;
        session.detectTimer = setTimeout(() => {
          session.detectTimer = null;
          this.detectLateness.add(performance.now() - due);
          // libuv runs timers before it polls sockets: after a stall (the
          // thread not scheduled for a while) the timer would fire while the
          // peer's packets wait in the socket buffer. setImmediate runs after
          // this iteration's poll phase, so those packets are handled first;
          // one of them re-arms the timer and this expiry no longer counts.
          setImmediate(() => {
            if (generation === session.detectGeneration) this.handle(session, { type: 'detectTimerExpired' });
          });
        }, delayMs);
        break;
      }
      case 'stopDetect':
        if (session.detectTimer !== null) clearTimeout(session.detectTimer);
        session.detectTimer = null;
        session.detectGeneration++;
        break;
      case 'stateChanged': {
        const atMs = this.options.now();
        session.transitions++;
        session.stateSinceMs = atMs;
        if (action.from === 'up') {
          session.flaps++;
          session.lastDown = { atMs, diagnostic: action.diagnostic, remoteState: action.remoteState };
        }
        const { type: _type, ...change } = action;
        this.post({ kind: 'transition', key: session.spec.key, change, atMs });
        break;
      }
      default: {
        const unreachable: never = action;
        throw new Error(`unknown BFD action ${String(unreachable)}`);
      }
    }
  }

  private sendFailed(session: RunningSession, error: Error): void {
    // A down link gives ENETUNREACH and the like: the detection timer says
    // what that means; the error is only worth a line.
    this.post({ kind: 'error', key: session.spec.key, message: `send: ${error.message}` });
  }

  private clearTimers(session: RunningSession): void {
    if (session.transmitTimer !== null) clearTimeout(session.transmitTimer);
    if (session.detectTimer !== null) clearTimeout(session.detectTimer);
    session.transmitTimer = null;
    session.detectTimer = null;
    session.detectGeneration++;
  }

  private statusOf(session: RunningSession): SessionStatus {
    const fsm = session.fsm;
    return {
      key: session.spec.key,
      peerAddress: session.spec.peerAddress,
      localAddress: session.spec.localAddress,
      multihop: session.spec.hops > 1,
      state: fsm.state,
      remoteState: fsm.remoteState,
      localDiscriminator: fsm.localDiscriminator,
      remoteDiscriminator: fsm.remoteDiscriminator,
      diagnostic: fsm.diagnostic,
      remoteDiagnostic: fsm.remoteDiagnostic,
      remoteControlPlaneIndependent: fsm.remoteControlPlaneIndependent,
      transmitIntervalUs: fsm.transmitIntervalUs,
      detectionTimeUs: currentDetectionTimeUs(fsm),
      remoteDetectMult: fsm.remoteDetectMult,
      polling: fsm.polling,
      stateSinceMs: session.stateSinceMs,
      transitions: session.transitions,
      flaps: session.flaps,
      lastDown: session.lastDown,
      packetsIn: session.packetsIn,
      packetsOut: session.packetsOut,
      sourcePort: session.sourcePort,
    };
  }

  /** Tells the main thread when something it shows changed (not for every packet). */
  private postStatus(session: RunningSession): void {
    const status = this.statusOf(session);
    const { packetsIn: _in, packetsOut: _out, ...shown } = status;
    const fingerprint = JSON.stringify(shown);
    if (fingerprint === session.lastPosted) return;
    session.lastPosted = fingerprint;
    this.post({ kind: 'status', status });
  }

  /** Counters and all, on request (agentctl bfd show). */
  statuses(): SessionStatus[] {
    return [...this.sessions.values()].map((s) => this.statusOf(s));
  }

  // ------------------------------------------------------------ sockets

  private receiverKey(family: 4 | 6, multihop: boolean): string {
    return `${family}/${multihop ? 'multihop' : 'single'}`;
  }

  /** The minimum TTL a receiving socket accepts: 255 single-hop; the loosest configured multihop session. */
  private wantedMinimumTtl(family: 4 | 6, multihop: boolean): number {
    if (!multihop) return SINGLE_HOP_TTL;
    let minimum = SINGLE_HOP_TTL;
    for (const s of this.sessions.values())
      if (s.family === family && s.spec.hops > 1) minimum = Math.min(minimum, minimumTtlFor(s.spec.hops));
    return minimum;
  }

  private async receiver(family: 4 | 6, multihop: boolean): Promise<Receiver> {
    const key = this.receiverKey(family, multihop);
    const existing = this.receivers.get(key);
    if (existing !== undefined) return existing;
    const receiver = await openReceiver(
      family,
      family === 4 ? this.options.listenV4 : this.options.listenV6,
      multihop ? this.options.multihopPort : this.options.singleHopPort,
      multihop ? minimumTtlFor(255) : SINGLE_HOP_TTL,
    );
    receiver.socket.on('message', (datagram, remote) => this.received(datagram, remote.address, multihop));
    receiver.socket.on('error', (error) =>
      this.post({ kind: 'error', key: null, message: `receive: ${error.message}` }),
    );
    this.receivers.set(key, receiver);
    return receiver;
  }

  /** After sessions changed: each multihop receiver accepts what its sessions' hop counts allow. */
  private syncReceivers(): void {
    for (const family of [4, 6] as const) {
      const receiver = this.receivers.get(this.receiverKey(family, true));
      if (receiver !== undefined) setMinimumTtl(receiver, this.wantedMinimumTtl(family, true));
    }
  }

  private async bindSource(family: 4 | 6, localAddress: string | null): Promise<dgram.Socket> {
    const socket = await openSourceSocket(family, localAddress, this.options.random);
    socket.on('error', (error) =>
      this.post({ kind: 'error', key: null, message: `send socket: ${error.message}` }),
    );
    return socket;
  }

  /** §6.8.6: decode, then select the session by Your Discriminator, or by address while it is 0. */
  private received(datagram: Buffer, from: string, multihop: boolean): void {
    const decoded = decodeControlPacket(datagram);
    if (!decoded.ok) {
      this.discard(decoded.error.reason);
      return;
    }
    const packet = decoded.value;
    const address = canonicalIp(from) ?? from;
    let session: RunningSession | undefined;
    if (packet.yourDiscriminator !== 0) {
      session = this.byDiscriminator.get(packet.yourDiscriminator);
      // RFC 5881 §4 / RFC 5883 §4: the session is also bound to its addresses and port.
      if (
        session !== undefined &&
        (session.spec.peerAddress !== address || session.spec.hops > 1 !== multihop)
      )
        session = undefined;
    } else {
      for (const s of this.sessions.values())
        if (s.spec.peerAddress === address && s.spec.hops > 1 === multihop) session = s;
    }
    if (session === undefined) {
      this.discard('no-session');
      return;
    }
    session.packetsIn++;
    this.handle(session, { type: 'received', packet });
  }

  private discard(reason: PacketErrorReason | 'no-session'): void {
    this.discarded[reason] = (this.discarded[reason] ?? 0) + 1;
  }
}
