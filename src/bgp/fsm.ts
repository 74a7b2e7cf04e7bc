// The BGP finite state machine of RFC 4271 §8, pure: step(state, event)
// returns the next state and the actions to carry out. Timers, sockets and
// clocks live in session.ts, which executes the actions and feeds back events.
//
// One FSM runs per TCP connection attempt (RFC 4271 §8: "one FSM per
// connection"); the peer object resolves collisions between two of them
// (§6.8) and tells the loser with OpenCollisionDump.
//
// Deviations from the letter of §8.2.2, each deliberate:
// - PassiveTcpEstablishment never initiates a connection: no ConnectRetryTimer
//   runs in Active when passive (the RFC would connect on its expiry).
// - A header or OPEN error is always answered with its own NOTIFICATION
//   (§6.1, §6.2), also in Established where §8.2.2 lumps it into "any other
//   event" with an FSM error.
// - Peer oscillation damping (§8.1.1, whose method the RFC leaves open): after
//   a failure the FSM waits IdleHoldTime before the automatic restart; it
//   doubles on each consecutive failure up to a maximum, and resets once the
//   session has stayed Established for `stableSeconds` (the 'stable' timer).

import { CeaseSubcode, ErrorCode, FsmSubcode, OpenSubcode } from './codec/iana.js';

export type FsmStateName = 'idle' | 'connect' | 'active' | 'openSent' | 'openConfirm' | 'established';

export const fsmStateNames: readonly FsmStateName[] = [
  'idle',
  'connect',
  'active',
  'openSent',
  'openConfirm',
  'established',
];

/** RFC 4271 §8.1 timers, plus 'stable' (resets damping, see above). */
export type TimerName = 'connectRetry' | 'hold' | 'keepalive' | 'delayOpen' | 'idleHold' | 'stable';

export interface FsmConfig {
  /** PassiveTcpEstablishment: wait for the peer to connect. */
  readonly passive: boolean;
  /** DelayOpen (§8.1.1): seconds to wait for the peer's OPEN before sending ours; 0 = off. */
  readonly delayOpenSeconds: number;
  readonly connectRetrySeconds: number;
  /** The hold time proposed in our OPEN (§4.2). */
  readonly holdTimeSeconds: number;
  /** §8.2.2: the "large value" the HoldTimer gets in OpenSent (4 minutes suggested). */
  readonly openSentHoldTimeSeconds: number;
  /** AllowAutomaticStart: restart by itself after a failure. */
  readonly automaticRestart: boolean;
  /** DampPeerOscillations (§8.1.1). */
  readonly dampPeerOscillations: boolean;
  readonly idleHoldTimeSeconds: number;
  readonly maxIdleHoldTimeSeconds: number;
  readonly stableSeconds: number;
}

export const defaultFsmConfig: FsmConfig = Object.freeze({
  passive: false,
  delayOpenSeconds: 0,
  connectRetrySeconds: 30,
  holdTimeSeconds: 90,
  openSentHoldTimeSeconds: 240,
  automaticRestart: true,
  dampPeerOscillations: true,
  idleHoldTimeSeconds: 1,
  maxIdleHoldTimeSeconds: 60,
  stableSeconds: 60,
});

export interface FsmState {
  readonly name: FsmStateName;
  readonly config: FsmConfig;
  /** §8.1.1 ConnectRetryCounter: consecutive failures. */
  readonly connectRetryCounter: number;
  /** The current IdleHoldTime (backs off while damping). */
  readonly idleHoldTimeSeconds: number;
  /** The negotiated hold time once an OPEN was accepted (0 = no keepalives). */
  readonly holdTimeSeconds: number;
  readonly delayOpenRunning: boolean;
  /** False after ManualStop: no automatic restart. */
  readonly enabled: boolean;
}

