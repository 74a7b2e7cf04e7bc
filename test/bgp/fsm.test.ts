// The FSM against RFC 4271 §8.2.2, one expected outcome for every state x
// event pair, written from the RFC text (not from the implementation).
import { describe, expect, it } from 'vitest';
import {
  defaultFsmConfig,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  type FsmStateName,
  fsmStateNames,
  initialFsmState,
  step,
} from '../../src/bgp/fsm.js';

const notification = { code: 3, subcode: 1, reason: 'test' };
const events: Record<FsmEvent['type'], FsmEvent> = {
  ManualStart: { type: 'ManualStart' },
  ManualStop: { type: 'ManualStop' },
  AutomaticStart: { type: 'AutomaticStart' },
  ManualStartPassive: { type: 'ManualStartPassive' },
  AutomaticStartPassive: { type: 'AutomaticStartPassive' },
  AutomaticStartDamped: { type: 'AutomaticStartDamped' },
  AutomaticStartDampedPassive: { type: 'AutomaticStartDampedPassive' },
  AutomaticStop: { type: 'AutomaticStop' },
  ConnectRetryTimerExpires: { type: 'ConnectRetryTimerExpires' },
  HoldTimerExpires: { type: 'HoldTimerExpires' },
  KeepaliveTimerExpires: { type: 'KeepaliveTimerExpires' },
  DelayOpenTimerExpires: { type: 'DelayOpenTimerExpires' },
  IdleHoldTimerExpires: { type: 'IdleHoldTimerExpires' },
  TcpConnectionValid: { type: 'TcpConnectionValid' },
  TcpCrInvalid: { type: 'TcpCrInvalid' },
  TcpCrAcked: { type: 'TcpCrAcked' },
  TcpConnectionConfirmed: { type: 'TcpConnectionConfirmed' },
  TcpConnectionFails: { type: 'TcpConnectionFails' },
  BgpOpen: { type: 'BgpOpen', holdTimeSeconds: 9 },
  BgpHeaderErr: { type: 'BgpHeaderErr', notification: { code: 1, subcode: 2, reason: 'test' } },
  BgpOpenMsgErr: { type: 'BgpOpenMsgErr', notification: { code: 2, subcode: 2, reason: 'test' } },
  OpenCollisionDump: { type: 'OpenCollisionDump' },
  NotifMsgVerErr: { type: 'NotifMsgVerErr' },
  NotifMsg: { type: 'NotifMsg', code: 6, subcode: 2 },
  KeepAliveMsg: { type: 'KeepAliveMsg' },
  UpdateMsg: { type: 'UpdateMsg' },
  UpdateMsgErr: { type: 'UpdateMsgErr', notification },
  StableTimerExpires: { type: 'StableTimerExpires' },
};

/**
 * Expected outcome: "next-state action action ...", where actions are
 * connect, drop, open, keepalive, N/S (NOTIFICATION code/subcode),
 * established, down (sessionDown), update (processUpdate).
 */
type Table = Record<FsmEvent['type'], string>;

const ignore = (state: FsmStateName): string => state;
const starts = (state: FsmStateName) => ({
  ManualStart: ignore(state),
  AutomaticStart: ignore(state),
  ManualStartPassive: ignore(state),
  AutomaticStartPassive: ignore(state),
  AutomaticStartDamped: ignore(state),
  AutomaticStartDampedPassive: ignore(state),
});

