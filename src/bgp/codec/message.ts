// The closed union of BGP messages and the entry points that decode one
// framed message and encode one message.

import { assertNever } from './capabilities.js';
import { type CodecContext, defaultContext } from './context.js';
import { type BgpError, bgpError, type DecodeResult, fail } from './errors.js';
import { messageLength } from './header.js';
import { ErrorCode, HEADER_LENGTH, HeaderSubcode, MAX_MESSAGE_LENGTH, MessageType } from './iana.js';
import { decodeNotification, encodeNotificationBody, type NotificationMessage } from './notification.js';
import { decodeOpen, encodeOpenBody, type OpenMessage } from './open.js';
import { decodeRouteRefresh, encodeRouteRefreshBody, type RouteRefreshMessage } from './route-refresh.js';
import { decodeUpdate, encodeUpdateBody, type UpdateMessage } from './update.js';
import { BufferWriter } from './writer.js';

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

export type BgpMessage =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;
export type BgpMessageType = BgpMessage['type'];

export const KEEPALIVE: KeepaliveMessage = Object.freeze({ type: 'keepalive' });

/** RFC 4271 §6.1: the shortest legal message of each type (KEEPALIVE is exact). */
const minimumLength: Readonly<Record<number, number>> = {
  [MessageType.open]: HEADER_LENGTH + 10,
  [MessageType.update]: HEADER_LENGTH + 4,
  [MessageType.notification]: HEADER_LENGTH + 2,
  [MessageType.keepalive]: HEADER_LENGTH,
  [MessageType.routeRefresh]: HEADER_LENGTH + 4,
};

function badLength(bytes: Uint8Array, reason: string): BgpError {
  return bgpError(ErrorCode.messageHeader, HeaderSubcode.badMessageLength, reason, bytes.slice(16, 18));
}

/**
 * Decodes one whole message (`bytes` = header + body, as cut by
 * MessageFramer or read from a capture). Checks the header (RFC 4271 §6.1)
 * then the body. Never throws on any input.
 */
export function decodeMessage(
  bytes: Uint8Array,
  context: CodecContext = defaultContext,
): DecodeResult<BgpMessage> {
  // OPEN and KEEPALIVE are never longer than 4096 octets (RFC 8654 §4).
  const limit = Math.max(context.maxMessageLength, MAX_MESSAGE_LENGTH);
  const length = messageLength(bytes, 0, limit);
  if (length === null) {
    return fail(
      bgpError(
        ErrorCode.messageHeader,
        HeaderSubcode.badMessageLength,
        `${bytes.length} octet(s) is shorter than the ${HEADER_LENGTH}-octet header`,
      ),
    );
  }
  if (typeof length !== 'number') return fail(length);
  if (length !== bytes.length) {
    return fail(badLength(bytes, `length field says ${length} octets, the message has ${bytes.length}`));
  }
  const type = bytes[18] as number;
  const minimum = minimumLength[type];
  if (minimum === undefined) {
    return fail(
      bgpError(
        ErrorCode.messageHeader,
        HeaderSubcode.badMessageType,
        `message type ${type} is undefined`,
        Uint8Array.of(type),
      ),
    );
  }
  if (length < minimum || (type === MessageType.keepalive && length !== HEADER_LENGTH)) {
    return fail(
      badLength(
        bytes,
        `${typeName(type)} of ${length} octets (${type === MessageType.keepalive ? 'must be' : 'at least'} ${minimum})`,
      ),
    );
  }
  if ((type === MessageType.open || type === MessageType.keepalive) && length > MAX_MESSAGE_LENGTH) {
    return fail(badLength(bytes, `${typeName(type)} of ${length} octets exceeds ${MAX_MESSAGE_LENGTH}`));
  }
  switch (type) {
    case MessageType.open:
      return decodeOpen(bytes);
    case MessageType.update:
      return decodeUpdate(bytes, context);
    case MessageType.notification:
      return decodeNotification(bytes);
    case MessageType.keepalive:
      return { ok: true, value: KEEPALIVE, errors: [] };
    default:
      return decodeRouteRefresh(bytes);
  }
}

function typeName(type: number): string {
  switch (type) {
    case MessageType.open:
      return 'OPEN';
    case MessageType.update:
      return 'UPDATE';
    case MessageType.notification:
      return 'NOTIFICATION';
    case MessageType.keepalive:
      return 'KEEPALIVE';
    case MessageType.routeRefresh:
      return 'ROUTE-REFRESH';
    default:
      return `type ${type}`;
  }
}

const typeCodes: Readonly<Record<BgpMessageType, number>> = {
  open: MessageType.open,
  update: MessageType.update,
  notification: MessageType.notification,
  keepalive: MessageType.keepalive,
  routeRefresh: MessageType.routeRefresh,
};

/** Starts a message in `writer`: marker, a length to patch, type. Returns its start. */
export function beginMessage(writer: BufferWriter, type: number): number {
  const start = writer.length;
  writer.fill(0xff, 16).u16(0).u8(type);
  return start;
}

/** Patches the length of the message begun at `start`; throws if it exceeds `maxLength` (an encoder bug). */
export function endMessage(writer: BufferWriter, start: number, maxLength: number): void {
  const length = writer.length - start;
  if (length > maxLength) throw new Error(`encoded message of ${length} octets exceeds ${maxLength}`);
  writer.patchU16(start + 16, length);
}

/** Appends one message to `writer`. */
export function writeMessage(
  writer: BufferWriter,
  message: BgpMessage,
  context: CodecContext = defaultContext,
): void {
  const start = beginMessage(writer, typeCodes[message.type]);
  let maxLength = context.maxMessageLength;
  switch (message.type) {
    case 'open':
      encodeOpenBody(writer, message);
      maxLength = MAX_MESSAGE_LENGTH;
      break;
    case 'update':
      encodeUpdateBody(writer, message, context);
      break;
    case 'notification':
      encodeNotificationBody(writer, message);
      break;
    case 'keepalive':
      maxLength = MAX_MESSAGE_LENGTH;
      break;
    case 'routeRefresh':
      encodeRouteRefreshBody(writer, message);
      break;
    default:
      assertNever(message);
  }
  if (message.type === 'notification' && writer.length - start > maxLength) {
    // RFC 4271 §4.5: data is truncated rather than the NOTIFICATION lost.
    writer.truncate(start + maxLength);
  }
  endMessage(writer, start, maxLength);
}

/** Encodes one message into a new buffer. */
export function encodeMessage(message: BgpMessage, context: CodecContext = defaultContext): Uint8Array {
  const writer = new BufferWriter(message.type === 'update' ? 4096 : 64);
  writeMessage(writer, message, context);
  return writer.toBytes();
}
