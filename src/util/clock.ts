// Wall-clock time as a value passed in, so code that stamps things (route
// ages, the oldest-path tie-break) can be tested with a clock the test moves.

export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
