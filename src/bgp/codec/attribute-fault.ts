import type { ErrorAction } from './errors.js';

/** Why an attribute value is malformed, with the RFC 4271 §6.3 subcode it would be reported under. */
export class AttributeFault {
  constructor(
    readonly reason: string,
    readonly subcode: number,
    /** Overrides the descriptor's RFC 7606 action (rarely needed). */
    readonly action?: ErrorAction,
  ) {}
}
