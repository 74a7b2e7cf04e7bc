// The BFD state machine against RFC 5880: the §6.8.6 reception table cell
// by cell, the §6.2 timer edges, Poll/Final (§6.5, §6.8.3), intervals
// (§6.8.2, §6.8.4, §6.8.7) and jitter. Pure: no sockets, no clocks.
import { describe, expect, it } from 'vitest';
import {
  type BfdAction,
  type BfdSessionConfig,
  type BfdSessionState,
  controlPacketOf,
  currentDetectionTimeUs,
  currentTransmitIntervalUs,
  initialBfdState,
  step,
} from '../../src/bfd/fsm.js';
import { type BfdState, Diagnostic } from '../../src/bfd/iana.js';
import type { ControlPacket } from '../../src/bfd/packet.js';
import { detectionTimeUs, jitteredIntervalUs, transmitIntervalUs } from '../../src/bfd/timing.js';

const CONFIG: BfdSessionConfig = { desiredMinTxUs: 100_000, requiredMinRxUs: 100_000, detectMult: 3 };
const LOCAL = 0x1111;
const REMOTE = 0x2222;

function remotePacket(state: BfdState, overrides: Partial<ControlPacket> = {}): ControlPacket {
  return {
    version: 1,
    diagnostic: 0,
    state,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    authenticated: false,
    demand: false,
    multipoint: false,
    detectMult: 3,
    myDiscriminator: REMOTE,
    yourDiscriminator: state === 'down' || state === 'adminDown' ? 0 : LOCAL,
    desiredMinTxUs: 200_000,
    requiredMinRxUs: 150_000,
    requiredMinEchoRxUs: 0,
    ...overrides,
  };
}

/** A session sitting in `state`, as if reached through the machine. */
function sessionIn(state: BfdState): BfdSessionState {
  let s = initialBfdState(CONFIG, LOCAL);
  s = step(s, { type: 'start' }).state;
  if (state === 'adminDown') return step(s, { type: 'adminDown' }).state;
  if (state === 'down') return s;
  s = step(s, { type: 'received', packet: remotePacket('down') }).state;
  if (state === 'init') return s;
  return step(s, { type: 'received', packet: remotePacket('up') }).state;
}

const stateChanges = (actions: readonly BfdAction[]) =>
  actions.flatMap((a) => (a.type === 'stateChanged' ? [`${a.from}->${a.to}/${a.diagnostic}`] : []));

describe('RFC 5880 §6.8.6 reception, cell by cell', () => {
  // [local state, received state, next state, bfd.LocalDiag after]
  const table: readonly [BfdState, BfdState, BfdState, number][] = [
    ['down', 'adminDown', 'down', Diagnostic.none],
    ['down', 'down', 'init', Diagnostic.none],
    ['down', 'init', 'up', Diagnostic.none],
    ['down', 'up', 'down', Diagnostic.none],
    ['init', 'adminDown', 'down', Diagnostic.neighborSignaledSessionDown],
    ['init', 'down', 'init', Diagnostic.none],
    ['init', 'init', 'up', Diagnostic.none],
    ['init', 'up', 'up', Diagnostic.none],
    ['up', 'adminDown', 'down', Diagnostic.neighborSignaledSessionDown],
    ['up', 'down', 'down', Diagnostic.neighborSignaledSessionDown],
    ['up', 'init', 'up', Diagnostic.none],
    ['up', 'up', 'up', Diagnostic.none],
    ['adminDown', 'adminDown', 'adminDown', Diagnostic.administrativelyDown],
    ['adminDown', 'down', 'adminDown', Diagnostic.administrativelyDown],
    ['adminDown', 'init', 'adminDown', Diagnostic.administrativelyDown],
    ['adminDown', 'up', 'adminDown', Diagnostic.administrativelyDown],
  ];
  for (const [local, received, next, diagnostic] of table) {
    it(`${local} + received ${received} -> ${next} (diag ${diagnostic})`, () => {
      const before = sessionIn(local);
      const { state, actions } = step(before, { type: 'received', packet: remotePacket(received) });
      expect(state.state).toBe(next);
      expect(state.diagnostic).toBe(diagnostic);
      expect(stateChanges(actions)).toEqual(local === next ? [] : [`${local}->${next}/${diagnostic}`]);
      // AdminDown discards the packet: no detection timer. Otherwise it counts as heard (§6.8.4).
      expect(actions.some((a) => a.type === 'armDetect')).toBe(local !== 'adminDown');
      if (local !== 'adminDown') expect(state.remoteDiscriminator).toBe(REMOTE);
    });
  }
});

