// BFD code points (RFC 5880 §4.1, RFC 5881 §4, RFC 5883 §5), alone.

/** RFC 5880 §4.1: the protocol version this implementation speaks. */
export const BFD_VERSION = 1;

/** RFC 5880 §4.1: the mandatory section is 24 octets. */
export const CONTROL_PACKET_LENGTH = 24;

/** RFC 5880 §6.8.6: with the A bit set the minimum correct length is 26. */
export const MIN_LENGTH_WITH_AUTH = 26;

/** RFC 5881 §4: single-hop control packets go to this UDP port. */
export const SINGLE_HOP_PORT = 3784;

/** RFC 5883 §5: multihop control packets go to this UDP port. */
export const MULTIHOP_PORT = 4784;

/** RFC 5881 §4: the source port range for control packets. */
export const SOURCE_PORT_MIN = 49152;
export const SOURCE_PORT_MAX = 65535;

/** RFC 5881 §5: single-hop packets are sent with TTL (hop limit) 255, and only 255 is accepted. */
export const SINGLE_HOP_TTL = 255;

/** RFC 5880 §4.1 State (Sta) field values. */
export const StateCode = {
  adminDown: 0,
  down: 1,
  init: 2,
  up: 3,
} as const;

export type BfdState = keyof typeof StateCode;

export const bfdStates: readonly BfdState[] = ['adminDown', 'down', 'init', 'up'];

/** RFC 5880 §4.1 Diagnostic (Diag) field values. */
export const Diagnostic = {
  none: 0,
  controlDetectionTimeExpired: 1,
  echoFunctionFailed: 2,
  neighborSignaledSessionDown: 3,
  forwardingPlaneReset: 4,
  pathDown: 5,
  concatenatedPathDown: 6,
  administrativelyDown: 7,
  reverseConcatenatedPathDown: 8,
} as const;

const diagnosticNames: Readonly<Record<number, string>> = {
  0: 'No Diagnostic',
  1: 'Control Detection Time Expired',
  2: 'Echo Function Failed',
  3: 'Neighbor Signaled Session Down',
  4: 'Forwarding Plane Reset',
  5: 'Path Down',
  6: 'Concatenated Path Down',
  7: 'Administratively Down',
  8: 'Reverse Concatenated Path Down',
};

export function describeDiagnostic(code: number): string {
  return diagnosticNames[code] ?? `Reserved (${code})`;
}

/** RFC 5880 §6.8.3: while not Up, bfd.DesiredMinTxInterval is at least one second. */
export const SLOW_TX_INTERVAL_US = 1_000_000;
