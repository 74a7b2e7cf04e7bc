// Attribute sets keep their key's bytes, not decoded objects: what a set's
// attributes decode to on demand must be exactly what was interned, for
// every key kind (wire key on a 4- or 2-octet session, wire key plus MP
// next hops, our own canonical encoding).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CodecContext,
  codecContext,
  decodeMessage,
  encodeMessage,
  type PathAttributes,
  prefixesFromStrings,
  type UpdateMessage,
} from '../../src/bgp/codec/index.js';
import { validateUpdate } from '../../src/bgp/validate.js';
import { AttributeStore, attributesFromKey } from '../../src/rib/attribute-store.js';
import { updateArbitrary } from '../bgp/codec/arbitraries.js';

/** What the store keeps of attributes: no NLRI-carrying attributes, no wire layout. */
function stored(attributes: PathAttributes): PathAttributes {
  const { mpReach: _reach, mpUnreach: _unreach, layout: _layout, ...rest } = attributes;
  return Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
}

/** Opaque attribute bytes as plain arrays (decoded ones are Buffers, built ones Uint8Arrays). */
function comparable(attributes: PathAttributes): unknown {
  const kept = stored(attributes);
  return kept.unknown === undefined
    ? kept
    : { ...kept, unknown: kept.unknown.map((a) => ({ ...a, data: Array.from(a.data) })) };
}

function received(update: UpdateMessage, context: CodecContext) {
  const result = decodeMessage(encodeMessage(update, context), context);
  if (!result.ok || result.value.type !== 'update') return null;
  const validated = validateUpdate(result.value, result.errors ?? [], {
    internal: context.peerType === 'ibgp',
    peerAsn: 65001,
    enforceFirstAs: false,
    asn4: context.asn4,
    localAddress: null,
  });
  return { update: result.value, attributes: validated.attributes };
}

describe('attribute sets decoded from their keys', () => {
  for (const asn4 of [true, false]) {
    it(`a wire key from a ${asn4 ? '4' : '2'}-octet session decodes to the interned attributes`, () => {
      const context = codecContext({ asn4, peerType: 'ibgp', maxMessageLength: 65535 });
      fc.assert(
        fc.property(updateArbitrary(context), (update) => {
          const got = received(update, context);
          if (got === null || got.update.attributesKey === undefined || got.update.attributesKey.length === 0)
            return;
          const store = new AttributeStore();
          const mpNextHops = got.update.attributes.mpReach?.nextHops;
          const nextHop = mpNextHops?.[0] ?? got.update.attributes.nextHop ?? null;
          const set = store.intern(
            got.attributes,
            nextHop,
            mpNextHops?.[1] ?? null,
            got.update.attributesKey,
          );
          expect(comparable(attributesFromKey(store.keyOf(set.id)))).toEqual(comparable(got.attributes));
        }),
        { numRuns: 300 },
      );
    });
  }

  it('a canonical key (attributes made here: origination, policy, export) decodes to them', () => {
    const context = codecContext({ asn4: true, maxMessageLength: 65535 });
    fc.assert(
      fc.property(updateArbitrary(context), (update) => {
        const store = new AttributeStore();
        const set = store.intern(update.attributes, '192.0.2.9', null);
        expect(String.fromCharCode(store.keyOf(set.id)[0] as number)).toBe('c');
        expect(comparable(attributesFromKey(store.keyOf(set.id)))).toEqual(comparable(update.attributes));
      }),
      { numRuns: 300 },
    );
  });

  it('reads go through a bounded cache: a set read again is not decoded again, a forgotten one is', () => {
    const store = new AttributeStore();
    const attributes: PathAttributes = { origin: 0, asPath: [{ type: 2, asns: [65001] }], communities: [1] };
    // Made here (no wire key, as export makes them): kept decoded for its next reader.
    const set = store.intern(attributes, '192.0.2.1', null);
    expect(set.attributes.communities).toEqual([1]);
    expect(store.decodes).toBe(0);
    // Push it out of the cache with other sets.
    for (let i = 0; i < 5000; i++) store.intern({ ...attributes, med: i }, '192.0.2.1', null);
    expect(set.attributes.communities).toEqual([1]);
    expect(store.decodes).toBe(1);
    expect(set.attributes.asPath).toEqual([{ type: 2, asns: [65001] }]);
    expect(store.decodes).toBe(1);
  });

  it('does not keep a received set decoded: its first reader decodes it from its key', () => {
    const store = new AttributeStore();
    const context = codecContext({ asn4: true, peerType: 'ibgp' });
    const got = received(
      {
        type: 'update',
        withdrawn: prefixesFromStrings(1, []),
        attributes: { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: '192.0.2.1', med: 5 },
        nlri: prefixesFromStrings(1, ['10.233.1.0/24']),
      },
      context,
    );
    if (got === null) throw new Error('the UPDATE did not decode');
    const set = store.intern(got.attributes, '192.0.2.1', null, got.update.attributesKey);
    expect(store.decodes).toBe(0);
    expect(set.attributes.med).toBe(5);
    expect(store.decodes).toBe(1);
    expect(set.attributes.asPath).toEqual([{ type: 2, asns: [65001] }]);
    expect(store.decodes).toBe(1);
  });
});