describe('RFC 5880 §6.2 detection timer', () => {
  const cells: readonly [BfdState, BfdState, number][] = [
    ['down', 'down', Diagnostic.none],
    ['init', 'down', Diagnostic.controlDetectionTimeExpired],
    ['up', 'down', Diagnostic.controlDetectionTimeExpired],
  ];
  for (const [local, next, diagnostic] of cells) {
    it(`${local} + timer -> ${next} (diag ${diagnostic})`, () => {
      const { state, actions } = step(sessionIn(local), { type: 'detectTimerExpired' });
      expect(state.state).toBe(next);
      expect(state.diagnostic).toBe(diagnostic);
      // §6.8.1: bfd.RemoteDiscr is zero after a Detection Time without packets.
      expect(state.remoteDiscriminator).toBe(0);
      expect(stateChanges(actions)).toEqual(local === next ? [] : [`${local}->down/1`]);
    });
  }

  it('after a timeout, our packets go back to Your Discriminator 0 and 1 s (§6.8.3)', () => {
    const { state, actions } = step(sessionIn('up'), { type: 'detectTimerExpired' });
    const sent = actions.find((a) => a.type === 'send');
    expect(sent?.type === 'send' && sent.packet).toMatchObject({
      state: 'down',
      diagnostic: 1,
      yourDiscriminator: 0,
      desiredMinTxUs: 1_000_000,
    });
    expect(state.polling).toBe(false);
    expect(actions).toContainEqual({ type: 'armTransmit', intervalUs: 1_000_000, detectMult: 3 });
  });
});

describe('administrative control (§6.8.16)', () => {
  it('AdminDown from Up: Diag 7, told at once, detection stops', () => {
    const { state, actions } = step(sessionIn('up'), { type: 'adminDown' });
    expect(state.state).toBe('adminDown');
    expect(actions[0]).toMatchObject({ type: 'send', packet: { state: 'adminDown', diagnostic: 7 } });
    expect(actions).toContainEqual({ type: 'stopDetect' });
    expect(stateChanges(actions)).toEqual(['up->adminDown/7']);
  });

  it('AdminUp goes to Down and back to the slow rate', () => {
    const { state, actions } = step(sessionIn('adminDown'), { type: 'adminUp' });
    expect(state.state).toBe('down');
    expect(stateChanges(actions)).toEqual(['adminDown->down/7']);
    expect(currentTransmitIntervalUs(state)).toBe(1_000_000);
  });
});

describe('intervals', () => {
  it('transmits at least every 1 s while not Up (§6.8.3)', () => {
    const { state, actions } = step(initialBfdState(CONFIG, LOCAL), { type: 'start' });
    expect(actions[0]).toMatchObject({ type: 'send', packet: { state: 'down', desiredMinTxUs: 1_000_000 } });
    expect(actions).toContainEqual({ type: 'armTransmit', intervalUs: 1_000_000, detectMult: 3 });
    expect(state.transmitIntervalUs).toBe(1_000_000);
  });

  it('negotiated tx = max(desiredMinTx, remote requiredMinRx) (§6.8.7)', () => {
    expect(transmitIntervalUs(100_000, 150_000)).toBe(150_000);
    expect(transmitIntervalUs(300_000, 150_000)).toBe(300_000);
    const up = sessionIn('up');
    // Remote requires 150 ms; our 100 ms is in effect once Up.
    expect(currentTransmitIntervalUs(up)).toBe(150_000);
  });

  it('detection time = remote mult x max(our requiredMinRx, remote desiredMinTx) (§6.8.4)', () => {
    expect(detectionTimeUs(3, 100_000, 200_000)).toBe(600_000);
    expect(detectionTimeUs(5, 300_000, 200_000)).toBe(1_500_000);
    const { actions } = step(sessionIn('up'), {
      type: 'received',
      packet: remotePacket('up', { detectMult: 4, desiredMinTxUs: 50_000 }),
    });
    expect(actions).toContainEqual({ type: 'armDetect', detectionTimeUs: 400_000 });
  });

  it('stops periodic transmission when the remote asks for Required Min RX 0 (§6.8.7)', () => {
    const { state, actions } = step(sessionIn('up'), {
      type: 'received',
      packet: remotePacket('up', { requiredMinRxUs: 0 }),
    });
    expect(actions).toContainEqual({ type: 'stopTransmit' });
    expect(step(state, { type: 'transmitTimerExpired' }).actions).toEqual([]);
  });

  it('a transmit tick sends one packet and re-arms with the interval', () => {
    const up = sessionIn('up');
    const { actions } = step(up, { type: 'transmitTimerExpired' });
    expect(actions).toEqual([
      { type: 'send', packet: controlPacketOf(up, false) },
      { type: 'armTransmit', intervalUs: up.transmitIntervalUs, detectMult: 3 },
    ]);
  });
});