/** Why a session went down or failed to come up (GoBGP's fsmStateReason). */
export type DownReason =
  | { readonly kind: 'admin-stop'; readonly subcode: number; readonly message?: string }
  | { readonly kind: 'automatic-stop'; readonly subcode: number; readonly message?: string }
  | { readonly kind: 'hold-timer-expired' }
  | { readonly kind: 'connection-failed' }
  | { readonly kind: 'notification-received'; readonly code: number; readonly subcode: number }
  | {
      readonly kind: 'notification-sent';
      readonly code: number;
      readonly subcode: number;
      readonly reason: string;
    }
  | { readonly kind: 'collision' }
  | { readonly kind: 'fsm-error'; readonly event: FsmEvent['type'] };

/** A NOTIFICATION to send: code, subcode, data (RFC 4271 §4.5) and a one-line reason for the log. */
export interface NotificationSpec {
  readonly code: number;
  readonly subcode: number;
  readonly data?: Uint8Array;
  /** RFC 9003 Shutdown Communication for Cease 2/4. */
  readonly shutdownMessage?: string;
  readonly reason: string;
}

/** RFC 4271 §8.1.2–§8.1.5 events (numbers in comments). */
export type FsmEvent =
  | { readonly type: 'ManualStart' } // 1
  | {
      readonly type: 'ManualStop';
      readonly subcode?: number;
      readonly message?: string;
      readonly data?: Uint8Array;
    } // 2
  | { readonly type: 'AutomaticStart' } // 3
  | { readonly type: 'ManualStartPassive' } // 4
  | { readonly type: 'AutomaticStartPassive' } // 5
  | { readonly type: 'AutomaticStartDamped' } // 6
  | { readonly type: 'AutomaticStartDampedPassive' } // 7
  | { readonly type: 'AutomaticStop'; readonly subcode?: number; readonly message?: string } // 8
  | { readonly type: 'ConnectRetryTimerExpires' } // 9
  | { readonly type: 'HoldTimerExpires' } // 10
  | { readonly type: 'KeepaliveTimerExpires' } // 11
  | { readonly type: 'DelayOpenTimerExpires' } // 12
  | { readonly type: 'IdleHoldTimerExpires' } // 13
  | { readonly type: 'TcpConnectionValid' } // 14
  | { readonly type: 'TcpCrInvalid' } // 15
  | { readonly type: 'TcpCrAcked' } // 16: our outgoing connection completed
  | { readonly type: 'TcpConnectionConfirmed' } // 17: an incoming connection was accepted
  | { readonly type: 'TcpConnectionFails' } // 18
  | { readonly type: 'BgpOpen'; readonly holdTimeSeconds: number } // 19/20: a valid OPEN, negotiated hold time
  | { readonly type: 'BgpHeaderErr'; readonly notification: NotificationSpec } // 21
  | { readonly type: 'BgpOpenMsgErr'; readonly notification: NotificationSpec } // 22
  | { readonly type: 'OpenCollisionDump' } // 23
  | { readonly type: 'NotifMsgVerErr' } // 24
  | { readonly type: 'NotifMsg'; readonly code: number; readonly subcode: number } // 25
  | { readonly type: 'KeepAliveMsg' } // 26
  | { readonly type: 'UpdateMsg' } // 27
  | { readonly type: 'UpdateMsgErr'; readonly notification: NotificationSpec } // 28
  | { readonly type: 'StableTimerExpires' }; // not in RFC 4271: see damping above

export type FsmEventType = FsmEvent['type'];

export type FsmAction =
  | { readonly type: 'connect' }
  | { readonly type: 'dropConnection' }
  | { readonly type: 'sendOpen' }
  | { readonly type: 'sendKeepalive' }
  | { readonly type: 'sendNotification'; readonly notification: NotificationSpec }
  | { readonly type: 'startTimer'; readonly timer: TimerName; readonly seconds: number }
  | { readonly type: 'stopTimer'; readonly timer: TimerName }
  | { readonly type: 'established' }
  /** Leave Established: delete the routes learned on this session (or keep them stale under GR). */
  | { readonly type: 'sessionDown'; readonly reason: DownReason }
  /** Hand the UPDATE of this event to the RIB. */
  | { readonly type: 'processUpdate' };

