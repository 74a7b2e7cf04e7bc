// The Enhanced Route Refresh receiving-side machine against RFC 7313 §4,
// and the max-prefix check (RFC 4486 §4): events in, actions out.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../src/bgp/codec/index.js';
import {
  type EnhancedRefreshAction,
  type EnhancedRefreshEvent,
  initialEnhancedRefreshState,
  step,
} from '../../src/bgp/enhanced-refresh.js';
import { checkMaxPrefix, initialMaxPrefixState, type MaxPrefixLimit } from '../../src/bgp/max-prefix.js';

const config = { staleRoutesTimeSeconds: 360 };

function text(action: EnhancedRefreshAction): string {
  switch (action.type) {
    case 'mark-stale':
      return `mark ${action.family}`;
    case 'sweep':
      return `sweep ${action.family} (${action.why})`;
    case 'start-stale-timer':
      return `start ${action.family} ${action.seconds}`;
    case 'stop-stale-timer':
      return `stop ${action.family}`;
  }
}

function run(events: EnhancedRefreshEvent[]): { log: string[][]; refreshing: string[] } {
  let state = initialEnhancedRefreshState;
  const log: string[][] = [];
  for (const event of events) {
    const result = step(config, state, event);
    state = result.state;
    log.push(result.actions.map(text));
  }
  return { log, refreshing: [...state.refreshing] };
}

describe('Enhanced Route Refresh, receiving side (RFC 7313 §4)', () => {
  it('BoRR marks the family stale and arms the stale timer; EoRR sweeps what was not re-sent', () => {
    const { log, refreshing } = run([
      { type: 'begin', family: 'ipv4-unicast' },
      { type: 'end', family: 'ipv4-unicast' },
    ]);
    expect(log).toEqual([
      ['mark ipv4-unicast', 'start ipv4-unicast 360'],
      ['stop ipv4-unicast', 'sweep ipv4-unicast (EoRR received)'],
    ]);
    expect(refreshing).toEqual([]);
  });

  it('an EoRR without BoRR is ignored', () => {
    expect(run([{ type: 'end', family: 'ipv6-unicast' }]).log).toEqual([[]]);
  });

  it('no EoRR within the stale time: the stale routes go; a late EoRR does nothing', () => {
    const { log } = run([
      { type: 'begin', family: 'ipv6-unicast' },
      { type: 'stale-timer-expired', family: 'ipv6-unicast' },
      { type: 'end', family: 'ipv6-unicast' },
    ]);
    expect(log[1]).toEqual(['sweep ipv6-unicast (stale routes time expired before EoRR)']);
    expect(log[2]).toEqual([]);
  });

  it('a second BoRR starts over (marks again, re-arms); families are independent', () => {
    const { log, refreshing } = run([
      { type: 'begin', family: 'ipv4-unicast' },
      { type: 'begin', family: 'ipv6-unicast' },
      { type: 'begin', family: 'ipv4-unicast' },
      { type: 'end', family: 'ipv6-unicast' },
    ]);
    expect(log[2]).toEqual(['mark ipv4-unicast', 'start ipv4-unicast 360']);
    expect(log[3]).toEqual(['stop ipv6-unicast', 'sweep ipv6-unicast (EoRR received)']);
    expect(refreshing).toEqual(['ipv4-unicast']);
  });

  it('the session going down abandons the refresh: timers stopped, no sweep (Graceful Restart decides)', () => {
    const { log, refreshing } = run([
      { type: 'begin', family: 'ipv4-unicast' },
      { type: 'session-down' },
      { type: 'stale-timer-expired', family: 'ipv4-unicast' },
    ]);
    expect(log[1]).toEqual(['stop ipv4-unicast']);
    expect(log[2]).toEqual([]);
    expect(refreshing).toEqual([]);
  });
});

describe('max-prefix (RFC 4486 §4)', () => {
  const limit: MaxPrefixLimit = {
    limit: 100,
    warningOnly: false,
    warningThresholdPercent: 75,
    restartSeconds: 0,
  };

  it('below the threshold: nothing; past it: one warning per session', () => {
    expect(checkMaxPrefix(limit, initialMaxPrefixState, 'ipv4-unicast', 75).actions).toEqual([]);
    const first = checkMaxPrefix(limit, initialMaxPrefixState, 'ipv4-unicast', 76);
    expect(first.actions).toEqual([
      {
        type: 'warn',
        message: 'max-prefix threshold reached',
        fields: { family: 'ipv4-unicast', accepted: 76, limit: 100 },
      },
    ]);
    expect(checkMaxPrefix(limit, first.state, 'ipv4-unicast', 90).actions).toEqual([]);
    expect(checkMaxPrefix(limit, first.state, 'ipv4-unicast', 100).actions).toEqual([]);
  });

  it('over the limit: Cease 6/1 with AFI, SAFI and the limit in the data, as it goes on the wire', () => {
    const result = checkMaxPrefix(limit, initialMaxPrefixState, 'ipv6-unicast', 101);
    const cease = result.actions.find((a) => a.type === 'cease');
    expect(cease).toMatchObject({ subcode: 1 });
    if (cease?.type !== 'cease') return;
    expect(Buffer.from(cease.data).toString('hex')).toBe('00020100000064');
    const bytes = encodeMessage({ type: 'notification', code: 6, subcode: cease.subcode, data: cease.data });
    const decoded = decodeMessage(bytes);
    expect(decoded.ok && decoded.value).toMatchObject({ type: 'notification', code: 6, subcode: 1 });
    expect(result.actions.some((a) => a.type === 'start-restart-timer')).toBe(false);
    expect(result.state).toEqual(initialMaxPrefixState);
  });

  it('restartSeconds arms the restart; warningOnly warns once and keeps the session', () => {
    const restarting = checkMaxPrefix(
      { ...limit, restartSeconds: 30 },
      initialMaxPrefixState,
      'ipv4-unicast',
      101,
    );
    expect(restarting.actions.at(-1)).toEqual({ type: 'start-restart-timer', seconds: 30 });
    const warnOnly = { ...limit, warningOnly: true };
    const first = checkMaxPrefix(warnOnly, initialMaxPrefixState, 'ipv4-unicast', 101);
    expect(first.actions.map((a) => a.type)).toEqual(['warn', 'warn']);
    expect(first.actions.some((a) => a.type === 'cease')).toBe(false);
    expect(checkMaxPrefix(warnOnly, first.state, 'ipv4-unicast', 150).actions).toEqual([]);
  });
});
