// Errors are values. Every decode failure carries the NOTIFICATION it deserves
// (RFC 4271 §4.5/§6: code, subcode, data) and, for UPDATE errors, the RFC 7606
// §2 approach to take. The decoder never throws on bad bytes; a throw is a bug.

import { errorCodeName, errorSubcodeName } from './iana.js';

/**
 * RFC 7606 §2, weakest first. 'session-reset' sends the NOTIFICATION and
 * closes the session; 'treat-as-withdraw' withdraws every prefix the UPDATE
 * carries (NLRI, MP_REACH and MP_UNREACH alike); 'attribute-discard' drops the
 * malformed attribute and keeps the route.
 */
export type ErrorAction = 'attribute-discard' | 'treat-as-withdraw' | 'session-reset';

const severity: Readonly<Record<ErrorAction, number>> = {
  'attribute-discard': 1,
  'treat-as-withdraw': 2,
  'session-reset': 3,
};

export interface BgpError {
  readonly code: number;
  readonly subcode: number;
  /** The NOTIFICATION Data field RFC 4271 §6 prescribes for this error. */
  readonly data: Uint8Array;
  readonly action: ErrorAction;
  /** One line for logs and `agentctl decode`: what was wrong, where. */
  readonly reason: string;
}

export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T; readonly errors: readonly BgpError[] }
  | { readonly ok: false; readonly error: BgpError };

const noErrors: readonly BgpError[] = Object.freeze([]);
const emptyData = new Uint8Array(0);

export function ok<T>(value: T, errors: readonly BgpError[] = noErrors): DecodeResult<T> {
  return { ok: true, value, errors };
}

export function fail<T>(error: BgpError): DecodeResult<T> {
  return { ok: false, error };
}

export function bgpError(
  code: number,
  subcode: number,
  reason: string,
  data: Uint8Array = emptyData,
  action: ErrorAction = 'session-reset',
): BgpError {
  return { code, subcode, data, action, reason };
}

export function isStronger(a: ErrorAction, than: ErrorAction): boolean {
  return severity[a] > severity[than];
}

/** The most severe action among `errors` (GoBGP's `Stronger()`), or null when there are none. */
export function strongestAction(errors: readonly BgpError[]): ErrorAction | null {
  let strongest: ErrorAction | null = null;
  for (const error of errors) {
    if (strongest === null || isStronger(error.action, strongest)) strongest = error.action;
  }
  return strongest;
}

/** The first error of the strongest action: the one to report. */
export function strongestError(errors: readonly BgpError[]): BgpError | null {
  let strongest: BgpError | null = null;
  for (const error of errors) {
    if (strongest === null || isStronger(error.action, strongest.action)) strongest = error;
  }
  return strongest;
}

/** "UPDATE Message Error / Malformed AS_PATH (3/11)". */
export function describeErrorCode(code: number, subcode: number): string {
  return `${errorCodeName(code)} / ${errorSubcodeName(code, subcode)} (${code}/${subcode})`;
}
