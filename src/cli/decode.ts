// `agentctl decode HEX`: decode BGP messages from a hex dump (tcpdump,
// tshark, a log line), print them, and report the error each deserves.

import { type CodecContext, codecContext } from '../bgp/codec/context.js';
import { type BgpError, strongestError } from '../bgp/codec/errors.js';
import { messageLength } from '../bgp/codec/header.js';
import { MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from '../bgp/codec/iana.js';
import { decodeMessage } from '../bgp/codec/message.js';
import {
  errorToJson,
  errorToText,
  type JsonValue,
  messageToJson,
  messageToText,
} from '../bgp/format/message.js';
import { UsageError } from './io.js';

export interface DecodeOptions {
  readonly asn2: boolean;
  readonly addPath: readonly ('ipv4' | 'ipv6')[];
  readonly extendedMessage: boolean;
  readonly peerType: 'ibgp' | 'ebgp' | 'unknown';
  readonly json: boolean;
}

/**
 * Hex text -> bytes. Accepts whitespace, ':' and '-' separators, a 0x
 * prefix, and tcpdump -x/-X offset columns ("0x0010:  ffff ffff ...").
 */
export function parseHexDump(text: string): Uint8Array {
  const withoutOffsets = text
    .split('\n')
    .map((line) => {
      // tcpdump -x / -X: "0x0010:  ffff ffff ffff ...  ......" (hex groups, then an ASCII column).
      const dump = /^\s*0x[0-9a-fA-F]+:\s+(.*)$/.exec(line);
      return dump === null ? line : (dump[1] ?? '').split(/\s{2,}/)[0];
    })
    .join(' ');
  const compact = withoutOffsets.replace(/\b0x/gi, '').replace(/[\s:.-]/g, '');
  if (compact.length === 0)
    throw new UsageError('decode: no hex given: pass HEX as an argument or on standard input');
  if (!/^[0-9a-fA-F]*$/.test(compact)) {
    const bad = /[^0-9a-fA-F]/.exec(compact)?.[0] ?? '?';
    throw new UsageError(
      `decode: HEX contains '${bad}': give hex digits only (e.g. ffffffffffffffffffffffffffffffff001304)`,
    );
  }
  if (compact.length % 2 !== 0)
    throw new UsageError(`decode: HEX has an odd number of digits (${compact.length})`);
  return Uint8Array.from(Buffer.from(compact, 'hex'));
}

/** Where the first BGP marker is (a dump of a whole frame starts with IP/TCP headers). */
function markerOffset(bytes: Uint8Array): number {
  outer: for (let i = 0; i + 16 <= bytes.length; i++) {
    for (let k = 0; k < 16; k++) if (bytes[i + k] !== 0xff) continue outer;
    return i;
  }
  return 0;
}

export interface DecodeOutcome {
  readonly output: string;
  readonly exitCode: 0 | 1;
}

export function decodeHex(text: string, options: DecodeOptions): DecodeOutcome {
  const bytes = parseHexDump(text);
  const context: CodecContext = codecContext({
    asn4: !options.asn2,
    addPathIpv4: options.addPath.includes('ipv4'),
    addPathIpv6: options.addPath.includes('ipv6'),
    maxMessageLength: options.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH,
    peerType: options.peerType,
  });
  // Several messages back to back are decoded in turn; a single one (the
  // usual case) is decoded as given so a wrong length field is reported.
  const results: { message?: { [key: string]: JsonValue }; text?: string; error?: BgpError }[] = [];
  let at = markerOffset(bytes);
  do {
    const length = messageLength(bytes, at, context.maxMessageLength);
    const end = typeof length === 'number' && at + length <= bytes.length ? at + length : bytes.length;
    const slice = bytes.subarray(at, end);
    const decoded = decodeMessage(slice, context);
    if (!decoded.ok) {
      results.push({ error: decoded.error });
      break;
    }
    const error = strongestError(decoded.errors) ?? undefined;
    results.push({
      message: messageToJson(decoded.value),
      text: messageToText(decoded.value, slice.length),
      ...(error !== undefined ? { error } : {}),
    });
    at = end;
  } while (at < bytes.length);

  const failed = results.some((result) => result.error !== undefined);
  if (options.json) {
    const json = (result: (typeof results)[number]): JsonValue =>
      result.error !== undefined
        ? {
            error: errorToJson(result.error),
            ...(result.message !== undefined ? { message: result.message } : {}),
          }
        : (result.message ?? null);
    const only = results.length === 1 ? results[0] : undefined;
    const value = only !== undefined ? json(only) : results.map(json);
    return { output: JSON.stringify(value, null, 2), exitCode: failed ? 1 : 0 };
  }
  const lines: string[] = [];
  for (const result of results) {
    if (result.text !== undefined) lines.push(result.text);
    if (result.error !== undefined) lines.push(`error: ${errorToText(result.error)}`);
  }
  return { output: lines.join('\n'), exitCode: failed ? 1 : 0 };
}