export interface FsmTransition {
  readonly state: FsmState;
  readonly actions: readonly FsmAction[];
  /** Set when the step ends an attempt or a session: why. */
  readonly reason?: DownReason;
}

export function initialFsmState(config: FsmConfig = defaultFsmConfig): FsmState {
  return {
    name: 'idle',
    config,
    connectRetryCounter: 0,
    idleHoldTimeSeconds: config.idleHoldTimeSeconds,
    holdTimeSeconds: config.holdTimeSeconds,
    delayOpenRunning: false,
    enabled: false,
  };
}

const stop = (timer: TimerName): FsmAction => ({ type: 'stopTimer', timer });
const start = (timer: TimerName, seconds: number): FsmAction => ({ type: 'startTimer', timer, seconds });
const notify = (notification: NotificationSpec): FsmAction => ({ type: 'sendNotification', notification });
const DROP: FsmAction = { type: 'dropConnection' };

function cease(subcode: number, reason: string, message?: string, data?: Uint8Array): NotificationSpec {
  return {
    code: ErrorCode.cease,
    subcode,
    reason,
    ...(message !== undefined ? { shutdownMessage: message } : {}),
    ...(data !== undefined ? { data } : {}),
  };
}

function stopReason(subcode: number): string {
  if (subcode === CeaseSubcode.maximumPrefixesReached) return 'maximum number of prefixes reached';
  // RFC 9384: the session is closed because BFD declared the path down.
  if (subcode === CeaseSubcode.bfdDown) return 'BFD down';
  return 'administrative stop';
}

/** RFC 6608 §4: the Data field is the type of the unexpected message, when a message caused it. */
const messageTypeOf: Partial<Record<FsmEventType, number>> = {
  BgpOpen: 1,
  UpdateMsg: 2,
  UpdateMsgErr: 2,
  NotifMsg: 3,
  KeepAliveMsg: 4,
};

function fsmError(subcode: number, event: FsmEventType): NotificationSpec {
  const type = messageTypeOf[event];
  return type === undefined
    ? { code: ErrorCode.finiteStateMachine, subcode, reason: `unexpected ${event}` }
    : {
        code: ErrorCode.finiteStateMachine,
        subcode,
        reason: `unexpected ${event}`,
        data: Uint8Array.of(type),
      };
}

/** Stops every timer a connection uses. */
const STOP_CONNECTION_TIMERS: readonly FsmAction[] = [
  stop('connectRetry'),
  stop('delayOpen'),
  stop('hold'),
  stop('keepalive'),
  stop('stable'),
];

/**
 * Moves to Idle after a failure: counts it, and when automatic restart is on,
 * arms IdleHoldTimer (doubling it while damping, §8.1.1).
 */
function failToIdle(
  state: FsmState,
  actions: FsmAction[],
  reason: DownReason,
  countFailure = true,
): FsmTransition {
  const config = state.config;
  const leaving: FsmAction[] = state.name === 'established' ? [{ type: 'sessionDown', reason }] : [];
  const counter = countFailure ? state.connectRetryCounter + 1 : state.connectRetryCounter;
  const restart = state.enabled && config.automaticRestart;
  const wait = state.idleHoldTimeSeconds;
  const nextIdleHold = config.dampPeerOscillations
    ? Math.min(wait * 2, config.maxIdleHoldTimeSeconds)
    : config.idleHoldTimeSeconds;
  return {
    state: {
      ...state,
      name: 'idle',
      connectRetryCounter: counter,
      idleHoldTimeSeconds: nextIdleHold,
      delayOpenRunning: false,
    },
    actions: [
      ...actions,
      ...STOP_CONNECTION_TIMERS,
      DROP,
      ...leaving,
      ...(restart ? [start('idleHold', wait)] : []),
    ],
    reason,
  };
}

