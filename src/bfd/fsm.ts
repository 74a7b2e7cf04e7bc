// The BFD session of RFC 5880 §6.2/§6.8, Asynchronous mode, pure:
// step(state, event) returns the next state and the actions to carry out.
// Sockets, timers and randomness live in the worker (worker.ts), which
// executes the actions and feeds back events; jitter is applied there to the
// interval an armTransmit action carries (timing.ts, §6.8.7).
//
//                              +--+
//                              |  | UP, ADMIN DOWN, TIMER
//                              |  V
//                      DOWN  +------+  INIT
//               +------------|      |------------+
//               |            | DOWN |            |
//               |  +-------->|      |<--------+  |
//               |  |         +------+         |  |
//               |  |                          |  |
//               |  |               ADMIN DOWN,|  |
//               |  |ADMIN DOWN,          DOWN,|  |
//               |  |TIMER                TIMER|  |
//               V  |                          |  V
//             +------+                      +------+
//        +----|      |                      |      |----+
//    DOWN|    | INIT |--------------------->|  UP  |    |INIT, UP
//        +--->|      | INIT, UP             |      |<---+
//             +------+                      +------+
//                     (RFC 5880 §6.2, the state diagram)
//
// Not implemented, deliberately: Demand mode (we never set D and keep
// transmitting if the remote asks for it), the Echo function (Required Min
// Echo RX is sent as 0, §6.8.3), authentication (refused in packet.ts).

import { BFD_VERSION, type BfdState, Diagnostic, SLOW_TX_INTERVAL_US } from './iana.js';
import type { ControlPacket } from './packet.js';
import { detectionTimeUs, transmitIntervalUs } from './timing.js';

export interface BfdSessionConfig {
  /** bfd.DesiredMinTxInterval once Up (§6.8.1). */
  readonly desiredMinTxUs: number;
  /** bfd.RequiredMinRxInterval (§6.8.1). */
  readonly requiredMinRxUs: number;
  /** bfd.DetectMult (§6.8.1). */
  readonly detectMult: number;
}

export interface Intervals {
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
}

export interface BfdSessionState {
  readonly config: BfdSessionConfig;
  /** bfd.SessionState */
  readonly state: BfdState;
  /** bfd.RemoteSessionState */
  readonly remoteState: BfdState;
  /** bfd.LocalDiscr: nonzero, unique on this system (chosen by the caller). */
  readonly localDiscriminator: number;
  /** bfd.RemoteDiscr: zero until heard, and again after a Detection Time of silence. */
  readonly remoteDiscriminator: number;
  /** bfd.LocalDiag: why the session last went down. */
  readonly diagnostic: number;
  /** The Diag field of the last packet received. */
  readonly remoteDiagnostic: number;
  /** bfd.RemoteMinRxInterval: 1 µs until heard (§6.8.1). */
  readonly remoteMinRxUs: number;
  /** The remote's last Desired Min TX Interval (0 until heard). */
  readonly remoteDesiredMinTxUs: number;
  /** The remote's Detect Mult (0 until heard). */
  readonly remoteDetectMult: number;
  /** The remote's C bit (RFC 5880 §4.1, RFC 5882 §4.3). */
  readonly remoteControlPlaneIndependent: boolean;
  /** What our packets carry now (Desired Min TX at least 1 s while not Up, §6.8.3). */
  readonly advertised: Intervals;
  /** What our own timers use: lags `advertised` during a Poll Sequence (§6.8.3). */
  readonly inEffect: Intervals;
  /** A Poll Sequence is running: our packets carry P until a packet with F arrives (§6.5). */
  readonly polling: boolean;
  /** The transmit interval last armed, 0 when not transmitting. */
  readonly transmitIntervalUs: number;
}

export type BfdEvent =
  | { readonly type: 'start' }
  | { readonly type: 'received'; readonly packet: ControlPacket }
  | { readonly type: 'transmitTimerExpired' }
  | { readonly type: 'detectTimerExpired' }
  | { readonly type: 'adminDown' }
  | { readonly type: 'adminUp' }
  | { readonly type: 'configure'; readonly config: BfdSessionConfig };

