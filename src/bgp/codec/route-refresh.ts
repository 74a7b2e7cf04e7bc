// ROUTE-REFRESH (RFC 2918 §3) with the Enhanced Route Refresh subtypes of
// RFC 7313 §3.2 (the former Reserved octet: 0 normal, 1 BoRR, 2 EoRR).
//
//   +-------------------+------------------+-----------+
//   |      AFI (2)      | Message Subtype (1) | SAFI (1) |
//   +-------------------+------------------+-----------+

import { bgpError, type DecodeResult, fail, ok } from './errors.js';
import { ErrorCode, HEADER_LENGTH, RouteRefreshErrorSubcode } from './iana.js';
import type { BufferWriter } from './writer.js';

export interface RouteRefreshMessage {
  readonly type: 'routeRefresh';
  readonly afi: number;
  readonly safi: number;
  /**
   * 0 a refresh request, 1 Beginning of Route Refresh, 2 End of Route
   * Refresh; RFC 7313 §5: other values are ignored by the receiver.
   */
  readonly subtype: number;
}

export const ROUTE_REFRESH_LENGTH = HEADER_LENGTH + 4;

export function decodeRouteRefresh(bytes: Uint8Array): DecodeResult<RouteRefreshMessage> {
  if (bytes.length !== ROUTE_REFRESH_LENGTH) {
    // RFC 7313 §5: ROUTE-REFRESH Message Error / Invalid Message Length, the whole message as data.
    return fail(
      bgpError(
        ErrorCode.routeRefreshMessage,
        RouteRefreshErrorSubcode.invalidMessageLength,
        `ROUTE-REFRESH length ${bytes.length}, expected ${ROUTE_REFRESH_LENGTH}`,
        bytes.slice(),
      ),
    );
  }
  const afi = ((bytes[HEADER_LENGTH] as number) << 8) | (bytes[HEADER_LENGTH + 1] as number);
  return ok({
    type: 'routeRefresh',
    afi,
    subtype: bytes[HEADER_LENGTH + 2] as number,
    safi: bytes[HEADER_LENGTH + 3] as number,
  });
}

export function encodeRouteRefreshBody(writer: BufferWriter, message: RouteRefreshMessage): void {
  writer.u16(message.afi).u8(message.subtype).u8(message.safi);
}
