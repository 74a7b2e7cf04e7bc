// Bounded fuzzing of the OpenFlow decoders: random bytes, and captured OVS
// frames with bytes flipped or cut (length field patched so the frame is
// self-consistent), into decodeMessage and the multipart body decoders.
// Nothing may throw or take long; whatever decodes must re-encode to a frame
// that decodes to the same value. Generated flow and group mods round-trip.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Action } from '../../../src/ovs/openflow/actions.js';
import { OFPG_ANY, OFPP_ANY } from '../../../src/ovs/openflow/constants.js';
import {
  decodeFlowStats,
  decodeGroupDesc,
  decodeMessage,
  encodeMessage,
  flowModDefaults,
  type OfMessage,
  scanFlowStats,
} from '../../../src/ovs/openflow/messages.js';
import { type OxmTlv, prefixMask } from '../../../src/ovs/openflow/oxm.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/ofctl.json', import.meta.url), 'utf8')) as {
  cases: { exchanges: { hex: string }[] }[];
};
const frames = fixture.cases.flatMap((c) => c.exchanges.map((e) => Buffer.from(e.hex, 'hex')));

function decodeAll(frame: Buffer): void {
  const started = performance.now();
  const result = decodeMessage(frame);
  if (result.ok) {
    const again = decodeMessage(encodeMessage(result.value));
    expect(again.ok).toBe(true);
    if (result.value.type === 'multipartReply') {
      decodeFlowStats(result.value.body);
      scanFlowStats(result.value.body);
      decodeGroupDesc(result.value.body);
    }
  } else {
    expect(typeof result.error).toBe('string');
  }
  expect(performance.now() - started).toBeLessThan(250);
}

describe('OpenFlow decoders under fuzzing', () => {
  it('random frames never throw', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 512 }),
        fc.integer({ min: 0, max: 30 }),
        (bytes, type) => {
          const frame = Buffer.from(bytes);
          frame[0] = 4;
          frame[1] = type;
          frame.writeUInt16BE(frame.length, 2);
          decodeAll(frame);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('a BUNDLE_ADD_MESSAGE whose embedded message is shorter than a header is refused (found by this fuzzer)', () => {
    const frame = Buffer.from('04040020000000074f4e4600000008fd00000000000000030400000000000007', 'hex');
    const result = decodeMessage(frame);
    expect(result.ok).toBe(false);
    decodeAll(frame);
  });

  it('captured frames with flipped bytes or cut short never throw', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...frames),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (original, flips, cut) => {
          const length = Math.max(8, original.length - (cut % Math.max(1, original.length - 7)));
          const frame = Buffer.from(original.subarray(0, length));
          for (const [at, value] of flips) if (at % frame.length >= 4) frame[at % frame.length] = value;
          frame.writeUInt16BE(frame.length, 2);
          decodeAll(frame);
          // The bodies alone, too (a dump is decoded part by part).
          if (frame.length > 16) {
            const body = frame.subarray(16);
            expect(() => decodeFlowStats(body)).not.toThrow();
            expect(() => scanFlowStats(body)).not.toThrow();
            expect(() => decodeGroupDesc(body)).not.toThrow();
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    type: fc.constant('output' as const),
    port: fc.nat(),
    maxLength: fc.integer({ min: 0, max: 0xffff }),
  }),
  fc.record({ type: fc.constant('group' as const), groupId: fc.nat() }),
  fc.constant({ type: 'decNwTtl' as const }),
  mac.map((value): Action => ({ type: 'setField', field: { kind: 'ethDst', value, mask: null } })),
  ipv4.map((value): Action => ({ type: 'setField', field: { kind: 'tunIpv4Dst', value, mask: null } })),
  ipv6.map((value): Action => ({ type: 'setField', field: { kind: 'tunIpv6Dst', value, mask: null } })),
);
const match: fc.Arbitrary<OxmTlv[]> = fc.oneof(
  fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([value, length]): OxmTlv[] => [
    { kind: 'ethType', value: 0x0800 },
    { kind: 'ipv4Dst', value, mask: length === 32 ? null : prefixMask(length, 4) },
  ]),
  fc.tuple(ipv6, fc.integer({ min: 0, max: 128 })).map(([value, length]): OxmTlv[] => [
    { kind: 'ethType', value: 0x86dd },
    { kind: 'ipv6Dst', value, mask: length === 128 ? null : prefixMask(length, 16) },
  ]),
);

describe('generated messages round-trip', () => {
  it('flow mods', () => {
    fc.assert(
      fc.property(
        fc.bigUint64Array({ minLength: 2, maxLength: 2 }),
        fc.integer({ min: 0, max: 254 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.constantFrom('add' as const, 'modifyStrict' as const, 'deleteStrict' as const),
        match,
        fc.array(action, { maxLength: 6 }),
        ([cookie = 0n, cookieMask = 0n], tableId, priority, command, fields, actions) => {
          const message: OfMessage = {
            type: 'flowMod',
            xid: 7,
            ...flowModDefaults,
            cookie,
            cookieMask,
            tableId,
            command,
            priority,
            match: { fields },
            instructions: actions.length ? [{ type: 'applyActions', actions }] : [],
          };
          const bytes = encodeMessage(message);
          const decoded = decodeMessage(bytes);
          expect(decoded.ok).toBe(true);
          if (decoded.ok) expect(encodeMessage(decoded.value).equals(bytes)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('select group mods', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.array(action, { maxLength: 4 }), { maxLength: 8 }),
        (groupId, buckets) => {
          const message: OfMessage = {
            type: 'groupMod',
            xid: 9,
            command: 'add',
            groupType: 'select',
            groupId,
            buckets: buckets.map((actions) => ({
              weight: 1,
              watchPort: OFPP_ANY,
              watchGroup: OFPG_ANY,
              actions,
            })),
          };
          const bytes = encodeMessage(message);
          const decoded = decodeMessage(bytes);
          expect(decoded.ok && decoded.value.type === 'groupMod' && decoded.value.buckets.length).toBe(
            buckets.length,
          );
          if (decoded.ok) expect(encodeMessage(decoded.value).equals(bytes)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
