// BFD as a client protocol's failure detector (RFC 5882), pure: what a BFD
// state change means for the BGP session of the same neighbor. The daemon
// (src/daemon/bfd-coupling.ts) carries out the actions.
//
// - Up -> Down while BGP runs: the session is closed at once with Cease/BFD
//   Down (RFC 9384), which flushes the neighbor's routes: a session ended by a
//   NOTIFICATION keeps nothing as Graceful Restart stale (RFC 4724 §4.2).
//   With the peer's C bit set its BFD is independent of its control plane, so
//   Down means the forwarding path failed (RFC 5882 §4.3.1); with C clear a
//   Down cannot be told apart from a control plane that died with it, and
//   keeping stale routes would keep forwarding into a possibly dead path
//   (issue 12: no stale retention either way).
// - The BGP session then stays down until BFD is Up again (RFC 5882 §4.2:
//   the client should not come back over a path BFD says is broken).
// - Down because the remote signalled AdminDown is not a failure (RFC 5882
//   §3.2): BGP is left alone. So is our own AdminDown (BFD switched off).

import type { FsmStateName } from '../bgp/fsm.js';
import type { StateChange } from './fsm.js';
import { describeDiagnostic } from './iana.js';

export interface CouplingState {
  /** The BGP session is held down until BFD comes Up. */
  readonly holding: boolean;
}

export const initialCouplingState: CouplingState = Object.freeze({ holding: false });

export type CouplingEvent =
  | { readonly type: 'bfd-changed'; readonly change: StateChange; readonly bgpState: FsmStateName }
  /** BFD was switched off or removed for this neighbor. */
  | { readonly type: 'bfd-removed' };

export type CouplingAction =
  /** Close the BGP session now: Cease/BFD Down; its routes go (no stale retention). */
  | { readonly type: 'close-session'; readonly reason: string; readonly controlPlaneIndependent: boolean }
  /** Keep the BGP session from starting or accepting connections. */
  | { readonly type: 'hold-session'; readonly reason: string }
  /** Let the BGP session start again. */
  | { readonly type: 'release-session' }
  /** Nothing to do for BGP, but worth a log line. */
  | { readonly type: 'note'; readonly message: string };

export interface CouplingTransition {
  readonly state: CouplingState;
  readonly actions: readonly CouplingAction[];
}

function release(state: CouplingState): CouplingTransition {
  return state.holding
    ? { state: { holding: false }, actions: [{ type: 'release-session' }] }
    : { state, actions: [] };
}

export function couple(state: CouplingState, event: CouplingEvent): CouplingTransition {
  if (event.type === 'bfd-removed') return release(state);
  const { change, bgpState } = event;
  if (change.to === 'up') return release(state);
  if (change.from !== 'up') return { state, actions: [] };
  if (change.to === 'adminDown') {
    const released = release(state);
    return {
      state: released.state,
      actions: [
        { type: 'note', message: 'BFD administratively down here: BGP no longer follows it' },
        ...released.actions,
      ],
    };
  }
  if (change.remoteState === 'adminDown')
    return {
      state,
      actions: [
        { type: 'note', message: 'BFD peer went AdminDown: not a failure (RFC 5882 §3.2), BGP stays' },
      ],
    };
  const reason = `BFD down: ${describeDiagnostic(change.diagnostic)}`;
  const actions: CouplingAction[] = [];
  if (bgpState !== 'idle')
    actions.push({
      type: 'close-session',
      reason,
      controlPlaneIndependent: change.remoteControlPlaneIndependent,
    });
  actions.push({ type: 'hold-session', reason });
  return { state: { holding: true }, actions };
}
