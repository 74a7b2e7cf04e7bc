// Graceful Restart, receiving side (RFC 4724 §4.2), pure: what happens to a
// neighbor's routes when its session ends without a NOTIFICATION and comes
// back. step(state, event) returns the next state and the actions (mark
// routes stale, flush, sweep what is still stale, start or stop a timer); the
// daemon executes them against the RIB and real timers and feeds the expiries
// back as events, as session.ts does for the BGP FSM.
//
//   session down, TCP failed, GR negotiated ─► families the peer preserves:
//        stale until the session is back (restart timer: the peer's Restart
//        Time); the others flushed at once
//   session back ─► families whose F bit is clear, or no longer negotiated:
//        swept; the others stale until End-of-RIB (stale timer: ours)
//   End-of-RIB ─► that family swept
//   restart timer ─► every stale family swept; stale timer ─► that family
//   session down any other way (NOTIFICATION, hold timer, admin) ─► flushed

import type { AddressFamily } from './family.js';

/** What ends a family's stale period. */
export type StalePhase = 'until-reconnect' | 'until-end-of-rib';

export interface GracefulRestartState {
  /** Families whose routes from this neighbor are kept as stale. */
  readonly stale: ReadonlyMap<AddressFamily, StalePhase>;
}

export const initialGracefulRestartState: GracefulRestartState = Object.freeze({
  stale: new Map<AddressFamily, StalePhase>(),
});

export interface GracefulRestartConfig {
  /** How long routes may stay stale after the session is back, waiting for End-of-RIB. */
  readonly staleRoutesTimeSeconds: number;
}

/** The neighbor's Graceful Restart capability in the session that ended (RFC 4724 §3). */
export interface PeerRestartCapability {
  readonly restartTimeSeconds: number;
  /** Families the neighbor said it preserves forwarding for (an AFI/SAFI tuple each). */
  readonly families: ReadonlySet<AddressFamily>;
}

export type GracefulRestartTimer =
  | { readonly kind: 'restart' }
  | { readonly kind: 'stale'; readonly family: AddressFamily };

export type GracefulRestartEvent =
  | {
      readonly type: 'session-down';
      /** RFC 4724 §4.2: only a TCP failure (no NOTIFICATION) keeps routes. */
      readonly connectionFailed: boolean;
      /** The families of the session that ended. */
      readonly families: readonly AddressFamily[];
      /** The neighbor's capability in that session, or null when GR was not negotiated. */
      readonly peerCapability: PeerRestartCapability | null;
    }
  | {
      readonly type: 'established';
      readonly families: readonly AddressFamily[];
      /** Families whose Forwarding State (F) bit is set in the new OPEN. */
      readonly preserved: ReadonlySet<AddressFamily>;
    }
  | { readonly type: 'end-of-rib'; readonly family: AddressFamily }
  | { readonly type: 'timer-expired'; readonly timer: GracefulRestartTimer };

export type GracefulRestartAction =
  | { readonly type: 'mark-stale'; readonly family: AddressFamily }
  | { readonly type: 'flush'; readonly family: AddressFamily }
  | { readonly type: 'flush-all' }
  | { readonly type: 'sweep'; readonly family: AddressFamily; readonly why: string }
  | { readonly type: 'start-timer'; readonly timer: GracefulRestartTimer; readonly seconds: number }
  | { readonly type: 'stop-timer'; readonly timer: GracefulRestartTimer };

export interface GracefulRestartStep {
  readonly state: GracefulRestartState;
  readonly actions: readonly GracefulRestartAction[];
}

const RESTART: GracefulRestartTimer = Object.freeze({ kind: 'restart' });

function staleTimer(family: AddressFamily): GracefulRestartTimer {
  return { kind: 'stale', family };
}

export function step(
  config: GracefulRestartConfig,
  state: GracefulRestartState,
  event: GracefulRestartEvent,
): GracefulRestartStep {
  switch (event.type) {
    case 'session-down':
      return sessionDown(state, event);
    case 'established': {
      const actions: GracefulRestartAction[] = [{ type: 'stop-timer', timer: RESTART }];
      const stale = new Map<AddressFamily, StalePhase>();
      for (const family of state.stale.keys()) {
        // RFC 4724 §4.2: routes of a family the restarted peer did not
        // preserve (F bit clear, or the family gone from the session) go now.
        if (!event.families.includes(family) || !event.preserved.has(family)) {
          actions.push({ type: 'sweep', family, why: 'not preserved across the restart' });
          continue;
        }
        stale.set(family, 'until-end-of-rib');
        actions.push({
          type: 'start-timer',
          timer: staleTimer(family),
          seconds: config.staleRoutesTimeSeconds,
        });
      }
      return { state: { stale }, actions };
    }
    case 'end-of-rib':
      return sweepOne(state, event.family, 'End-of-RIB received');
    case 'timer-expired': {
      if (event.timer.kind === 'stale')
        return sweepOne(state, event.timer.family, 'stale routes time expired');
      const actions: GracefulRestartAction[] = [];
      for (const family of state.stale.keys()) {
        actions.push({ type: 'stop-timer', timer: staleTimer(family) });
        actions.push({ type: 'sweep', family, why: 'restart time expired' });
      }
      return { state: initialGracefulRestartState, actions };
    }
    default: {
      const unreachable: never = event;
      throw new Error(`unknown graceful restart event ${JSON.stringify(unreachable)}`);
    }
  }
}

function sessionDown(
  state: GracefulRestartState,
  event: Extract<GracefulRestartEvent, { type: 'session-down' }>,
): GracefulRestartStep {
  const capability = event.peerCapability;
  if (!event.connectionFailed || capability === null || capability.families.size === 0) {
    // Not a restart: everything from the neighbor goes, and nothing waits.
    const actions: GracefulRestartAction[] = [{ type: 'stop-timer', timer: RESTART }];
    for (const family of state.stale.keys()) actions.push({ type: 'stop-timer', timer: staleTimer(family) });
    actions.push({ type: 'flush-all' });
    return { state: initialGracefulRestartState, actions };
  }
  const stale = new Map(state.stale);
  const actions: GracefulRestartAction[] = [];
  for (const family of event.families) {
    if (capability.families.has(family)) {
      // The restart timer governs now, not a stale timer left from before.
      if (stale.get(family) === 'until-end-of-rib')
        actions.push({ type: 'stop-timer', timer: staleTimer(family) });
      stale.set(family, 'until-reconnect');
      actions.push({ type: 'mark-stale', family });
    } else {
      actions.push({ type: 'flush', family });
    }
  }
  actions.push({ type: 'start-timer', timer: RESTART, seconds: capability.restartTimeSeconds });
  return { state: { stale }, actions };
}

function sweepOne(state: GracefulRestartState, family: AddressFamily, why: string): GracefulRestartStep {
  if (!state.stale.has(family)) return { state, actions: [] };
  const stale = new Map(state.stale);
  stale.delete(family);
  return {
    state: { stale },
    actions: [
      { type: 'stop-timer', timer: staleTimer(family) },
      { type: 'sweep', family, why },
    ],
  };
}

/** A timer's name, unique among a neighbor's graceful-restart timers. */
export function timerName(timer: GracefulRestartTimer): string {
  return timer.kind === 'restart' ? 'restart' : `stale ${timer.family}`;
}
