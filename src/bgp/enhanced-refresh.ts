// Enhanced Route Refresh, receiving side (RFC 7313 §4), pure. A neighbor
// that re-sends a family frames it with Beginning-of-RIB-Refresh (BoRR) and
// End-of-RIB-Refresh (EoRR): at BoRR its routes of the family become stale,
// each route it re-sends is fresh again, and at EoRR what is still stale is
// gone. Our stale timer bounds the wait for an EoRR that never comes. The
// daemon executes the actions and feeds timer expiries back as events.

import type { AddressFamily } from './family.js';

export interface EnhancedRefreshState {
  /** Families between BoRR and EoRR. */
  readonly refreshing: ReadonlySet<AddressFamily>;
}

export const initialEnhancedRefreshState: EnhancedRefreshState = Object.freeze({
  refreshing: new Set<AddressFamily>(),
});

export interface EnhancedRefreshConfig {
  /** The longest wait for EoRR before the stale routes go. */
  readonly staleRoutesTimeSeconds: number;
}

export type EnhancedRefreshEvent =
  | { readonly type: 'begin'; readonly family: AddressFamily }
  | { readonly type: 'end'; readonly family: AddressFamily }
  | { readonly type: 'stale-timer-expired'; readonly family: AddressFamily }
  /** The session ended: a refresh under way is abandoned (Graceful Restart decides about the routes). */
  | { readonly type: 'session-down' };

export type EnhancedRefreshAction =
  | { readonly type: 'mark-stale'; readonly family: AddressFamily }
  | { readonly type: 'sweep'; readonly family: AddressFamily; readonly why: string }
  | { readonly type: 'start-stale-timer'; readonly family: AddressFamily; readonly seconds: number }
  | { readonly type: 'stop-stale-timer'; readonly family: AddressFamily };

export interface EnhancedRefreshStep {
  readonly state: EnhancedRefreshState;
  readonly actions: readonly EnhancedRefreshAction[];
}

function without(set: ReadonlySet<AddressFamily>, family: AddressFamily): ReadonlySet<AddressFamily> {
  const next = new Set(set);
  next.delete(family);
  return next;
}

export function step(
  config: EnhancedRefreshConfig,
  state: EnhancedRefreshState,
  event: EnhancedRefreshEvent,
): EnhancedRefreshStep {
  switch (event.type) {
    case 'begin':
      // A second BoRR starts the refresh over: whatever came since the
      // first is marked stale again and must be re-sent before EoRR.
      return {
        state: { refreshing: new Set(state.refreshing).add(event.family) },
        actions: [
          { type: 'mark-stale', family: event.family },
          { type: 'start-stale-timer', family: event.family, seconds: config.staleRoutesTimeSeconds },
        ],
      };
    case 'end':
      // RFC 7313 §4: an EoRR without a BoRR before it is ignored.
      if (!state.refreshing.has(event.family)) return { state, actions: [] };
      return {
        state: { refreshing: without(state.refreshing, event.family) },
        actions: [
          { type: 'stop-stale-timer', family: event.family },
          { type: 'sweep', family: event.family, why: 'EoRR received' },
        ],
      };
    case 'stale-timer-expired':
      if (!state.refreshing.has(event.family)) return { state, actions: [] };
      return {
        state: { refreshing: without(state.refreshing, event.family) },
        actions: [{ type: 'sweep', family: event.family, why: 'stale routes time expired before EoRR' }],
      };
    case 'session-down':
      return {
        state: initialEnhancedRefreshState,
        actions: [...state.refreshing].map((family) => ({ type: 'stop-stale-timer', family }) as const),
      };
    default: {
      const unreachable: never = event;
      throw new Error(`unknown enhanced route refresh event ${JSON.stringify(unreachable)}`);
    }
  }
}