export interface StateChange {
  readonly from: BfdState;
  readonly to: BfdState;
  /** bfd.LocalDiag after the change. */
  readonly diagnostic: number;
  /** The remote's state when it happened (AdminDown is not a failure, RFC 5882 §3.2). */
  readonly remoteState: BfdState;
  readonly remoteControlPlaneIndependent: boolean;
}

export type BfdAction =
  | { readonly type: 'send'; readonly packet: ControlPacket }
  /** Arm the periodic transmit timer; the executor reduces the interval by jitter (§6.8.7). */
  | { readonly type: 'armTransmit'; readonly intervalUs: number; readonly detectMult: number }
  | { readonly type: 'stopTransmit' }
  /** (Re)start the detection timer: a valid packet arrived (§6.8.4). */
  | { readonly type: 'armDetect'; readonly detectionTimeUs: number }
  | { readonly type: 'stopDetect' }
  | ({ readonly type: 'stateChanged' } & StateChange);

export interface BfdTransition {
  readonly state: BfdSessionState;
  readonly actions: readonly BfdAction[];
}

/** §6.8.3: the intervals to advertise in `state`. */
function wantedIntervals(config: BfdSessionConfig, state: BfdState): Intervals {
  return {
    desiredMinTxUs:
      state === 'up' ? config.desiredMinTxUs : Math.max(config.desiredMinTxUs, SLOW_TX_INTERVAL_US),
    requiredMinRxUs: config.requiredMinRxUs,
  };
}

export function initialBfdState(config: BfdSessionConfig, localDiscriminator: number): BfdSessionState {
  if (localDiscriminator === 0) throw new Error('bfd.LocalDiscr must be nonzero (RFC 5880 §6.8.1)');
  const intervals = wantedIntervals(config, 'down');
  return {
    config,
    state: 'down',
    remoteState: 'down',
    localDiscriminator,
    remoteDiscriminator: 0,
    diagnostic: Diagnostic.none,
    remoteDiagnostic: Diagnostic.none,
    remoteMinRxUs: 1,
    remoteDesiredMinTxUs: 0,
    remoteDetectMult: 0,
    remoteControlPlaneIndependent: false,
    advertised: intervals,
    inEffect: intervals,
    polling: false,
    transmitIntervalUs: 0,
  };
}

/** The packet this session sends now (§6.8.7). */
export function controlPacketOf(state: BfdSessionState, final: boolean): ControlPacket {
  return {
    version: BFD_VERSION,
    diagnostic: state.diagnostic,
    state: state.state,
    // §6.5: never P and F together; the poll goes on in the next periodic packet.
    poll: state.polling && !final,
    final,
    // Our BFD runs in the agent's process and shares fate with BGP (§6.8.7: C clear).
    controlPlaneIndependent: false,
    authenticated: false,
    demand: false,
    multipoint: false,
    detectMult: state.config.detectMult,
    myDiscriminator: state.localDiscriminator,
    yourDiscriminator: state.remoteDiscriminator,
    desiredMinTxUs: state.advertised.desiredMinTxUs,
    requiredMinRxUs: state.advertised.requiredMinRxUs,
    // §6.8.3: zero means we do not take Echo packets.
    requiredMinEchoRxUs: 0,
  };
}

/** The Detection Time for the remote with the intervals in effect (§6.8.4). */
export function currentDetectionTimeUs(state: BfdSessionState): number {
  return detectionTimeUs(state.remoteDetectMult, state.inEffect.requiredMinRxUs, state.remoteDesiredMinTxUs);
}

/** The interval we transmit at, before jitter (§6.8.7). */
export function currentTransmitIntervalUs(state: BfdSessionState): number {
  return transmitIntervalUs(state.inEffect.desiredMinTxUs, state.remoteMinRxUs);
}

/**
 * After the session state or the configuration changed: the intervals to
 * advertise. Up, a change starts a Poll Sequence (§6.8.3) and our timers
 * keep the safe side of old and new until it ends: a larger Desired Min TX
 * and a smaller Required Min RX wait for the Final. Not Up, they apply at once.
 */