describe('Poll Sequence (§6.5, §6.8.3)', () => {
  it('going Up lowers Desired Min TX with a Poll; the Final ends it', () => {
    const init = sessionIn('init');
    const { state: up, actions } = step(init, { type: 'received', packet: remotePacket('up') });
    expect(up.polling).toBe(true);
    expect(actions[0]).toMatchObject({
      type: 'send',
      packet: { state: 'up', poll: true, desiredMinTxUs: 100_000 },
    });
    // A decrease of Desired Min TX applies at once.
    expect(up.inEffect.desiredMinTxUs).toBe(100_000);
    const { state: done } = step(up, { type: 'received', packet: remotePacket('up', { final: true }) });
    expect(done.polling).toBe(false);
    expect(controlPacketOf(done, false).poll).toBe(false);
  });

  it('answers a Poll with Final and without Poll, even while polling itself', () => {
    const up = sessionIn('up');
    expect(up.polling).toBe(true);
    const { actions } = step(up, { type: 'received', packet: remotePacket('up', { poll: true }) });
    expect(actions[0]).toMatchObject({ type: 'send', packet: { final: true, poll: false } });
  });

  it('a larger Desired Min TX and a smaller Required Min RX wait for the Final', () => {
    let up = sessionIn('up');
    up = step(up, {
      type: 'received',
      packet: remotePacket('up', { final: true, requiredMinRxUs: 10_000 }),
    }).state;
    expect(up.polling).toBe(false);
    const config = { desiredMinTxUs: 500_000, requiredMinRxUs: 50_000, detectMult: 3 };
    const { state, actions } = step(up, { type: 'configure', config });
    expect(state.polling).toBe(true);
    expect(state.advertised).toEqual({ desiredMinTxUs: 500_000, requiredMinRxUs: 50_000 });
    expect(state.inEffect).toEqual({ desiredMinTxUs: 100_000, requiredMinRxUs: 100_000 });
    expect(actions[0]).toMatchObject({ type: 'send', packet: { poll: true, desiredMinTxUs: 500_000 } });
    const final = step(state, {
      type: 'received',
      packet: remotePacket('up', { final: true, requiredMinRxUs: 10_000 }),
    });
    expect(final.state.inEffect).toEqual({ desiredMinTxUs: 500_000, requiredMinRxUs: 50_000 });
    expect(final.actions).toContainEqual({ type: 'armTransmit', intervalUs: 500_000, detectMult: 3 });
    // Detection for the remote now uses the new Required Min RX: 3 x max(50 ms, 200 ms).
    expect(currentDetectionTimeUs(final.state)).toBe(600_000);
  });

  it('reconfiguring while not Up needs no Poll', () => {
    const { state } = step(sessionIn('down'), {
      type: 'configure',
      config: { desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 5 },
    });
    expect(state.polling).toBe(false);
    expect(controlPacketOf(state, false)).toMatchObject({ detectMult: 5, desiredMinTxUs: 1_000_000 });
  });
});

describe('packets we send', () => {
  it('carry our discriminators, C clear, no echo, no demand', () => {
    const packet = controlPacketOf(sessionIn('up'), false);
    expect(packet).toMatchObject({
      myDiscriminator: LOCAL,
      yourDiscriminator: REMOTE,
      controlPlaneIndependent: false,
      demand: false,
      requiredMinEchoRxUs: 0,
    });
  });

  it('a packet for another discriminator changes nothing', () => {
    const up = sessionIn('up');
    const result = step(up, { type: 'received', packet: remotePacket('down', { yourDiscriminator: 99 }) });
    expect(result.state).toBe(up);
    expect(result.actions).toEqual([]);
  });

  it('records the remote C bit for the BGP coupling', () => {
    const { state } = step(sessionIn('up'), {
      type: 'received',
      packet: remotePacket('up', { controlPlaneIndependent: true }),
    });
    expect(state.remoteControlPlaneIndependent).toBe(true);
  });

  it('refuses local discriminator 0', () => {
    expect(() => initialBfdState(CONFIG, 0)).toThrow();
  });
});

describe('jitter (§6.8.7)', () => {
  it('reduces by 0-25 %', () => {
    expect(jitteredIntervalUs(100_000, 3, 0)).toBe(75_000);
    expect(jitteredIntervalUs(100_000, 3, 0.999999)).toBe(99_999);
    expect(jitteredIntervalUs(100_000, 3, 0.5)).toBe(87_500);
  });

  it('with Detect Mult 1 stays between 75 % and 90 %', () => {
    expect(jitteredIntervalUs(100_000, 1, 0)).toBe(75_000);
    expect(jitteredIntervalUs(100_000, 1, 0.999999)).toBeLessThanOrEqual(90_000);
    for (let i = 0; i <= 100; i++) {
      const value = jitteredIntervalUs(1_000_000, 1, i / 100);
      expect(value).toBeGreaterThanOrEqual(750_000);
      expect(value).toBeLessThanOrEqual(900_000);
    }
  });
});
