// What the BFD worker (worker.ts) and the main thread (service.ts) tell each
// other: plain, structured-clone-able values.

import type { StateChange } from './fsm.js';
import type { BfdState } from './iana.js';
import type { PacketErrorReason } from './packet.js';

/** One BFD session as configured (one per BGP neighbor with BFD). */
export interface SessionSpec {
  /** The BGP neighbor address: the session's name. */
  readonly key: string;
  readonly peerAddress: string;
  /** Source address to send from; null lets the kernel choose. */
  readonly localAddress: string | null;
  /** 1: single-hop (RFC 5881, port 3784, TTL 255 only); more: multihop (RFC 5883, port 4784). */
  readonly hops: number;
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly detectMult: number;
  /** False: AdminDown (§6.8.16). */
  readonly enabled: boolean;
}

export interface LastDown {
  readonly atMs: number;
  readonly diagnostic: number;
  /** The remote's state then: AdminDown means it was switched off, not a failure. */
  readonly remoteState: BfdState;
}

export interface SessionStatus {
  readonly key: string;
  readonly peerAddress: string;
  readonly localAddress: string | null;
  readonly multihop: boolean;
  readonly state: BfdState;
  readonly remoteState: BfdState;
  readonly localDiscriminator: number;
  readonly remoteDiscriminator: number;
  readonly diagnostic: number;
  readonly remoteDiagnostic: number;
  readonly remoteControlPlaneIndependent: boolean;
  /** The negotiated transmit interval before jitter (§6.8.7), 0 when not transmitting. */
  readonly transmitIntervalUs: number;
  /** The Detection Time for the remote (§6.8.4), 0 until heard. */
  readonly detectionTimeUs: number;
  readonly remoteDetectMult: number;
  readonly polling: boolean;
  /** Since when the state is what it is (ms since the epoch). */
  readonly stateSinceMs: number;
  readonly transitions: number;
  /** Up -> Down (or AdminDown) changes. */
  readonly flaps: number;
  readonly lastDown: LastDown | null;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly sourcePort: number;
}

export interface LatenessSummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** How late the worker's timers fired: the measure of "detection is not delayed". */
export interface EngineStats {
  readonly transmitLateness: LatenessSummary;
  readonly detectLateness: LatenessSummary;
  /** Received datagrams refused by the codec, by reason, plus ones no session claimed. */
  readonly discarded: Readonly<Partial<Record<PacketErrorReason | 'no-session', number>>>;
  /** Every session now, with fresh packet counters. */
  readonly sessions: readonly SessionStatus[];
}

/** Where the worker's receiving sockets bind (defaults: every address, ports 3784 and 4784). */
export interface ListenOptions {
  readonly listenV4: string;
  readonly listenV6: string;
  readonly singleHopPort: number;
  readonly multihopPort: number;
}

export type ToWorker =
  | { readonly kind: 'configure'; readonly sessions: readonly SessionSpec[] }
  | { readonly kind: 'stats'; readonly id: number }
  | { readonly kind: 'stop' };

export type FromWorker =
  | { readonly kind: 'ready' }
  | { readonly kind: 'status'; readonly status: SessionStatus }
  | { readonly kind: 'transition'; readonly key: string; readonly change: StateChange; readonly atMs: number }
  | { readonly kind: 'removed'; readonly key: string }
  | { readonly kind: 'error'; readonly key: string | null; readonly message: string }
  | { readonly kind: 'stats'; readonly id: number; readonly stats: EngineStats }
  | { readonly kind: 'stopped' };