/** ManualStop: Idle, no restart, counter reset (§8.2.2 "sets the ConnectRetryCounter to zero"). */
function stopToIdle(state: FsmState, actions: FsmAction[], reason: DownReason): FsmTransition {
  const leaving: FsmAction[] = state.name === 'established' ? [{ type: 'sessionDown', reason }] : [];
  return {
    state: { ...state, name: 'idle', connectRetryCounter: 0, delayOpenRunning: false, enabled: false },
    actions: [...actions, ...STOP_CONNECTION_TIMERS, stop('idleHold'), DROP, ...leaving],
    reason,
  };
}

function sendOpenAndWait(state: FsmState): FsmTransition {
  return {
    state: { ...state, name: 'openSent', delayOpenRunning: false },
    actions: [
      stop('connectRetry'),
      stop('delayOpen'),
      { type: 'sendOpen' },
      start('hold', state.config.openSentHoldTimeSeconds),
    ],
  };
}

/** An OPEN accepted while DelayOpen was running (event 20): OPEN, KEEPALIVE, to OpenConfirm. */
function openDuringDelay(state: FsmState, holdTimeSeconds: number): FsmTransition {
  return {
    state: { ...state, name: 'openConfirm', holdTimeSeconds, delayOpenRunning: false },
    actions: [
      stop('connectRetry'),
      stop('delayOpen'),
      { type: 'sendOpen' },
      { type: 'sendKeepalive' },
      ...keepaliveAndHold(holdTimeSeconds),
    ],
  };
}

/** §4.4: KEEPALIVE every hold/3 s; no timers when the hold time is 0. */
function keepaliveAndHold(holdTimeSeconds: number): FsmAction[] {
  if (holdTimeSeconds === 0) return [stop('keepalive'), stop('hold')];
  return [start('keepalive', keepaliveSeconds(holdTimeSeconds)), start('hold', holdTimeSeconds)];
}

export function keepaliveSeconds(holdTimeSeconds: number): number {
  return Math.max(1, Math.floor(holdTimeSeconds / 3));
}

function startConnecting(state: FsmState, passive: boolean): FsmTransition {
  const base = { ...state, enabled: true, delayOpenRunning: false };
  if (passive) return { state: { ...base, name: 'active' }, actions: [stop('idleHold')] };
  return {
    state: { ...base, name: 'connect' },
    actions: [stop('idleHold'), start('connectRetry', state.config.connectRetrySeconds), { type: 'connect' }],
  };
}

function onConnected(state: FsmState): FsmTransition {
  if (state.config.delayOpenSeconds > 0) {
    return {
      state: { ...state, delayOpenRunning: true },
      actions: [stop('connectRetry'), start('delayOpen', state.config.delayOpenSeconds)],
    };
  }
  return sendOpenAndWait(state);
}

function idle(state: FsmState, event: FsmEvent): FsmTransition {
  switch (event.type) {
    case 'ManualStart':
      return startConnecting(
        { ...state, connectRetryCounter: 0, idleHoldTimeSeconds: state.config.idleHoldTimeSeconds },
        state.config.passive,
      );
    case 'ManualStartPassive':
      return startConnecting(
        { ...state, connectRetryCounter: 0, idleHoldTimeSeconds: state.config.idleHoldTimeSeconds },
        true,
      );
    case 'AutomaticStart':
    case 'AutomaticStartDamped':
      return startConnecting(state, state.config.passive);
    case 'AutomaticStartPassive':
    case 'AutomaticStartDampedPassive':
      return startConnecting(state, true);
    case 'IdleHoldTimerExpires':
      // The automatic restart after damping (§8.1.1 DampPeerOscillations).
      return state.enabled ? startConnecting(state, state.config.passive) : { state, actions: [] };
    default:
      // §8.2.2 Idle: every other event is ignored (connections are refused by the caller).
      return { state, actions: [] };
  }
}

