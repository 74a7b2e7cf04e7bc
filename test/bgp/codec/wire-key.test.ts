import { describe, expect, it } from 'vitest';
import { codecContext, decodeMessage, type UpdateMessage } from '../../../src/bgp/codec/index.js';
import { attr, u16, u32, update } from './build.js';

const ORIGIN = attr(0x40, 1, [0]);
const asPath4 = (...asns: number[]) => attr(0x40, 2, [2, asns.length, ...asns.flatMap(u32)]);
const NEXT_HOP = attr(0x40, 3, [192, 0, 2, 1]);
const MED = (value: number) => attr(0x80, 4, u32(value));
const mpReachV6 = (prefixByte: number) =>
  attr(0x90, 14, [
    ...u16(2),
    1,
    16,
    ...new Array<number>(15).fill(0),
    1,
    0,
    64,
    0x20,
    0x01,
    0x0d,
    0xb8,
    0,
    prefixByte,
    0,
    0,
  ]);

function decoded(bytes: Uint8Array, context = codecContext({ peerType: 'ibgp' })): UpdateMessage {
  const result = decodeMessage(bytes, context);
  if (!result.ok || result.value.type !== 'update') throw new Error('not a decodable UPDATE');
  return result.value;
}

/** The key as text, to compare by value (and read its tag). */
function keyText(message: { readonly attributesKey?: Uint8Array }): string | undefined {
  return message.attributesKey === undefined
    ? undefined
    : Buffer.from(message.attributesKey).toString('latin1');
}

describe('UPDATE wire key (interning without re-encoding)', () => {
  it('is equal for equal attribute bytes whatever the NLRI', () => {
    const a = decoded(
      update({ attributes: [...ORIGIN, ...asPath4(65001), ...NEXT_HOP], nlri: [24, 10, 0, 1] }),
    );
    const b = decoded(
      update({ attributes: [...ORIGIN, ...asPath4(65001), ...NEXT_HOP], nlri: [24, 10, 0, 2, 16, 10, 9] }),
    );
    expect(keyText(a)).toBeDefined();
    expect(keyText(a)).toBe(keyText(b));
  });

  it('differs when any attribute differs', () => {
    const base = [...ORIGIN, ...asPath4(65001), ...NEXT_HOP];
    const a = decoded(update({ attributes: [...base, ...MED(1)], nlri: [24, 10, 0, 1] }));
    const b = decoded(update({ attributes: [...base, ...MED(2)], nlri: [24, 10, 0, 1] }));
    const c = decoded(
      update({ attributes: [...ORIGIN, ...asPath4(65002), ...NEXT_HOP, ...MED(1)], nlri: [24, 10, 0, 1] }),
    );
    expect(new Set([keyText(a), keyText(b), keyText(c)]).size).toBe(3);
  });

  it('leaves MP_REACH_NLRI out: IPv6 UPDATEs with the same attributes and different prefixes share it', () => {
    const rest = [...ORIGIN, ...asPath4(65001)];
    const a = decoded(update({ attributes: [...mpReachV6(1), ...rest] }));
    const b = decoded(update({ attributes: [...mpReachV6(2), ...rest] }));
    const c = decoded(update({ attributes: [...rest, ...mpReachV6(3)] }));
    expect(a.attributes.mpReach?.prefixes?.count).toBe(1);
    expect(keyText(a)).toBe(keyText(b));
    // Same attributes around MP_REACH in another place: the same bytes remain.
    expect(keyText(c)).toBe(keyText(a));
  });

  it('is tagged with the context the attributes were decoded in (AS number size, peer type)', () => {
    const bytes = update({ attributes: [...ORIGIN, ...asPath4(65001), ...NEXT_HOP], nlri: [24, 10, 0, 1] });
    const keys = [
      keyText(decoded(bytes, codecContext({ asn4: true, peerType: 'ibgp' }))),
      keyText(decoded(bytes, codecContext({ asn4: true, peerType: 'ebgp' }))),
      // The same octets as 2-octet AS numbers are a different AS_PATH.
      keyText(decoded(bytes, codecContext({ asn4: false, peerType: 'ibgp' }))),
    ];
    expect(new Set(keys).size).toBe(3);
    expect(keys.map((key) => key?.slice(0, 2))).toEqual(['4i', '4e', '2i']);
  });
});
