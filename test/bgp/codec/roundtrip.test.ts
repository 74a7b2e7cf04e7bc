// Round-trip properties: every message, capability and attribute encodes,
// decodes back to the same value, and re-encodes to the same bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BgpMessage,
  type CodecContext,
  codecContext,
  decodeMessage,
  encodeMessage,
  type PathAttributes,
} from '../../../src/bgp/codec/index.js';
import {
  contextArbitrary,
  notificationArbitrary,
  openArbitrary,
  routeRefreshArbitrary,
  updateArbitrary,
} from './arbitraries.js';

/** The decoded message without what only the decoder adds (wire layout, wire key). */
function withoutLayout(message: BgpMessage): BgpMessage {
  if (message.type !== 'update') return message;
  const attributes: PathAttributes = { ...message.attributes, layout: undefined };
  const { attributesKey: _key, ...rest } = message;
  return { ...rest, attributes };
}

function roundTrip(message: BgpMessage, context: CodecContext): BgpMessage {
  const bytes = encodeMessage(message, context);
  const decoded = decodeMessage(bytes, context);
  if (!decoded.ok) throw new Error(`decode failed: ${decoded.error.reason}`);
  expect(decoded.errors).toEqual([]);
  // Stable re-encode: the decoded value gives back exactly the same bytes.
  expect(Buffer.from(encodeMessage(decoded.value, context)).toString('hex')).toBe(
    Buffer.from(bytes).toString('hex'),
  );
  return decoded.value;
}

describe('round trip', () => {
  it('OPEN with any capabilities, short and RFC 9072 extended parameters', () => {
    fc.assert(
      fc.property(openArbitrary, (open) => {
        expect(roundTrip(open, codecContext())).toEqual(open);
      }),
      { numRuns: 500 },
    );
  });

  it('UPDATE with every attribute, 2- and 4-octet AS, with and without ADD-PATH', () => {
    fc.assert(
      fc.property(
        contextArbitrary.chain((context) => fc.tuple(fc.constant(context), updateArbitrary(context))),
        ([context, update]) => {
          expect(withoutLayout(roundTrip(update, context))).toEqual(update);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('NOTIFICATION, with RFC 9003 shutdown communications', () => {
    fc.assert(
      fc.property(notificationArbitrary, (notification) => {
        const decoded = roundTrip(notification, codecContext());
        expect(decoded).toMatchObject({ code: notification.code, subcode: notification.subcode });
        if (notification.shutdownMessage !== undefined) {
          expect(decoded).toMatchObject({ shutdownMessage: notification.shutdownMessage });
        } else {
          expect(decoded).toMatchObject({ data: notification.data });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('ROUTE-REFRESH with every subtype value', () => {
    fc.assert(
      fc.property(routeRefreshArbitrary, (message) => {
        expect(roundTrip(message, codecContext())).toEqual(message);
      }),
    );
  });

  it('KEEPALIVE', () => {
    expect(roundTrip({ type: 'keepalive' }, codecContext())).toEqual({ type: 'keepalive' });
  });
});