function connect(state: FsmState, event: FsmEvent): FsmTransition {
  switch (event.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'ManualStartPassive':
    case 'AutomaticStartPassive':
    case 'AutomaticStartDamped':
    case 'AutomaticStartDampedPassive':
    case 'TcpConnectionValid':
    case 'TcpCrInvalid':
    case 'StableTimerExpires':
      return { state, actions: [] };
    case 'ManualStop':
      return stopToIdle(state, [], {
        kind: 'admin-stop',
        subcode: event.subcode ?? CeaseSubcode.administrativeShutdown,
      });
    case 'ConnectRetryTimerExpires':
      return {
        state: { ...state, delayOpenRunning: false },
        actions: [
          DROP,
          stop('delayOpen'),
          start('connectRetry', state.config.connectRetrySeconds),
          { type: 'connect' },
        ],
      };
    case 'DelayOpenTimerExpires':
      return sendOpenAndWait(state);
    case 'TcpCrAcked':
    case 'TcpConnectionConfirmed':
      return onConnected(state);
    case 'TcpConnectionFails':
      if (state.delayOpenRunning) {
        return {
          state: { ...state, name: 'active', delayOpenRunning: false },
          actions: [DROP, stop('delayOpen'), start('connectRetry', state.config.connectRetrySeconds)],
        };
      }
      return failToIdle(state, [], { kind: 'connection-failed' });
    case 'BgpOpen':
      if (state.delayOpenRunning) return openDuringDelay(state, event.holdTimeSeconds);
      return failToIdle(state, [], { kind: 'fsm-error', event: event.type });
    case 'BgpHeaderErr':
    case 'BgpOpenMsgErr':
      return failToIdle(state, [notify(event.notification)], notificationSent(event.notification));
    case 'NotifMsgVerErr':
      return failToIdle(
        state,
        [],
        {
          kind: 'notification-received',
          code: ErrorCode.openMessage,
          subcode: OpenSubcode.unsupportedVersionNumber,
        },
        !state.delayOpenRunning,
      );
    default:
      // §8.2.2 Connect, "any other event" (8, 10, 11, 13, 19, 23, 25-28).
      return failToIdle(state, [], reasonFor(event));
  }
}

function active(state: FsmState, event: FsmEvent): FsmTransition {
  switch (event.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'ManualStartPassive':
    case 'AutomaticStartPassive':
    case 'AutomaticStartDamped':
    case 'AutomaticStartDampedPassive':
    case 'TcpConnectionValid':
    case 'TcpCrInvalid':
    case 'StableTimerExpires':
      return { state, actions: [] };
    case 'ManualStop': {
      const subcode = event.subcode ?? CeaseSubcode.administrativeShutdown;
      // A connection waiting out DelayOpen gets a Cease (SendNOTIFICATIONwithoutOPEN).
      const actions = state.delayOpenRunning
        ? [notify(cease(subcode, stopReason(subcode), event.message, event.data))]
        : [];
      return stopToIdle(state, actions, { kind: 'admin-stop', subcode });
    }
    case 'ConnectRetryTimerExpires':
      if (state.config.passive) return { state, actions: [] };
      return {
        state: { ...state, name: 'connect', delayOpenRunning: false },
        actions: [start('connectRetry', state.config.connectRetrySeconds), { type: 'connect' }],
      };
    case 'DelayOpenTimerExpires':
      return sendOpenAndWait(state);
    case 'TcpCrAcked':
    case 'TcpConnectionConfirmed':
      return onConnected(state);
    case 'TcpConnectionFails':
      return failToIdle(state, [], { kind: 'connection-failed' });
    case 'BgpOpen':
      if (state.delayOpenRunning) return openDuringDelay(state, event.holdTimeSeconds);
      return failToIdle(state, [], { kind: 'fsm-error', event: event.type });
    case 'BgpHeaderErr':
    case 'BgpOpenMsgErr':
      return failToIdle(state, [notify(event.notification)], notificationSent(event.notification));
    case 'NotifMsgVerErr':
      return failToIdle(
        state,
        [],
        {
          kind: 'notification-received',
          code: ErrorCode.openMessage,
          subcode: OpenSubcode.unsupportedVersionNumber,
        },
        !state.delayOpenRunning,
      );
    default:
      // §8.2.2 Active, "any other event" (8, 10, 11, 13, 19, 23, 25-28).
      return failToIdle(state, [], reasonFor(event));
  }
}

