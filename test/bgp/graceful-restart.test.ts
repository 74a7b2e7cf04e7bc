// The Graceful Restart receiving-side machine against RFC 4724 §4.2: event
// sequences in, states and actions out (no timers, no RIB: actions are data).
import { describe, expect, it } from 'vitest';
import type { AddressFamily } from '../../src/bgp/family.js';
import {
  type GracefulRestartAction,
  type GracefulRestartEvent,
  type GracefulRestartState,
  initialGracefulRestartState,
  step,
  timerName,
} from '../../src/bgp/graceful-restart.js';

const config = { staleRoutesTimeSeconds: 360 };
const both: AddressFamily[] = ['ipv4-unicast', 'ipv6-unicast'];

/** Actions as short text: "mark ipv4-unicast", "start restart 120", "sweep ipv6-unicast (why)". */
function text(action: GracefulRestartAction): string {
  switch (action.type) {
    case 'mark-stale':
      return `mark ${action.family}`;
    case 'flush':
      return `flush ${action.family}`;
    case 'flush-all':
      return 'flush all';
    case 'sweep':
      return `sweep ${action.family} (${action.why})`;
    case 'start-timer':
      return `start ${timerName(action.timer)} ${action.seconds}`;
    case 'stop-timer':
      return `stop ${timerName(action.timer)}`;
  }
}

function run(events: GracefulRestartEvent[], from: GracefulRestartState = initialGracefulRestartState) {
  let state = from;
  const log: string[][] = [];
  for (const event of events) {
    const result = step(config, state, event);
    state = result.state;
    log.push(result.actions.map(text));
  }
  return { state, log, stale: Object.fromEntries(state.stale) };
}

const restartCapable = (families: AddressFamily[], restartTimeSeconds = 120) => ({
  restartTimeSeconds,
  families: new Set(families),
});
const tcpFailed = (families = both, preserved = both): GracefulRestartEvent => ({
  type: 'session-down',
  connectionFailed: true,
  families,
  peerCapability: restartCapable(preserved),
});
const established = (preserved = both, families = both): GracefulRestartEvent => ({
  type: 'established',
  families,
  preserved: new Set(preserved),
});

describe('Graceful Restart, receiving side (RFC 4724 §4.2)', () => {
  it('TCP fails with GR: preserved families kept stale, the others flushed, the restart timer runs', () => {
    const { log, stale } = run([tcpFailed(both, ['ipv4-unicast'])]);
    expect(log[0]).toEqual(['mark ipv4-unicast', 'flush ipv6-unicast', 'start restart 120']);
    expect(stale).toEqual({ 'ipv4-unicast': 'until-reconnect' });
  });

  it('a NOTIFICATION, hold timer or admin stop is no restart: everything flushed, nothing waits', () => {
    const notGraceful: GracefulRestartEvent = {
      type: 'session-down',
      connectionFailed: false,
      families: both,
      peerCapability: restartCapable(both),
    };
    const { log, stale } = run([notGraceful]);
    expect(log[0]).toEqual(['stop restart', 'flush all']);
    expect(stale).toEqual({});
  });

  it('without GR negotiated, or with no family in the capability, a TCP failure flushes', () => {
    const none: GracefulRestartEvent = {
      type: 'session-down',
      connectionFailed: true,
      families: both,
      peerCapability: null,
    };
    expect(run([none]).log[0]).toEqual(['stop restart', 'flush all']);
    const empty: GracefulRestartEvent = { ...none, peerCapability: restartCapable([]) };
    expect(run([empty]).log[0]).toEqual(['stop restart', 'flush all']);
  });

  it('back with the F bit: stale until End-of-RIB, bounded by our stale timer; End-of-RIB sweeps', () => {
    const { log, stale } = run([tcpFailed(), established(), { type: 'end-of-rib', family: 'ipv4-unicast' }]);
    expect(log[1]).toEqual(['stop restart', 'start stale ipv4-unicast 360', 'start stale ipv6-unicast 360']);
    expect(log[2]).toEqual(['stop stale ipv4-unicast', 'sweep ipv4-unicast (End-of-RIB received)']);
    expect(stale).toEqual({ 'ipv6-unicast': 'until-end-of-rib' });
  });

  it('back without the F bit, or without the family: swept at once', () => {
    const { log, stale } = run([tcpFailed(), established(['ipv4-unicast'], ['ipv4-unicast'])]);
    expect(log[1]).toEqual([
      'stop restart',
      'start stale ipv4-unicast 360',
      'sweep ipv6-unicast (not preserved across the restart)',
    ]);
    expect(stale).toEqual({ 'ipv4-unicast': 'until-end-of-rib' });
    const fBitClear = run([tcpFailed(), established([])]);
    expect(fBitClear.log[1]).toContain('sweep ipv4-unicast (not preserved across the restart)');
    expect(fBitClear.stale).toEqual({});
  });

  it('the restart timer expiring sweeps every stale family', () => {
    const { log, stale } = run([tcpFailed(), { type: 'timer-expired', timer: { kind: 'restart' } }]);
    expect(log[1]).toEqual([
      'stop stale ipv4-unicast',
      'sweep ipv4-unicast (restart time expired)',
      'stop stale ipv6-unicast',
      'sweep ipv6-unicast (restart time expired)',
    ]);
    expect(stale).toEqual({});
  });

  it('the stale timer expiring sweeps its family; a late End-of-RIB then does nothing', () => {
    const { log } = run([
      tcpFailed(),
      established(),
      { type: 'timer-expired', timer: { kind: 'stale', family: 'ipv6-unicast' } },
      { type: 'end-of-rib', family: 'ipv6-unicast' },
    ]);
    expect(log[2]).toEqual(['stop stale ipv6-unicast', 'sweep ipv6-unicast (stale routes time expired)']);
    expect(log[3]).toEqual([]);
  });

  it('End-of-RIB in a normal session (nothing stale) does nothing', () => {
    expect(run([established(), { type: 'end-of-rib', family: 'ipv4-unicast' }]).log).toEqual([
      ['stop restart'],
      [],
    ]);
  });

  it('failing again while waiting for End-of-RIB: marked again, the restart timer governs, no stale timer left', () => {
    const { log, stale } = run([tcpFailed(), established(), tcpFailed()]);
    expect(log[2]).toEqual([
      'stop stale ipv4-unicast',
      'mark ipv4-unicast',
      'stop stale ipv6-unicast',
      'mark ipv6-unicast',
      'start restart 120',
    ]);
    expect(stale).toEqual({ 'ipv4-unicast': 'until-reconnect', 'ipv6-unicast': 'until-reconnect' });
  });

  it('a NOTIFICATION while routes are stale flushes them and stops every timer', () => {
    const { log, stale } = run([
      tcpFailed(),
      established(),
      { type: 'session-down', connectionFailed: false, families: both, peerCapability: restartCapable(both) },
    ]);
    expect(log[2]).toEqual([
      'stop restart',
      'stop stale ipv4-unicast',
      'stop stale ipv6-unicast',
      'flush all',
    ]);
    expect(stale).toEqual({});
  });

  it('never mutates the state it was given', () => {
    const before = run([tcpFailed()]).state;
    const copy = new Map(before.stale);
    step(config, before, established());
    step(config, before, { type: 'end-of-rib', family: 'ipv4-unicast' });
    expect(before.stale).toEqual(copy);
  });
});
