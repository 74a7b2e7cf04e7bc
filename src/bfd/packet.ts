// The BFD Control packet (RFC 5880 §4.1): encode, and decode with every
// reception check of §6.8.6 that needs no session. Errors are values with a
// reason; the caller discards the packet and may count the reason.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                       My Discriminator                        |
//   |                      Your Discriminator                       |
//   |                    Desired Min TX Interval                    |
//   |                   Required Min RX Interval                    |
//   |                 Required Min Echo RX Interval                 |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   Auth Type   |   Auth Len    |    Authentication Data...     |
//
// Authentication (§6.7) is not implemented: a packet with the A bit is
// refused, as §6.8.6 requires of a session without authentication.

import {
  BFD_VERSION,
  type BfdState,
  CONTROL_PACKET_LENGTH,
  MIN_LENGTH_WITH_AUTH,
  StateCode,
} from './iana.js';

export interface ControlPacket {
  readonly version: number;
  readonly diagnostic: number;
  readonly state: BfdState;
  /** P: the sender starts a Poll Sequence (§6.5). */
  readonly poll: boolean;
  /** F: the answer to a Poll. */
  readonly final: boolean;
  /** C: the sender's BFD does not share fate with its control plane (§6.8.7, RFC 5882 §4.3). */
  readonly controlPlaneIndependent: boolean;
  /** A: an Authentication Section follows. */
  readonly authenticated: boolean;
  /** D: the sender wishes to run Demand mode. */
  readonly demand: boolean;
  /** M: reserved for multipoint; must be zero. */
  readonly multipoint: boolean;
  readonly detectMult: number;
  readonly myDiscriminator: number;
  readonly yourDiscriminator: number;
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly requiredMinEchoRxUs: number;
}

/** Why a received packet was discarded (RFC 5880 §6.8.6, in its order). */
export type PacketErrorReason =
  | 'truncated'
  | 'bad-version'
  | 'length-too-small'
  | 'length-exceeds-datagram'
  | 'zero-detect-mult'
  | 'multipoint-set'
  | 'zero-my-discriminator'
  | 'zero-your-discriminator'
  | 'authentication-unsupported';

export interface PacketError {
  readonly reason: PacketErrorReason;
  /** One line for a log or a counter's help. */
  readonly detail: string;
}

export type DecodeResult =
  | { readonly ok: true; readonly value: ControlPacket }
  | { readonly ok: false; readonly error: PacketError };

const stateByCode: readonly BfdState[] = ['adminDown', 'down', 'init', 'up'];

const fail = (reason: PacketErrorReason, detail: string): DecodeResult => ({
  ok: false,
  error: { reason, detail },
});

/** Decodes one UDP payload. */
export function decodeControlPacket(bytes: Uint8Array): DecodeResult {
  if (bytes.length < CONTROL_PACKET_LENGTH)
    return fail(
      'truncated',
      `${bytes.length} octets, a control packet has at least ${CONTROL_PACKET_LENGTH}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = view.getUint8(0);
  const flags = view.getUint8(1);
  const version = first >>> 5;
  // §6.8.6: "If the version number is not correct (1), the packet MUST be discarded."
  if (version !== BFD_VERSION)
    return fail('bad-version', `version ${version}, only ${BFD_VERSION} is spoken`);
  const authenticated = (flags & 0x04) !== 0;
  const length = view.getUint8(3);
  // §6.8.6: less than 24 (26 with the A bit) is discarded.
  const minimum = authenticated ? MIN_LENGTH_WITH_AUTH : CONTROL_PACKET_LENGTH;
  if (length < minimum) return fail('length-too-small', `Length ${length}, at least ${minimum} is required`);
  // §6.8.6: "If the Length field is greater than the payload of the encapsulating protocol, the packet MUST be discarded."
  if (length > bytes.length)
    return fail('length-exceeds-datagram', `Length ${length} but the datagram holds ${bytes.length} octets`);
  const detectMult = view.getUint8(2);
  if (detectMult === 0) return fail('zero-detect-mult', 'Detect Mult is zero');
  // §6.8.6: the Multipoint bit is reserved and must be zero.
  if ((flags & 0x01) !== 0) return fail('multipoint-set', 'the Multipoint (M) bit is set');
  const myDiscriminator = view.getUint32(4);
  if (myDiscriminator === 0) return fail('zero-my-discriminator', 'My Discriminator is zero');
  const yourDiscriminator = view.getUint32(8);
  const state = stateByCode[flags >>> 6] as BfdState;
  // §6.8.6: Your Discriminator zero is only valid while the sender has not heard us (Down or AdminDown).
  if (yourDiscriminator === 0 && state !== 'down' && state !== 'adminDown')
    return fail('zero-your-discriminator', `Your Discriminator is zero in state ${state}`);
  // §6.8.6: "If the A bit is set and no authentication is in use (bfd.AuthType is zero), the packet MUST be discarded."
  if (authenticated)
    return fail('authentication-unsupported', 'the A bit is set; authentication is not supported');
  return {
    ok: true,
    value: {
      version,
      diagnostic: first & 0x1f,
      state,
      poll: (flags & 0x20) !== 0,
      final: (flags & 0x10) !== 0,
      controlPlaneIndependent: (flags & 0x08) !== 0,
      authenticated,
      demand: (flags & 0x02) !== 0,
      multipoint: false,
      detectMult,
      myDiscriminator,
      yourDiscriminator,
      desiredMinTxUs: view.getUint32(12),
      requiredMinRxUs: view.getUint32(16),
      requiredMinEchoRxUs: view.getUint32(20),
    },
  };
}

/** Encodes the mandatory section (24 octets; no Authentication Section). */
export function encodeControlPacket(packet: ControlPacket): Uint8Array {
  const bytes = new Uint8Array(CONTROL_PACKET_LENGTH);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, ((packet.version & 0x07) << 5) | (packet.diagnostic & 0x1f));
  view.setUint8(
    1,
    (StateCode[packet.state] << 6) |
      (packet.poll ? 0x20 : 0) |
      (packet.final ? 0x10 : 0) |
      (packet.controlPlaneIndependent ? 0x08 : 0) |
      (packet.authenticated ? 0x04 : 0) |
      (packet.demand ? 0x02 : 0) |
      (packet.multipoint ? 0x01 : 0),
  );
  view.setUint8(2, packet.detectMult);
  view.setUint8(3, CONTROL_PACKET_LENGTH);
  view.setUint32(4, packet.myDiscriminator);
  view.setUint32(8, packet.yourDiscriminator);
  view.setUint32(12, packet.desiredMinTxUs);
  view.setUint32(16, packet.requiredMinRxUs);
  view.setUint32(20, packet.requiredMinEchoRxUs);
  return bytes;
}
