// The maximum-prefix limit of one neighbor (RFC 4271 §8.1.2's
// MaxPrefixExceeded, RFC 4486 §4), pure: the number of prefixes accepted in
// a family goes in, the actions come out. The warning at the threshold and
// the warning-only notice are said once per session; over the limit the
// session closes with Cease/Maximum Number of Prefixes Reached carrying AFI,
// SAFI and the limit, and comes back after `restartSeconds` when set.

import { CeaseSubcode } from './codec/iana.js';
import { maxPrefixesReachedData } from './codec/notification.js';
import { type AddressFamily, familyAfiSafi } from './family.js';

export interface MaxPrefixLimit {
  readonly limit: number;
  /** Over the limit: only warn, keep the session. */
  readonly warningOnly: boolean;
  /** Warn once when accepted prefixes pass this share of the limit. */
  readonly warningThresholdPercent: number;
  /** After a Cease, start the session again this long after (0: stay down). */
  readonly restartSeconds: number;
}

export interface MaxPrefixState {
  readonly thresholdWarned: boolean;
  readonly limitWarned: boolean;
}

export const initialMaxPrefixState: MaxPrefixState = Object.freeze({
  thresholdWarned: false,
  limitWarned: false,
});

export interface MaxPrefixFields {
  readonly family: AddressFamily;
  readonly accepted: number;
  readonly limit: number;
}

export type MaxPrefixAction =
  | { readonly type: 'warn'; readonly message: string; readonly fields: MaxPrefixFields }
  | {
      readonly type: 'cease';
      readonly subcode: number;
      /** RFC 4486 §4 data: AFI, SAFI, the limit. */
      readonly data: Uint8Array;
      readonly message: string;
      readonly fields: MaxPrefixFields;
    }
  | { readonly type: 'start-restart-timer'; readonly seconds: number };

export interface MaxPrefixStep {
  readonly state: MaxPrefixState;
  readonly actions: readonly MaxPrefixAction[];
}

const nothing: readonly MaxPrefixAction[] = Object.freeze([]);

/** What `accepted` prefixes of `family` from this neighbor call for. */
export function checkMaxPrefix(
  limit: MaxPrefixLimit,
  state: MaxPrefixState,
  family: AddressFamily,
  accepted: number,
): MaxPrefixStep {
  const fields: MaxPrefixFields = { family, accepted, limit: limit.limit };
  const threshold = Math.floor((limit.limit * limit.warningThresholdPercent) / 100);
  const actions: MaxPrefixAction[] = [];
  let next = state;
  if (accepted > threshold && !state.thresholdWarned) {
    next = { ...next, thresholdWarned: true };
    actions.push({ type: 'warn', message: 'max-prefix threshold reached', fields });
  }
  if (accepted <= limit.limit) return { state: next, actions: actions.length > 0 ? actions : nothing };
  if (limit.warningOnly) {
    if (!next.limitWarned) {
      next = { ...next, limitWarned: true };
      actions.push({ type: 'warn', message: 'max-prefix limit exceeded (warning only)', fields });
    }
    return { state: next, actions };
  }
  const { afi, safi } = familyAfiSafi(family);
  actions.push({
    type: 'cease',
    subcode: CeaseSubcode.maximumPrefixesReached,
    data: maxPrefixesReachedData(afi, safi, limit.limit),
    message: 'max-prefix limit exceeded: closing the session (Cease 6/1)',
    fields,
  });
  if (limit.restartSeconds > 0) actions.push({ type: 'start-restart-timer', seconds: limit.restartSeconds });
  // A new session counts and warns afresh.
  return { state: initialMaxPrefixState, actions };
}