function openSent(state: FsmState, event: FsmEvent): FsmTransition {
  switch (event.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'ManualStartPassive':
    case 'AutomaticStartPassive':
    case 'AutomaticStartDamped':
    case 'AutomaticStartDampedPassive':
    case 'TcpConnectionValid':
    case 'TcpCrInvalid':
    case 'TcpCrAcked':
    case 'TcpConnectionConfirmed':
    case 'StableTimerExpires':
      // 14/16/17: a second connection is tracked by the peer, not by this FSM.
      return { state, actions: [] };
    case 'ManualStop': {
      const subcode = event.subcode ?? CeaseSubcode.administrativeShutdown;
      return stopToIdle(state, [notify(cease(subcode, stopReason(subcode), event.message, event.data))], {
        kind: 'admin-stop',
        subcode,
      });
    }
    case 'AutomaticStop': {
      const subcode = event.subcode ?? CeaseSubcode.administrativeReset;
      const spec = cease(subcode, 'automatic stop', event.message);
      return failToIdle(state, [notify(spec)], { kind: 'automatic-stop', subcode });
    }
    case 'HoldTimerExpires':
      return failToIdle(
        state,
        [notify({ code: ErrorCode.holdTimerExpired, subcode: 0, reason: 'hold timer expired' })],
        {
          kind: 'hold-timer-expired',
        },
      );
    case 'TcpConnectionFails':
      return {
        state: { ...state, name: 'active', delayOpenRunning: false },
        actions: [
          DROP,
          stop('hold'),
          ...(state.config.passive ? [] : [start('connectRetry', state.config.connectRetrySeconds)]),
        ],
        reason: { kind: 'connection-failed' },
      };
    case 'BgpOpen':
      return {
        state: {
          ...state,
          name: 'openConfirm',
          holdTimeSeconds: event.holdTimeSeconds,
          delayOpenRunning: false,
        },
        actions: [
          stop('delayOpen'),
          stop('connectRetry'),
          { type: 'sendKeepalive' },
          ...keepaliveAndHold(event.holdTimeSeconds),
        ],
      };
    case 'BgpHeaderErr':
    case 'BgpOpenMsgErr':
      return failToIdle(state, [notify(event.notification)], notificationSent(event.notification));
    case 'OpenCollisionDump':
      return failToIdle(
        state,
        [
          notify(
            cease(
              CeaseSubcode.connectionCollisionResolution,
              'connection collision resolution (RFC 4271 §6.8)',
            ),
          ),
        ],
        { kind: 'collision' },
      );
    case 'NotifMsgVerErr':
      return failToIdle(
        state,
        [],
        {
          kind: 'notification-received',
          code: ErrorCode.openMessage,
          subcode: OpenSubcode.unsupportedVersionNumber,
        },
        false,
      );
    default:
      // §8.2.2 OpenSent, "any other event" (9, 11-13, 20, 25-28): FSM error (RFC 6608 subcode 1).
      return failToIdle(
        state,
        [notify(fsmError(FsmSubcode.unexpectedMessageInOpenSent, event.type))],
        reasonFor(event),
      );
  }
}

