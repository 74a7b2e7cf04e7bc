// RFC 4271 §4.1 message header, and framing a TCP byte stream into messages.
//
//    0                   1                   2                   3
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                                                               |
//   +                           Marker (16 octets of 0xff)          +
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Length               |      Type     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

import { type BgpError, bgpError } from './errors.js';
import {
  ErrorCode,
  HEADER_LENGTH,
  HeaderSubcode,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
} from './iana.js';

/**
 * The length of the message starting at `offset`, once its 19-octet header is
 * available: null when fewer than 19 octets are there yet, a BgpError when the
 * marker or the length is wrong (RFC 4271 §6.1: 1/1 Connection Not
 * Synchronized; 1/2 Bad Message Length with the length field as data).
 */
export function messageLength(
  bytes: Uint8Array,
  offset: number,
  maxMessageLength: number = MAX_MESSAGE_LENGTH,
): number | null | BgpError {
  if (bytes.length - offset < HEADER_LENGTH) return null;
  for (let i = 0; i < 16; i++) {
    if (bytes[offset + i] !== 0xff) {
      return bgpError(
        ErrorCode.messageHeader,
        HeaderSubcode.connectionNotSynchronized,
        'marker is not all ones',
      );
    }
  }
  const length = ((bytes[offset + 16] as number) << 8) | (bytes[offset + 17] as number);
  if (length < HEADER_LENGTH || length > maxMessageLength) {
    return bgpError(
      ErrorCode.messageHeader,
      HeaderSubcode.badMessageLength,
      `message length ${length} outside ${HEADER_LENGTH}..${maxMessageLength}`,
      bytes.slice(offset + 16, offset + 18),
    );
  }
  return length;
}

/**
 * Cuts a TCP byte stream into whole BGP messages, whatever the chunking.
 * Messages that lie entirely within one pushed chunk are returned as views of
 * it (no copy); only a message split across chunks is copied, once.
 */
export class MessageFramer {
  private pending: Uint8Array = new Uint8Array(0);
  private maxMessageLength: number;
  private failed: BgpError | null = null;

  constructor(maxMessageLength: number = MAX_MESSAGE_LENGTH) {
    this.maxMessageLength = maxMessageLength;
  }

  /** RFC 8654: raise the limit to 65535 once Extended Message is negotiated. */
  setMaxMessageLength(length: number): void {
    this.maxMessageLength = Math.min(length, MAX_EXTENDED_MESSAGE_LENGTH);
  }

  /** Octets held back, waiting for the rest of a message. */
  get bufferedLength(): number {
    return this.pending.length;
  }

  /**
   * Feeds one chunk; returns the messages it completes, or the error that
   * makes the stream unusable (after which every push returns that error).
   */
  push(chunk: Uint8Array): Uint8Array[] | BgpError {
    if (this.failed !== null) return this.failed;
    let bytes = chunk;
    if (this.pending.length > 0) {
      bytes = new Uint8Array(this.pending.length + chunk.length);
      bytes.set(this.pending);
      bytes.set(chunk, this.pending.length);
    }
    const messages: Uint8Array[] = [];
    let offset = 0;
    for (;;) {
      const length = messageLength(bytes, offset, this.maxMessageLength);
      if (length === null) break;
      if (typeof length !== 'number') {
        this.failed = length;
        this.pending = new Uint8Array(0);
        return length;
      }
      if (bytes.length - offset < length) break;
      messages.push(bytes.subarray(offset, offset + length));
      offset += length;
    }
    // Keep the incomplete tail as a copy so the caller's chunk is not retained.
    this.pending = offset === bytes.length ? new Uint8Array(0) : bytes.slice(offset);
    return messages;
  }
}
