// Session-context checks of an UPDATE (RFC 4271 §6.3, RFC 7606 §7.2/§7.3)
// and RFC 6793 AS4 handling, one row per rule.
import { describe, expect, it } from 'vitest';
import {
  type AsPathSegment,
  emptyPrefixes,
  type PathAttributes,
  prefixesFromStrings,
  type UpdateMessage,
} from '../../src/bgp/codec/index.js';
import { type UpdateSessionContext, validateUpdate } from '../../src/bgp/validate.js';

const ebgp: UpdateSessionContext = {
  internal: false,
  peerAsn: 65001,
  enforceFirstAs: true,
  asn4: true,
  localAddress: '192.0.2.1',
};
const ibgp: UpdateSessionContext = { ...ebgp, internal: true, peerAsn: 64512 };

function update(attributes: PathAttributes, announces = true): UpdateMessage {
  return {
    type: 'update',
    withdrawn: announces ? emptyPrefixes(1) : prefixesFromStrings(1, ['10.0.0.0/24']),
    attributes,
    nlri: announces ? prefixesFromStrings(1, ['10.1.0.0/24']) : emptyPrefixes(1),
  };
}

const path = (...segments: [number, number[]][]): AsPathSegment[] =>
  segments.map(([type, asns]) => ({ type: type as AsPathSegment['type'], asns }));

describe('validateUpdate: session checks', () => {
  const rows: {
    name: string;
    context: UpdateSessionContext;
    attributes: PathAttributes;
    announces?: boolean;
    error: RegExp | null;
  }[] = [
    {
      name: 'eBGP, leftmost AS is the neighbor',
      context: ebgp,
      attributes: { asPath: path([2, [65001, 65100]]), nextHop: '192.0.2.2' },
      error: null,
    },
    {
      name: 'eBGP, leftmost AS is another AS (RFC 4271 §6.3)',
      context: ebgp,
      attributes: { asPath: path([2, [65002]]), nextHop: '192.0.2.2' },
      error: /leftmost AS 65002 is not the neighbor's AS 65001/,
    },
    {
      name: 'eBGP, empty AS_PATH',
      context: ebgp,
      attributes: { asPath: [], nextHop: '192.0.2.2' },
      error: /leftmost AS none/,
    },
    {
      name: 'eBGP, path starting with an AS_SET',
      context: ebgp,
      attributes: { asPath: path([1, [65001]]), nextHop: '192.0.2.2' },
      error: /leftmost AS none/,
    },
    {
      name: 'eBGP, first-AS check off',
      context: { ...ebgp, enforceFirstAs: false },
      attributes: { asPath: path([2, [65002]]), nextHop: '192.0.2.2' },
      error: null,
    },
    {
      name: 'eBGP, AS_TRANS for a 4-octet neighbor AS (RFC 6793 §4.2.2)',
      context: { ...ebgp, peerAsn: 4_200_000_001 },
      attributes: { asPath: path([2, [23456]]), nextHop: '192.0.2.2' },
      error: null,
    },
    {
      name: 'eBGP, AS_TRANS for a 2-octet neighbor AS',
      context: ebgp,
      attributes: { asPath: path([2, [23456]]), nextHop: '192.0.2.2' },
      error: /leftmost AS 23456/,
    },
    {
      name: 'eBGP, confederation sequence (RFC 7606 §7.2)',
      context: ebgp,
      attributes: { asPath: path([3, [65001]], [2, [65001]]), nextHop: '192.0.2.2' },
      error: /confederation segments/,
    },
    {
      name: 'eBGP, confederation set',
      context: ebgp,
      attributes: { asPath: path([2, [65001]], [4, [65010]]), nextHop: '192.0.2.2' },
      error: /confederation segments/,
    },
    {
      name: 'iBGP, confederation segments are not ours to judge',
      context: ibgp,
      attributes: { asPath: path([3, [65001]]), nextHop: '192.0.2.2' },
      error: null,
    },
    {
      name: 'iBGP, any leftmost AS',
      context: ibgp,
      attributes: { asPath: path([2, [65002]]), nextHop: '192.0.2.2' },
      error: null,
    },
    {
      name: 'NEXT_HOP is our own address (RFC 7606 §7.3)',
      context: ibgp,
      attributes: { asPath: [], nextHop: '192.0.2.1' },
      error: /NEXT_HOP 192\.0\.2\.1 is this speaker's own address/,
    },
    {
      name: 'own address unknown: no next-hop check',
      context: { ...ibgp, localAddress: null },
      attributes: { asPath: [], nextHop: '192.0.2.1' },
      error: null,
    },
    {
      name: 'a pure withdrawal is not checked',
      context: ebgp,
      attributes: {},
      announces: false,
      error: null,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const result = validateUpdate(update(row.attributes, row.announces ?? true), [], row.context);
      if (row.error === null) {
        expect(result.errors).toEqual([]);
        expect(result.treatAsWithdraw).toBe(false);
      } else {
        expect(result.errors).toHaveLength(1);
        expect(result.errors[0]?.reason).toMatch(row.error);
        expect(result.errors[0]).toMatchObject({ code: 3, action: 'treat-as-withdraw' });
        expect(result.treatAsWithdraw).toBe(true);
      }
    });
  }

  it('keeps the decoder errors first; an attribute-discard alone is not a withdrawal', () => {
    const discard = {
      code: 3,
      subcode: 9,
      data: new Uint8Array(0),
      action: 'attribute-discard' as const,
      reason: 'x',
    };
    const kept = validateUpdate(
      update({ asPath: path([2, [65001]]), nextHop: '192.0.2.2' }),
      [discard],
      ebgp,
    );
    expect(kept.errors).toEqual([discard]);
    expect(kept.treatAsWithdraw).toBe(false);
    const both = validateUpdate(
      update({ asPath: path([2, [65002]]), nextHop: '192.0.2.2' }),
      [discard],
      ebgp,
    );
    expect(both.errors.map((e) => e.action)).toEqual(['attribute-discard', 'treat-as-withdraw']);
    expect(both.treatAsWithdraw).toBe(true);
  });
});

