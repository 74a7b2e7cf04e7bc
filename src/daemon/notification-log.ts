// The log line for one NOTIFICATION sent or received: its fields and its
// message, kept apart from the agent so the line's shape is tested alone.

import { describeErrorCode } from '../bgp/codec/errors.js';
import { ErrorCode } from '../bgp/codec/iana.js';

export interface NotificationLogLine {
  /** Cease is routine (a peer restarting, a reload); anything else is worth a warning. */
  readonly level: 'info' | 'warn';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

export function notificationLogLine(
  neighbor: string,
  direction: 'sent' | 'received',
  code: number,
  subcode: number,
  detail: string,
  data: Uint8Array | undefined,
): NotificationLogLine {
  const description = describeErrorCode(code, subcode);
  return {
    level: code === ErrorCode.cease ? 'info' : 'warn',
    fields: {
      neighbor,
      direction,
      code,
      subcode,
      notification: description,
      detail,
      // The Data field in hex, as tcpdump shows it (e.g. RFC 4486's AFI, SAFI, limit).
      ...(data !== undefined && data.length > 0 ? { data: Buffer.from(data).toString('hex') } : {}),
    },
    message: `NOTIFICATION ${direction}: ${description} ${detail}`.trim(),
  };
}