const expected: Record<FsmStateName, Table> = {
  idle: {
    ManualStart: 'connect connect',
    ManualStop: 'idle',
    AutomaticStart: 'connect connect',
    ManualStartPassive: 'active',
    AutomaticStartPassive: 'active',
    AutomaticStartDamped: 'connect connect',
    AutomaticStartDampedPassive: 'active',
    AutomaticStop: 'idle',
    ConnectRetryTimerExpires: 'idle',
    HoldTimerExpires: 'idle',
    KeepaliveTimerExpires: 'idle',
    DelayOpenTimerExpires: 'idle',
    IdleHoldTimerExpires: 'idle', // not started: no automatic restart
    TcpConnectionValid: 'idle',
    TcpCrInvalid: 'idle',
    TcpCrAcked: 'idle',
    TcpConnectionConfirmed: 'idle',
    TcpConnectionFails: 'idle',
    BgpOpen: 'idle',
    BgpHeaderErr: 'idle',
    BgpOpenMsgErr: 'idle',
    OpenCollisionDump: 'idle',
    NotifMsgVerErr: 'idle',
    NotifMsg: 'idle',
    KeepAliveMsg: 'idle',
    UpdateMsg: 'idle',
    UpdateMsgErr: 'idle',
    StableTimerExpires: 'idle',
  },
  connect: {
    ...starts('connect'),
    ManualStop: 'idle drop',
    AutomaticStop: 'idle drop',
    ConnectRetryTimerExpires: 'connect drop connect',
    HoldTimerExpires: 'idle drop',
    KeepaliveTimerExpires: 'idle drop',
    DelayOpenTimerExpires: 'openSent open',
    IdleHoldTimerExpires: 'idle drop',
    TcpConnectionValid: 'connect',
    TcpCrInvalid: 'connect',
    TcpCrAcked: 'openSent open',
    TcpConnectionConfirmed: 'openSent open',
    TcpConnectionFails: 'idle drop',
    BgpOpen: 'idle drop',
    BgpHeaderErr: 'idle 1/2 drop',
    BgpOpenMsgErr: 'idle 2/2 drop',
    OpenCollisionDump: 'idle drop',
    NotifMsgVerErr: 'idle drop',
    NotifMsg: 'idle drop',
    KeepAliveMsg: 'idle drop',
    UpdateMsg: 'idle drop',
    UpdateMsgErr: 'idle drop',
    StableTimerExpires: 'connect',
  },
  active: {
    ...starts('active'),
    ManualStop: 'idle drop',
    AutomaticStop: 'idle drop',
    ConnectRetryTimerExpires: 'connect connect',
    HoldTimerExpires: 'idle drop',
    KeepaliveTimerExpires: 'idle drop',
    DelayOpenTimerExpires: 'openSent open',
    IdleHoldTimerExpires: 'idle drop',
    TcpConnectionValid: 'active',
    TcpCrInvalid: 'active',
    TcpCrAcked: 'openSent open',
    TcpConnectionConfirmed: 'openSent open',
    TcpConnectionFails: 'idle drop',
    BgpOpen: 'idle drop',
    BgpHeaderErr: 'idle 1/2 drop',
    BgpOpenMsgErr: 'idle 2/2 drop',
    OpenCollisionDump: 'idle drop',
    NotifMsgVerErr: 'idle drop',
    NotifMsg: 'idle drop',
    KeepAliveMsg: 'idle drop',
    UpdateMsg: 'idle drop',
    UpdateMsgErr: 'idle drop',
    StableTimerExpires: 'active',
  },
  openSent: {
    ...starts('openSent'),
    ManualStop: 'idle 6/2 drop',
    AutomaticStop: 'idle 6/4 drop',
    ConnectRetryTimerExpires: 'idle 5/1 drop',
    HoldTimerExpires: 'idle 4/0 drop',
    KeepaliveTimerExpires: 'idle 5/1 drop',
    DelayOpenTimerExpires: 'idle 5/1 drop',
    IdleHoldTimerExpires: 'idle 5/1 drop',
    TcpConnectionValid: 'openSent',
    TcpCrInvalid: 'openSent',
    TcpCrAcked: 'openSent',
    TcpConnectionConfirmed: 'openSent',
    TcpConnectionFails: 'active drop',
    BgpOpen: 'openConfirm keepalive',
    BgpHeaderErr: 'idle 1/2 drop',
    BgpOpenMsgErr: 'idle 2/2 drop',
    OpenCollisionDump: 'idle 6/7 drop',
    NotifMsgVerErr: 'idle drop',
    NotifMsg: 'idle 5/1 drop',
    KeepAliveMsg: 'idle 5/1 drop',
    UpdateMsg: 'idle 5/1 drop',
    UpdateMsgErr: 'idle 5/1 drop',
    StableTimerExpires: 'openSent',
  },
  openConfirm: {
    ...starts('openConfirm'),
    ManualStop: 'idle 6/2 drop',
    AutomaticStop: 'idle 6/4 drop',
    ConnectRetryTimerExpires: 'idle 5/2 drop',
    HoldTimerExpires: 'idle 4/0 drop',
    KeepaliveTimerExpires: 'openConfirm keepalive',
    DelayOpenTimerExpires: 'idle 5/2 drop',
    IdleHoldTimerExpires: 'idle 5/2 drop',
    TcpConnectionValid: 'openConfirm',
    TcpCrInvalid: 'openConfirm',
    TcpCrAcked: 'openConfirm',
    TcpConnectionConfirmed: 'openConfirm',
    TcpConnectionFails: 'idle drop',
    BgpOpen: 'idle 5/2 drop',
    BgpHeaderErr: 'idle 1/2 drop',
    BgpOpenMsgErr: 'idle 2/2 drop',
    OpenCollisionDump: 'idle 6/7 drop',
    NotifMsgVerErr: 'idle drop',
    NotifMsg: 'idle drop',
    KeepAliveMsg: 'established established',
    UpdateMsg: 'idle 5/2 drop',
    UpdateMsgErr: 'idle 5/2 drop',
    StableTimerExpires: 'openConfirm',
  },
  established: {
    ...starts('established'),
    ManualStop: 'idle 6/2 drop down',
    AutomaticStop: 'idle 6/4 drop down',
    ConnectRetryTimerExpires: 'idle 5/3 drop down',
    HoldTimerExpires: 'idle 4/0 drop down',
    KeepaliveTimerExpires: 'established keepalive',
    DelayOpenTimerExpires: 'idle 5/3 drop down',
    IdleHoldTimerExpires: 'idle 5/3 drop down',
    TcpConnectionValid: 'established',
    TcpCrInvalid: 'established',
    TcpCrAcked: 'established',
    TcpConnectionConfirmed: 'established',
    TcpConnectionFails: 'idle drop down',
    BgpOpen: 'idle 5/3 drop down',
    BgpHeaderErr: 'idle 1/2 drop down',
    BgpOpenMsgErr: 'idle 2/2 drop down',
    OpenCollisionDump: 'idle 6/7 drop down',
    NotifMsgVerErr: 'idle drop down',
    NotifMsg: 'idle drop down',
    KeepAliveMsg: 'established',
    UpdateMsg: 'established update',
    UpdateMsgErr: 'idle 3/1 drop down',
    StableTimerExpires: 'established',
  },
};