describe('validateUpdate: AS4 (RFC 6793)', () => {
  it('from a 4-octet speaker, AS4_PATH and AS4_AGGREGATOR are ignored (§4.1)', () => {
    const result = validateUpdate(
      update({
        asPath: path([2, [65001, 4_200_000_001]]),
        as4Path: path([2, [1, 2]]),
        as4Aggregator: { asn: 7, address: '192.0.2.7' },
        nextHop: '192.0.2.2',
      }),
      [],
      ebgp,
    );
    expect(result.attributes.asPath).toEqual(path([2, [65001, 4_200_000_001]]));
    expect(result.attributes.as4Path).toBeUndefined();
    expect(result.attributes.as4Aggregator).toBeUndefined();
  });

  it('from a 2-octet speaker, the real path and aggregator are rebuilt (§4.2.3)', () => {
    const result = validateUpdate(
      update({
        asPath: path([2, [65001, 23456, 65003]]),
        as4Path: path([2, [4_200_000_001, 65003]]),
        aggregator: { asn: 23456, address: '192.0.2.7' },
        as4Aggregator: { asn: 4_200_000_007, address: '192.0.2.7' },
        nextHop: '192.0.2.2',
      }),
      [],
      { ...ebgp, asn4: false },
    );
    expect(result.attributes.asPath).toEqual(path([2, [65001, 4_200_000_001, 65003]]));
    expect(result.attributes.aggregator).toEqual({ asn: 4_200_000_007, address: '192.0.2.7' });
    expect(result.attributes.as4Path).toBeUndefined();
  });

  it('from a 2-octet speaker, an AGGREGATOR that is not AS_TRANS stays', () => {
    const result = validateUpdate(
      update({
        asPath: path([2, [65001]]),
        aggregator: { asn: 65001, address: '192.0.2.7' },
        as4Aggregator: { asn: 4_200_000_007, address: '192.0.2.7' },
        nextHop: '192.0.2.2',
      }),
      [],
      { ...ebgp, asn4: false },
    );
    expect(result.attributes.aggregator).toEqual({ asn: 65001, address: '192.0.2.7' });
  });
});
