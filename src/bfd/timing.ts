// BFD interval arithmetic, pure (RFC 5880 §6.8.2, §6.8.4, §6.8.7). All
// values are microseconds, as on the wire.

/**
 * §6.8.7: the interval between transmitted packets is the larger of our
 * bfd.DesiredMinTxInterval and the remote's bfd.RemoteMinRxInterval.
 */
export function transmitIntervalUs(desiredMinTxUs: number, remoteMinRxUs: number): number {
  return Math.max(desiredMinTxUs, remoteMinRxUs);
}

/**
 * §6.8.4, Asynchronous mode: the remote's Detect Mult times the agreed
 * interval at which it transmits to us, the larger of our
 * bfd.RequiredMinRxInterval and its last Desired Min TX Interval.
 */
export function detectionTimeUs(
  remoteDetectMult: number,
  requiredMinRxUs: number,
  remoteDesiredMinTxUs: number,
): number {
  return remoteDetectMult * Math.max(requiredMinRxUs, remoteDesiredMinTxUs);
}

/**
 * §6.8.7: each transmit interval is reduced by a random 0-25 %; with
 * Detect Mult 1 it must lie between 75 % and 90 %, so a single lost packet
 * does not look like a dead peer. `random01` is uniform in [0, 1): the
 * caller supplies it (Math.random in the daemon, fixed values in tests).
 */
export function jitteredIntervalUs(intervalUs: number, detectMult: number, random01: number): number {
  const maxFraction = detectMult === 1 ? 0.9 : 1.0;
  const fraction = 0.75 + (maxFraction - 0.75) * Math.min(Math.max(random01, 0), 1);
  return Math.floor(intervalUs * fraction);
}