function inState(name: FsmStateName, config: FsmConfig = defaultFsmConfig): FsmState {
  return { ...initialFsmState(config), name, enabled: name !== 'idle', holdTimeSeconds: 9 };
}

/** The outcome in the table's notation (timer actions left out). */
function describe_(state: FsmStateName, actions: readonly FsmAction[]): string {
  const parts: string[] = [state];
  for (const action of actions) {
    switch (action.type) {
      case 'connect':
        parts.push('connect');
        break;
      case 'dropConnection':
        parts.push('drop');
        break;
      case 'sendOpen':
        parts.push('open');
        break;
      case 'sendKeepalive':
        parts.push('keepalive');
        break;
      case 'sendNotification':
        parts.push(`${action.notification.code}/${action.notification.subcode}`);
        break;
      case 'established':
        parts.push('established');
        break;
      case 'sessionDown':
        parts.push('down');
        break;
      case 'processUpdate':
        parts.push('update');
        break;
      default:
        break;
    }
  }
  return parts.join(' ');
}

describe('FSM: every state x event (RFC 4271 §8.2.2)', () => {
  for (const stateName of fsmStateNames) {
    for (const [eventName, event] of Object.entries(events)) {
      it(`${stateName} + ${eventName} -> ${expected[stateName][eventName as FsmEvent['type']]}`, () => {
        const result = step(inState(stateName), event);
        expect(describe_(result.state.name, result.actions)).toBe(
          expected[stateName][eventName as FsmEvent['type']],
        );
      });
    }
  }
});

function run(state: FsmState, ...sequence: FsmEvent[]): { state: FsmState; actions: FsmAction[] } {
  const actions: FsmAction[] = [];
  let current = state;
  for (const event of sequence) {
    const result = step(current, event);
    current = result.state;
    actions.push(...result.actions);
  }
  return { state: current, actions };
}

