// RFC 5882 coupling: BFD state changes x BGP state -> what the daemon does.
import { describe, expect, it } from 'vitest';
import { type CouplingState, couple, initialCouplingState } from '../../src/bfd/coupling.js';
import type { StateChange } from '../../src/bfd/fsm.js';

const change = (over: Partial<StateChange>): StateChange => ({
  from: 'up',
  to: 'down',
  diagnostic: 1,
  remoteState: 'down',
  remoteControlPlaneIndependent: false,
  ...over,
});

const HOLDING: CouplingState = { holding: true };

describe('BFD -> BGP coupling (RFC 5882)', () => {
  it('Up -> Down on an Established session: close now (Cease/BFD Down) and hold', () => {
    const { state, actions } = couple(initialCouplingState, {
      type: 'bfd-changed',
      change: change({ remoteControlPlaneIndependent: true }),
      bgpState: 'established',
    });
    expect(state.holding).toBe(true);
    expect(actions).toEqual([
      {
        type: 'close-session',
        reason: 'BFD down: Control Detection Time Expired',
        controlPlaneIndependent: true,
      },
      { type: 'hold-session', reason: 'BFD down: Control Detection Time Expired' },
    ]);
  });

  it('neighbor signalled Down (Diag 3) counts as a failure too', () => {
    const { actions } = couple(initialCouplingState, {
      type: 'bfd-changed',
      change: change({ diagnostic: 3 }),
      bgpState: 'openSent',
    });
    expect(actions.map((a) => a.type)).toEqual(['close-session', 'hold-session']);
  });

  it('BGP already idle: only held', () => {
    const { state, actions } = couple(initialCouplingState, {
      type: 'bfd-changed',
      change: change({}),
      bgpState: 'idle',
    });
    expect(state.holding).toBe(true);
    expect(actions.map((a) => a.type)).toEqual(['hold-session']);
  });

  it('remote AdminDown is not a failure (RFC 5882 §3.2)', () => {
    const { state, actions } = couple(initialCouplingState, {
      type: 'bfd-changed',
      change: change({ diagnostic: 3, remoteState: 'adminDown' }),
      bgpState: 'established',
    });
    expect(state.holding).toBe(false);
    expect(actions.map((a) => a.type)).toEqual(['note']);
  });

  it('our own AdminDown releases a held session', () => {
    const { state, actions } = couple(HOLDING, {
      type: 'bfd-changed',
      change: change({ to: 'adminDown', diagnostic: 7 }),
      bgpState: 'idle',
    });
    expect(state.holding).toBe(false);
    expect(actions.map((a) => a.type)).toEqual(['note', 'release-session']);
  });

  it('BFD Up again releases the session', () => {
    const { state, actions } = couple(HOLDING, {
      type: 'bfd-changed',
      change: change({ from: 'init', to: 'up', diagnostic: 0 }),
      bgpState: 'idle',
    });
    expect(state.holding).toBe(false);
    expect(actions).toEqual([{ type: 'release-session' }]);
  });

  it('BFD coming up for the first time changes nothing', () => {
    const first = couple(initialCouplingState, {
      type: 'bfd-changed',
      change: change({ from: 'down', to: 'init', diagnostic: 0 }),
      bgpState: 'established',
    });
    expect(first.actions).toEqual([]);
    const up = couple(first.state, {
      type: 'bfd-changed',
      change: change({ from: 'init', to: 'up', diagnostic: 0 }),
      bgpState: 'established',
    });
    expect(up.actions).toEqual([]);
  });

  it('Init -> Down (never Up) leaves BGP alone', () => {
    const { actions } = couple(initialCouplingState, {
      type: 'bfd-changed',
      change: change({ from: 'init' }),
      bgpState: 'established',
    });
    expect(actions).toEqual([]);
  });

  it('BFD removed from the neighbor releases a hold', () => {
    expect(couple(HOLDING, { type: 'bfd-removed' }).actions).toEqual([{ type: 'release-session' }]);
    expect(couple(initialCouplingState, { type: 'bfd-removed' }).actions).toEqual([]);
  });
});
