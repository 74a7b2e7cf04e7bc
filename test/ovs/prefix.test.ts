// Prefix text <-> match bytes: parsing in place, priorities, and reading a
// dumped match back (only our exact shape counts as a route flow).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/ovs/openflow/buffer.js';
import { formatMatch, writeOxm } from '../../src/ovs/openflow/oxm.js';
import {
  matchOfPrefix,
  parsePrefixInto,
  prefixMatchText,
  prefixOfRawMatch,
  prefixVersion,
  priorityFor,
} from '../../src/ovs/prefix.js';

function tlvBytes(prefix: string, extra: (w: ByteWriter) => void = () => undefined): Buffer {
  const w = new ByteWriter();
  for (const tlv of matchOfPrefix(prefix).fields) writeOxm(w, tlv);
  extra(w);
  return w.toBuffer();
}

describe('parsePrefixInto', () => {
  it('parses canonical prefixes into bytes and returns the length', () => {
    const out = new Uint8Array(16);
    expect(parsePrefixInto('10.233.2.0/24', out)).toBe(24);
    expect([...out.subarray(0, 4)]).toEqual([10, 233, 2, 0]);
    expect(parsePrefixInto('0.0.0.0/0', out)).toBe(0);
    expect(parsePrefixInto('255.255.255.255/32', out)).toBe(32);
    expect(parsePrefixInto('fd00:233:2::/64', out)).toBe(64);
    expect(out[0]).toBe(0xfd);
    expect(parsePrefixInto('::/0', out)).toBe(0);
  });

  it('refuses host bits, bad lengths and bad addresses', () => {
    const out = new Uint8Array(16);
    for (const bad of [
      '10.233.2.1/24',
      '10.233.0.0/33',
      '10.233.0.0',
      '10.233.0.0/',
      '10.233.0.0/1x',
      '10.233.0/16',
      '10.233.0.0.0/16',
      '256.0.0.0/8',
      '1..2.3/8',
      '1234.0.0.0/8',
      'fd00::/129',
      'fd00::1/64',
      'fd00:::/64',
      '10.0.0.0/0008',
    ])
      expect(parsePrefixInto(bad, out), bad).toBe(-1);
  });

  it('agrees with a reference parser on random IPv4 prefixes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
        (value, length) => {
          const network = length === 0 ? 0 : (value & (0xffffffff << (32 - length))) >>> 0;
          const text = `${network >>> 24}.${(network >>> 16) & 255}.${(network >>> 8) & 255}.${network & 255}/${length}`;
          const out = new Uint8Array(16);
          expect(parsePrefixInto(text, out)).toBe(length);
          expect(Buffer.from(out.subarray(0, 4)).readUInt32BE(0)).toBe(network);
          const withHostBit = network | (length < 32 ? 1 << (31 - length) : 0);
          if (length < 32) {
            const bad = `${withHostBit >>> 24}.${(withHostBit >>> 16) & 255}.${(withHostBit >>> 8) & 255}.${withHostBit & 255}/${length}`;
            expect(parsePrefixInto(bad, out)).toBe(-1);
          }
        },
      ),
    );
  });
});

describe('priorities and text', () => {
  it('longer prefixes win: priority grows with the length', () => {
    expect(priorityFor(24)).toBe(1048);
    expect(priorityFor(32)).toBeGreaterThan(priorityFor(24));
    expect(priorityFor(128)).toBe(1152);
    expect(prefixVersion('fd00::/8')).toBe(6);
    expect(prefixVersion('10.0.0.0/8')).toBe(4);
  });

  it('prints the match as ovs-ofctl does', () => {
    for (const prefix of [
      '10.233.2.0/24',
      '10.233.5.7/32',
      '0.0.0.0/0',
      'fd00:233:2::/64',
      '::/0',
      'fd00::1/128',
    ])
      expect(prefixMatchText(prefix)).toBe(formatMatch(matchOfPrefix(prefix)));
    expect(prefixMatchText('10.233.5.7/32')).toBe('ip,nw_dst=10.233.5.7');
    expect(prefixMatchText('::/0')).toBe('ipv6');
  });
});

describe('prefixOfRawMatch', () => {
  it('reads a prefix back from match bytes (host routes unmasked, /0 without a destination)', () => {
    for (const prefix of [
      '10.233.2.0/24',
      '10.233.5.7/32',
      '0.0.0.0/0',
      'fd00:233:2::/64',
      '::/0',
      'fd00::1/128',
    ])
      expect(prefixOfRawMatch(tlvBytes(prefix))).toBe(prefix);
  });

  it('a match of another shape is not a route flow', () => {
    const withInPort = tlvBytes('10.0.0.0/8', (w) => writeOxm(w, { kind: 'inPort', value: 1 }));
    expect(prefixOfRawMatch(withInPort)).toBeNull();
    expect(prefixOfRawMatch(new Uint8Array(0))).toBeNull();
    const noncontiguous = new ByteWriter();
    writeOxm(noncontiguous, { kind: 'ethType', value: 0x0800 });
    writeOxm(noncontiguous, {
      kind: 'ipv4Dst',
      value: Uint8Array.of(10, 0, 0, 0),
      mask: Uint8Array.of(255, 0, 255, 0),
    });
    expect(prefixOfRawMatch(noncontiguous.toBuffer())).toBeNull();
    const arp = new ByteWriter();
    writeOxm(arp, { kind: 'ethType', value: 0x0806 });
    expect(prefixOfRawMatch(arp.toBuffer())).toBeNull();
    const mixed = new ByteWriter();
    writeOxm(mixed, { kind: 'ethType', value: 0x86dd });
    writeOxm(mixed, { kind: 'ipv4Dst', value: Uint8Array.of(10, 0, 0, 0), mask: null });
    expect(prefixOfRawMatch(mixed.toBuffer())).toBeNull();
    const truncated = tlvBytes('10.233.2.0/24').subarray(0, 9);
    expect(prefixOfRawMatch(truncated)).toBeNull();
  });
});