function openConfirm(state: FsmState, event: FsmEvent): FsmTransition {
  switch (event.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'ManualStartPassive':
    case 'AutomaticStartPassive':
    case 'AutomaticStartDamped':
    case 'AutomaticStartDampedPassive':
    case 'TcpConnectionValid':
    case 'TcpCrInvalid':
    case 'TcpCrAcked':
    case 'TcpConnectionConfirmed':
    case 'StableTimerExpires':
      return { state, actions: [] };
    case 'ManualStop': {
      const subcode = event.subcode ?? CeaseSubcode.administrativeShutdown;
      return stopToIdle(state, [notify(cease(subcode, stopReason(subcode), event.message, event.data))], {
        kind: 'admin-stop',
        subcode,
      });
    }
    case 'AutomaticStop': {
      const subcode = event.subcode ?? CeaseSubcode.administrativeReset;
      return failToIdle(state, [notify(cease(subcode, 'automatic stop', event.message))], {
        kind: 'automatic-stop',
        subcode,
      });
    }
    case 'HoldTimerExpires':
      return failToIdle(
        state,
        [notify({ code: ErrorCode.holdTimerExpired, subcode: 0, reason: 'hold timer expired' })],
        {
          kind: 'hold-timer-expired',
        },
      );
    case 'KeepaliveTimerExpires':
      return {
        state,
        actions: [{ type: 'sendKeepalive' }, start('keepalive', keepaliveSeconds(state.holdTimeSeconds))],
      };
    case 'TcpConnectionFails':
      return failToIdle(state, [], { kind: 'connection-failed' });
    case 'NotifMsg':
      return failToIdle(state, [], {
        kind: 'notification-received',
        code: event.code,
        subcode: event.subcode,
      });
    case 'NotifMsgVerErr':
      return failToIdle(
        state,
        [],
        {
          kind: 'notification-received',
          code: ErrorCode.openMessage,
          subcode: OpenSubcode.unsupportedVersionNumber,
        },
        false,
      );
    case 'BgpHeaderErr':
    case 'BgpOpenMsgErr':
      return failToIdle(state, [notify(event.notification)], notificationSent(event.notification));
    case 'OpenCollisionDump':
      return failToIdle(
        state,
        [
          notify(
            cease(
              CeaseSubcode.connectionCollisionResolution,
              'connection collision resolution (RFC 4271 §6.8)',
            ),
          ),
        ],
        { kind: 'collision' },
      );
    case 'KeepAliveMsg':
      return {
        state: { ...state, name: 'established' },
        actions: [
          ...(state.holdTimeSeconds > 0 ? [start('hold', state.holdTimeSeconds)] : []),
          start('stable', state.config.stableSeconds),
          { type: 'established' },
        ],
      };
    default:
      // §8.2.2 OpenConfirm, "any other event" (9, 12-13, 19-20, 27-28): FSM error (RFC 6608 subcode 2).
      return failToIdle(
        state,
        [notify(fsmError(FsmSubcode.unexpectedMessageInOpenConfirm, event.type))],
        reasonFor(event),
      );
  }
}