function retune(state: BfdSessionState): BfdSessionState {
  const wanted = wantedIntervals(state.config, state.state);
  if (state.state !== 'up') return { ...state, advertised: wanted, inEffect: wanted, polling: false };
  const same =
    wanted.desiredMinTxUs === state.advertised.desiredMinTxUs &&
    wanted.requiredMinRxUs === state.advertised.requiredMinRxUs;
  if (same) return state;
  return {
    ...state,
    advertised: wanted,
    inEffect: {
      desiredMinTxUs: Math.min(state.inEffect.desiredMinTxUs, wanted.desiredMinTxUs),
      requiredMinRxUs: Math.max(state.inEffect.requiredMinRxUs, wanted.requiredMinRxUs),
    },
    polling: true,
  };
}

/** Re-arms the transmit timer when the interval changed; stops it when the remote asks for nothing (§6.8.7). */
function transmitActions(
  previous: BfdSessionState,
  next: BfdSessionState,
): { state: BfdSessionState; actions: BfdAction[] } {
  // §6.8.7: "MUST NOT periodically transmit BFD Control packets if bfd.RemoteMinRxInterval is zero."
  const interval = next.remoteMinRxUs === 0 ? 0 : currentTransmitIntervalUs(next);
  if (interval === previous.transmitIntervalUs) return { state: next, actions: [] };
  const state = { ...next, transmitIntervalUs: interval };
  if (interval === 0) return { state, actions: [{ type: 'stopTransmit' }] };
  return {
    state,
    actions: [{ type: 'armTransmit', intervalUs: interval, detectMult: next.config.detectMult }],
  };
}

function changeOf(from: BfdState, state: BfdSessionState): BfdAction {
  return {
    type: 'stateChanged',
    from,
    to: state.state,
    diagnostic: state.diagnostic,
    remoteState: state.remoteState,
    remoteControlPlaneIndependent: state.remoteControlPlaneIndependent,
  };
}

/** §6.8.6 from "Set bfd.RemoteDiscr" on; the packet passed decodeControlPacket and was matched to this session. */
function receive(state: BfdSessionState, packet: ControlPacket): BfdTransition {
  // Session selection guards this already; a stray packet for another discriminator changes nothing.
  if (packet.yourDiscriminator !== 0 && packet.yourDiscriminator !== state.localDiscriminator)
    return { state, actions: [] };
  let next: BfdSessionState = {
    ...state,
    remoteDiscriminator: packet.myDiscriminator,
    remoteState: packet.state,
    remoteDiagnostic: packet.diagnostic,
    remoteMinRxUs: packet.requiredMinRxUs,
    remoteDesiredMinTxUs: packet.desiredMinTxUs,
    remoteDetectMult: packet.detectMult,
    remoteControlPlaneIndependent: packet.controlPlaneIndependent,
  };
  // "If a Poll Sequence is being transmitted by the local system and the
  // Final (F) bit in the received packet is set, the Poll Sequence MUST be terminated."
  if (packet.final && next.polling) next = { ...next, polling: false, inEffect: next.advertised };
  // "If bfd.SessionState is AdminDown: Discard the packet."
  if (state.state === 'adminDown') {
    const tx = transmitActions(state, next);
    return { state: tx.state, actions: tx.actions };
  }
  const from = state.state;
  if (packet.state === 'adminDown') {
    // "If received state is AdminDown: If bfd.SessionState is not Down, set
    // bfd.LocalDiag to 3 (Neighbor signaled session down), set bfd.SessionState to Down."
    if (from !== 'down')
      next = { ...next, state: 'down', diagnostic: Diagnostic.neighborSignaledSessionDown };
  } else if (from === 'down') {
    if (packet.state === 'down') next = { ...next, state: 'init' };
    else if (packet.state === 'init') next = { ...next, state: 'up' };
  } else if (from === 'init') {
    if (packet.state === 'init' || packet.state === 'up') next = { ...next, state: 'up' };
  } else if (packet.state === 'down') {
    // from Up
    next = { ...next, state: 'down', diagnostic: Diagnostic.neighborSignaledSessionDown };
  }
  const changed = next.state !== from;
  if (changed && next.state === 'up') next = { ...next, diagnostic: Diagnostic.none };
  if (changed) next = retune(next);
  const actions: BfdAction[] = [];
  const tx = transmitActions(state, next);
  next = tx.state;
  // "If the Poll (P) bit is set, send a BFD Control packet to the remote system
  // with the Poll (P) bit clear, and the Final (F) bit set." A state change is
  // told at once too, rather than up to one interval later.
  if (packet.poll || changed) actions.push({ type: 'send', packet: controlPacketOf(next, packet.poll) });
  actions.push(...tx.actions);
  // "If the packet was not discarded, it has been received for purposes of the Detection Time expiration rules in section 6.8.4."
  actions.push({ type: 'armDetect', detectionTimeUs: currentDetectionTimeUs(next) });
  if (changed) actions.push(changeOf(from, next));
  return { state: next, actions };
}

