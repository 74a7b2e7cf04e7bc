// The packer's size budget: a set that cannot be carried to a peer is an
// error value (never a throw), and what is packed always fits the peer's
// maximum message and decodes back to the same prefixes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  codecContext,
  decodeMessage,
  encodeAttributesOnce,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageFramer,
  type PathAttributes,
  packAnnouncements,
  prefixesFromStrings,
  prefixToString,
} from '../../../src/bgp/codec/index.js';

/** Attributes whose encoding is about `octets` long: ORIGIN, AS_PATH, NEXT_HOP and a COMMUNITIES list. */
function attributesOf(communityCount: number): PathAttributes {
  return {
    origin: 0,
    asPath: [{ type: 2, asns: [65001] }],
    nextHop: '192.0.2.1',
    communities: Array.from({ length: communityCount }, (_, i) => (65001 * 65536 + i) >>> 0),
  };
}

function decodeAll(bytes: Uint8Array, maxMessageLength: number): { prefixes: string[]; lengths: number[] } {
  const framer = new MessageFramer(maxMessageLength);
  const messages = framer.push(bytes);
  if (!Array.isArray(messages)) throw new Error(messages.reason);
  const prefixes: string[] = [];
  const lengths: number[] = [];
  for (const message of messages) {
    lengths.push(message.length);
    const decoded = decodeMessage(message, codecContext({ maxMessageLength }));
    if (!decoded.ok || decoded.value.type !== 'update') throw new Error('not an UPDATE');
    const update = decoded.value;
    for (let i = 0; i < update.nlri.count; i++) prefixes.push(prefixToString(update.nlri, i));
    const mp = update.attributes.mpReach?.prefixes;
    for (let i = 0; i < (mp?.count ?? 0); i++) prefixes.push(prefixToString(mp as NonNullable<typeof mp>, i));
  }
  return { prefixes, lengths };
}

const v4 = prefixesFromStrings(1, ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/32']);

describe('packAnnouncements: the size budget', () => {
  it('a set legal with Extended Message is refused for a 4096-octet peer, with the sizes in the reason', () => {
    // 1,100 communities: 4,400 octets of COMMUNITIES alone.
    const attributes = attributesOf(1100);
    const standard = packAnnouncements(v4, attributes, codecContext());
    expect(standard.ok).toBe(false);
    if (standard.ok) return;
    expect(standard.error.kind).toBe('message-too-long');
    expect(standard.error.reason).toMatch(
      /over the peer's maximum of 4096 \(no Extended Message, RFC 8654\)/,
    );

    const extended = packAnnouncements(
      v4,
      attributes,
      codecContext({ maxMessageLength: MAX_EXTENDED_MESSAGE_LENGTH }),
    );
    expect(extended.ok).toBe(true);
    if (!extended.ok) return;
    const back = decodeAll(extended.value.bytes, MAX_EXTENDED_MESSAGE_LENGTH);
    expect(back.prefixes).toEqual(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/32']);
  });

  it('the boundary is exact: a set that leaves room for a /24 but not a /32 refuses the /32', () => {
    const context = codecContext();
    // An unknown optional transitive attribute sizes the set to the octet.
    const padded = (octets: number): PathAttributes => ({
      ...attributesOf(0),
      unknown: [{ code: 99, flags: 0xc0, data: new Uint8Array(octets) }],
    });
    let octets = 3900;
    const fits = (prefix: string) =>
      packAnnouncements(prefixesFromStrings(1, [prefix]), padded(octets), context).ok;
    while (fits('10.0.2.0/32')) octets++;
    // The first size that refuses a /32 (5 octets of NLRI) still carries a /24 (4).
    expect(fits('10.0.0.0/24')).toBe(true);
    const both = packAnnouncements(
      prefixesFromStrings(1, ['10.0.0.0/24', '10.0.2.0/32']),
      padded(octets),
      context,
    );
    expect(both.ok).toBe(false);
    // One octet less, the /32 fits in a message of exactly 4096 octets.
    octets--;
    const packed = packAnnouncements(prefixesFromStrings(1, ['10.0.2.0/32']), padded(octets), context);
    expect(packed.ok).toBe(true);
    if (packed.ok) expect(packed.value.bytes.length).toBe(MAX_MESSAGE_LENGTH);
  });

  it('an attribute over its 2-octet length is an error value, not a corrupt length field', () => {
    // 16,384 communities: 65,536 octets, one more than the length field holds.
    const encoded = encodeAttributesOnce(attributesOf(16_384), codecContext());
    expect(encoded.ok).toBe(false);
    if (!encoded.ok)
      expect(encoded.error).toMatchObject({ kind: 'attribute-too-long', code: 8, octets: 65_536 });
    expect(encodeAttributesOnce(attributesOf(16_383), codecContext()).ok).toBe(true);
  });

  it('an IPv6 next hop that is not an address is an error value', () => {
    const v6 = prefixesFromStrings(2, ['2001:db8::/48']);
    const result = packAnnouncements(v6, { origin: 0, asPath: [] }, codecContext(), ['not-an-address']);
    expect(result).toMatchObject({ ok: false, error: { kind: 'bad-next-hop' } });
  });

  it('whatever the set size and prefixes: an error, or messages within the maximum that decode to the prefixes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1100 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 8, max: 32 })), {
          minLength: 1,
          maxLength: 400,
        }),
        fc.constantFrom(MAX_MESSAGE_LENGTH, MAX_EXTENDED_MESSAGE_LENGTH),
        fc.boolean(),
        (communities, raw, maxMessageLength, ipv6) => {
          const texts = [
            ...new Set(
              raw.map(([n, length]) =>
                ipv6
                  ? `2001:db8:${(n >> 8).toString(16)}::/${length + 16}`
                  : `${n >> 16}.${(n >> 8) & 0xff}.${n & 0xff}.0/${length}`,
              ),
            ),
          ];
          const prefixes = prefixesFromStrings(ipv6 ? 2 : 1, texts);
          const canonical = texts.map((_, i) => prefixToString(prefixes, i));
          const context = codecContext({ maxMessageLength });
          const result = packAnnouncements(
            prefixes,
            attributesOf(communities),
            context,
            ipv6 ? ['2001:db8::1', 'fe80::1'] : [],
          );
          if (!result.ok) {
            expect(result.error.kind).toBe('message-too-long');
            return;
          }
          const back = decodeAll(result.value.bytes, maxMessageLength);
          expect(back.lengths.every((length) => length <= maxMessageLength)).toBe(true);
          expect(back.prefixes).toEqual(canonical);
        },
      ),
      { numRuns: 150 },
    );
  });
});