function established(state: FsmState, event: FsmEvent): FsmTransition {
  switch (event.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'ManualStartPassive':
    case 'AutomaticStartPassive':
    case 'AutomaticStartDamped':
    case 'AutomaticStartDampedPassive':
    case 'TcpConnectionValid':
    case 'TcpCrInvalid':
    case 'TcpCrAcked':
    case 'TcpConnectionConfirmed':
      return { state, actions: [] };
    case 'StableTimerExpires':
      // Damping: a session that stayed up is no longer oscillating.
      return {
        state: { ...state, connectRetryCounter: 0, idleHoldTimeSeconds: state.config.idleHoldTimeSeconds },
        actions: [],
      };
    case 'ManualStop': {
      const subcode = event.subcode ?? CeaseSubcode.administrativeShutdown;
      return stopToIdle(state, [notify(cease(subcode, stopReason(subcode), event.message, event.data))], {
        kind: 'admin-stop',
        subcode,
      });
    }
    case 'AutomaticStop': {
      const subcode = event.subcode ?? CeaseSubcode.administrativeReset;
      return failToIdle(state, [notify(cease(subcode, 'automatic stop', event.message))], {
        kind: 'automatic-stop',
        subcode,
      });
    }
    case 'HoldTimerExpires':
      return failToIdle(
        state,
        [notify({ code: ErrorCode.holdTimerExpired, subcode: 0, reason: 'hold timer expired' })],
        {
          kind: 'hold-timer-expired',
        },
      );
    case 'KeepaliveTimerExpires':
      return {
        state,
        actions: [{ type: 'sendKeepalive' }, start('keepalive', keepaliveSeconds(state.holdTimeSeconds))],
      };
    case 'TcpConnectionFails':
      return failToIdle(state, [], { kind: 'connection-failed' });
    case 'NotifMsg':
      return failToIdle(state, [], {
        kind: 'notification-received',
        code: event.code,
        subcode: event.subcode,
      });
    case 'NotifMsgVerErr':
      return failToIdle(state, [], {
        kind: 'notification-received',
        code: ErrorCode.openMessage,
        subcode: OpenSubcode.unsupportedVersionNumber,
      });
    case 'KeepAliveMsg':
      return { state, actions: state.holdTimeSeconds > 0 ? [start('hold', state.holdTimeSeconds)] : [] };
    case 'UpdateMsg':
      return {
        state,
        actions: [
          { type: 'processUpdate' },
          ...(state.holdTimeSeconds > 0 ? [start('hold', state.holdTimeSeconds)] : []),
        ],
      };
    case 'UpdateMsgErr':
    case 'BgpHeaderErr':
    case 'BgpOpenMsgErr':
      return failToIdle(state, [notify(event.notification)], notificationSent(event.notification));
    case 'OpenCollisionDump':
      return failToIdle(
        state,
        [
          notify(
            cease(
              CeaseSubcode.connectionCollisionResolution,
              'connection collision resolution (RFC 4271 §6.8)',
            ),
          ),
        ],
        { kind: 'collision' },
      );
    default:
      // §8.2.2 Established, "any other event" (9, 12-13, 19-20): FSM error (RFC 6608 subcode 3).
      return failToIdle(
        state,
        [notify(fsmError(FsmSubcode.unexpectedMessageInEstablished, event.type))],
        reasonFor(event),
      );
  }
}

function notificationSent(notification: NotificationSpec): DownReason {
  return {
    kind: 'notification-sent',
    code: notification.code,
    subcode: notification.subcode,
    reason: notification.reason,
  };
}

function reasonFor(event: FsmEvent): DownReason {
  switch (event.type) {
    case 'NotifMsg':
      return { kind: 'notification-received', code: event.code, subcode: event.subcode };
    case 'HoldTimerExpires':
      return { kind: 'hold-timer-expired' };
    case 'AutomaticStop':
      return { kind: 'automatic-stop', subcode: event.subcode ?? CeaseSubcode.administrativeReset };
    case 'OpenCollisionDump':
      return { kind: 'collision' };
    case 'UpdateMsgErr':
      return notificationSent(event.notification);
    default:
      return { kind: 'fsm-error', event: event.type };
  }
}

/** RFC 4271 §8.2.2: one event, one transition. */
export function step(state: FsmState, event: FsmEvent): FsmTransition {
  switch (state.name) {
    case 'idle':
      return idle(state, event);
    case 'connect':
      return connect(state, event);
    case 'active':
      return active(state, event);
    case 'openSent':
      return openSent(state, event);
    case 'openConfirm':
      return openConfirm(state, event);
    case 'established':
      return established(state, event);
    default: {
      const unreachable: never = state.name;
      throw new Error(`unknown FSM state ${String(unreachable)}`);
    }
  }
}