export function step(state: BfdSessionState, event: BfdEvent): BfdTransition {
  switch (event.type) {
    case 'start': {
      const tx = transmitActions({ ...state, transmitIntervalUs: 0 }, state);
      return {
        state: tx.state,
        actions: [{ type: 'send', packet: controlPacketOf(tx.state, false) }, ...tx.actions],
      };
    }
    case 'received':
      return receive(state, event.packet);
    case 'transmitTimerExpired': {
      if (state.transmitIntervalUs === 0) return { state, actions: [] };
      return {
        state,
        actions: [
          { type: 'send', packet: controlPacketOf(state, false) },
          { type: 'armTransmit', intervalUs: state.transmitIntervalUs, detectMult: state.config.detectMult },
        ],
      };
    }
    case 'detectTimerExpired': {
      // §6.8.1: after a Detection Time without a valid packet, bfd.RemoteDiscr is zero again.
      // §6.8.4: Init or Up goes Down with Diag 1.
      const from = state.state;
      let next: BfdSessionState = { ...state, remoteDiscriminator: 0, remoteState: 'down' };
      if (from !== 'init' && from !== 'up') return { state: next, actions: [] };
      next = retune({ ...next, state: 'down', diagnostic: Diagnostic.controlDetectionTimeExpired });
      const tx = transmitActions(state, next);
      return {
        state: tx.state,
        actions: [
          { type: 'send', packet: controlPacketOf(tx.state, false) },
          ...tx.actions,
          changeOf(from, tx.state),
        ],
      };
    }
    case 'adminDown': {
      // §6.8.16: AdminDown with Diag 7; the remote is told, and stops counting on us.
      const from = state.state;
      if (from === 'adminDown') return { state, actions: [] };
      let next = retune({ ...state, state: 'adminDown', diagnostic: Diagnostic.administrativelyDown });
      const tx = transmitActions(state, next);
      next = tx.state;
      return {
        state: next,
        actions: [
          { type: 'send', packet: controlPacketOf(next, false) },
          ...tx.actions,
          { type: 'stopDetect' },
          changeOf(from, next),
        ],
      };
    }
    case 'adminUp': {
      if (state.state !== 'adminDown') return { state, actions: [] };
      let next = retune({ ...state, state: 'down' });
      const tx = transmitActions(state, next);
      next = tx.state;
      return {
        state: next,
        actions: [
          { type: 'send', packet: controlPacketOf(next, false) },
          ...tx.actions,
          changeOf('adminDown', next),
        ],
      };
    }
    case 'configure': {
      let next = retune({ ...state, config: event.config });
      const tx = transmitActions(state, next);
      next = tx.state;
      // A new poll is announced at once; the Final that ends it applies the new intervals.
      const announce = next.polling && !state.polling;
      const detect: BfdAction[] =
        next.remoteDetectMult > 0 &&
        state.state !== 'adminDown' &&
        currentDetectionTimeUs(next) !== currentDetectionTimeUs(state)
          ? [{ type: 'armDetect', detectionTimeUs: currentDetectionTimeUs(next) }]
          : [];
      return {
        state: next,
        actions: [
          ...(announce ? [{ type: 'send' as const, packet: controlPacketOf(next, false) }] : []),
          ...tx.actions,
          ...detect,
        ],
      };
    }
    default: {
      const unreachable: never = event;
      throw new Error(`unknown BFD event ${String(unreachable)}`);
    }
  }
}
