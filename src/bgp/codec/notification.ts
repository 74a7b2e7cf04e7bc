// NOTIFICATION (RFC 4271 §4.5) and the Shutdown Communication carried by
// Cease/Administrative Shutdown and Cease/Administrative Reset (RFC 8203 as
// updated by RFC 9003: one length octet, then up to 255 octets of UTF-8).
//
//   +-----------------+-----------------+-------------------+
//   | Error code (1)  | Error subcode (1) | Data (variable) |
//   +-----------------+-----------------+-------------------+

import { type DecodeResult, ok } from './errors.js';
import { CeaseSubcode, ErrorCode, HEADER_LENGTH } from './iana.js';
import type { BufferWriter } from './writer.js';

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  /**
   * The RFC 9003 Shutdown Communication, decoded when the data is exactly one
   * well-formed communication; when set, the encoder writes data from it.
   */
  readonly shutdownMessage?: string | undefined;
}

/** RFC 9003 §2: the communication is at most 255 octets of UTF-8. */
export const MAX_SHUTDOWN_MESSAGE_OCTETS = 255;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const utf8 = new TextEncoder();

export function carriesShutdownMessage(code: number, subcode: number): boolean {
  return (
    code === ErrorCode.cease &&
    (subcode === CeaseSubcode.administrativeShutdown || subcode === CeaseSubcode.administrativeReset)
  );
}

/** The communication in `data`, or null when the data is not one (RFC 9003 §3: log it, do nothing else). */
export function decodeShutdownMessage(data: Uint8Array): string | null {
  if (data.length === 0) return null;
  const length = data[0] as number;
  if (length === 0 || data.length !== 1 + length) return null;
  try {
    return strictUtf8.decode(data.subarray(1));
  } catch {
    return null;
  }
}

/**
 * RFC 9003 §2 data field: length octet + UTF-8, cut at a character boundary.
 * RFC 9003 §3: up to 255 octets only to a peer known to support RFC 9003;
 * 128 otherwise (the RFC 8203 limit), which is the default here.
 */
export function encodeShutdownMessage(message: string, maxOctets = 128): Uint8Array {
  let bytes = utf8.encode(message);
  const limit = Math.min(maxOctets, MAX_SHUTDOWN_MESSAGE_OCTETS);
  if (bytes.length > limit) {
    let cut = limit;
    while (cut > 0 && ((bytes[cut] as number) & 0xc0) === 0x80) cut--; // continuation octet
    bytes = bytes.subarray(0, cut);
  }
  const data = new Uint8Array(1 + bytes.length);
  data[0] = bytes.length;
  data.set(bytes, 1);
  return data;
}

/** Decodes a NOTIFICATION (whole message; its length was checked to be >= 21). */
export function decodeNotification(bytes: Uint8Array): DecodeResult<NotificationMessage> {
  const code = bytes[HEADER_LENGTH] as number;
  const subcode = bytes[HEADER_LENGTH + 1] as number;
  const data = bytes.slice(HEADER_LENGTH + 2);
  const shutdownMessage = carriesShutdownMessage(code, subcode) ? decodeShutdownMessage(data) : null;
  return ok({ type: 'notification', code, subcode, data, shutdownMessage: shutdownMessage ?? undefined });
}

export function encodeNotificationBody(writer: BufferWriter, notification: NotificationMessage): void {
  writer.u8(notification.code).u8(notification.subcode);
  if (
    notification.shutdownMessage !== undefined &&
    carriesShutdownMessage(notification.code, notification.subcode)
  ) {
    writer.bytes(encodeShutdownMessage(notification.shutdownMessage));
  } else {
    writer.bytes(notification.data);
  }
}

/**
 * RFC 4486 §4: the data of Cease/Maximum Number of Prefixes Reached: AFI
 * (2 octets), SAFI (1) and the prefix upper bound (4).
 */
export function maxPrefixesReachedData(afi: number, safi: number, limit: number): Uint8Array {
  const data = new Uint8Array(7);
  const view = new DataView(data.buffer);
  view.setUint16(0, afi);
  view.setUint8(2, safi);
  view.setUint32(3, limit >>> 0);
  return data;
}