describe('FSM scenarios', () => {
  it('active open to Established, hold time negotiated, keepalive = hold/3', () => {
    const { state, actions } = run(
      initialFsmState(),
      events.ManualStart,
      events.TcpCrAcked,
      events.BgpOpen,
      events.KeepAliveMsg,
    );
    expect(state.name).toBe('established');
    expect(actions).toContainEqual({ type: 'startTimer', timer: 'keepalive', seconds: 3 });
    expect(actions).toContainEqual({ type: 'startTimer', timer: 'hold', seconds: 9 });
    expect(actions).toContainEqual({ type: 'startTimer', timer: 'hold', seconds: 240 });
  });

  it('hold time 0: no keepalive and no hold timer (RFC 4271 §4.2)', () => {
    const { actions } = run(
      initialFsmState(),
      events.ManualStart,
      events.TcpCrAcked,
      { type: 'BgpOpen', holdTimeSeconds: 0 },
      events.KeepAliveMsg,
    );
    const started = actions.filter(
      (a) =>
        a.type === 'startTimer' && (a.timer === 'keepalive' || (a.timer === 'hold' && a.seconds !== 240)),
    );
    expect(started).toEqual([]);
  });

  it('passive: waits in Active, never connects, accepts the peer', () => {
    const config = { ...defaultFsmConfig, passive: true };
    const { state, actions } = run(
      initialFsmState(config),
      events.ManualStart,
      events.ConnectRetryTimerExpires,
    );
    expect(state.name).toBe('active');
    expect(actions.some((a) => a.type === 'connect')).toBe(false);
    expect(run(state, events.TcpConnectionConfirmed).state.name).toBe('openSent');
  });

  it('DelayOpen: waits for the peer OPEN, then sends OPEN + KEEPALIVE (event 20)', () => {
    const config = { ...defaultFsmConfig, delayOpenSeconds: 5 };
    const connected = run(initialFsmState(config), events.ManualStart, events.TcpCrAcked);
    expect(connected.state).toMatchObject({ name: 'connect', delayOpenRunning: true });
    expect(connected.actions).toContainEqual({ type: 'startTimer', timer: 'delayOpen', seconds: 5 });
    const opened = run(connected.state, events.BgpOpen);
    expect(describe_(opened.state.name, opened.actions)).toBe('openConfirm open keepalive');
    const timedOut = run(connected.state, events.DelayOpenTimerExpires);
    expect(describe_(timedOut.state.name, timedOut.actions)).toBe('openSent open');
    // A connection failure while delaying goes back to Active (§8.2.2 Connect, event 18).
    expect(run(connected.state, events.TcpConnectionFails).state.name).toBe('active');
  });

  it('damping: IdleHoldTime doubles on each failure up to the maximum, resets after a stable session', () => {
    const config = { ...defaultFsmConfig, idleHoldTimeSeconds: 1, maxIdleHoldTimeSeconds: 8 };
    let state = run(initialFsmState(config), events.ManualStart).state;
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const failed = step(state, events.TcpConnectionFails);
      const idleHold = failed.actions.find((a) => a.type === 'startTimer' && a.timer === 'idleHold');
      waits.push(idleHold?.type === 'startTimer' ? idleHold.seconds : -1);
      state = run(failed.state, events.IdleHoldTimerExpires).state;
      expect(state.name).toBe('connect');
    }
    expect(waits).toEqual([1, 2, 4, 8, 8, 8]);
    expect(state.connectRetryCounter).toBe(6);
    const up = run(
      state,
      events.TcpCrAcked,
      events.BgpOpen,
      events.KeepAliveMsg,
      events.StableTimerExpires,
    ).state;
    expect(up).toMatchObject({ name: 'established', connectRetryCounter: 0, idleHoldTimeSeconds: 1 });
  });

  it('ManualStop: Cease with the shutdown message, no automatic restart', () => {
    const up = run(
      initialFsmState(),
      events.ManualStart,
      events.TcpCrAcked,
      events.BgpOpen,
      events.KeepAliveMsg,
    ).state;
    const stopped = step(up, { type: 'ManualStop', subcode: 2, message: 'maintenance' });
    expect(stopped.actions).toContainEqual({
      type: 'sendNotification',
      notification: { code: 6, subcode: 2, reason: 'administrative stop', shutdownMessage: 'maintenance' },
    });
    expect(stopped.actions.some((a) => a.type === 'startTimer' && a.timer === 'idleHold')).toBe(false);
    expect(stopped.state.enabled).toBe(false);
    expect(step(stopped.state, events.IdleHoldTimerExpires).state.name).toBe('idle');
    expect(stopped.reason).toEqual({ kind: 'admin-stop', subcode: 2 });
  });

  it('a NOTIFICATION received in Established is the down reason', () => {
    const up = run(
      initialFsmState(),
      events.ManualStart,
      events.TcpCrAcked,
      events.BgpOpen,
      events.KeepAliveMsg,
    ).state;
    const down = step(up, { type: 'NotifMsg', code: 6, subcode: 4 });
    expect(down.reason).toEqual({ kind: 'notification-received', code: 6, subcode: 4 });
    expect(down.actions).toContainEqual({
      type: 'sessionDown',
      reason: { kind: 'notification-received', code: 6, subcode: 4 },
    });
  });
});
