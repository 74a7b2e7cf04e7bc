import fc from 'fast-check';
import { Address6 } from 'ip-address';
import { describe, expect, it } from 'vitest';
import { canonicalIp, formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../../src/net/ip.js';

describe('IPv4 text', () => {
  it('parses dotted quads and rejects everything else', () => {
    expect(parseIpv4('172.18.8.101')).toBe(0xac120865);
    expect(parseIpv4('0.0.0.0')).toBe(0);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    for (const bad of [
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '01.2.3.4',
      ' 1.2.3.4',
      '1.2.3.4/8',
      'a.b.c.d',
      '',
    ]) {
      expect(parseIpv4(bad)).toBeNull();
    }
  });

  it('round-trips every value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (value) => parseIpv4(formatIpv4(value)) === value),
    );
  });
});

describe('IPv6 text (RFC 4291 §2.2, RFC 5952)', () => {
  it('formats canonically, as ip-address does', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 8 }),
        (bytes, zeros) => {
          bytes.fill(0, 0, zeros * 2); // make zero runs likely
          const text = formatIpv6(bytes);
          const reference = Address6.fromByteArray([...bytes]);
          const mapped =
            bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
          if (!mapped) expect(text).toBe(reference.correctForm());
          expect(parseIpv6(text)).toEqual(bytes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('parses the forms people write', () => {
    expect(canonicalIp('FD00:0233:0001:0000:0000:0000:0000:0001')).toBe('fd00:233:1::1');
    expect(canonicalIp('::')).toBe('::');
    expect(canonicalIp('::1')).toBe('::1');
    expect(canonicalIp('fe80::1')).toBe('fe80::1');
    expect(canonicalIp('1::')).toBe('1::');
    expect(canonicalIp('::ffff:10.1.2.3')).toBe('::ffff:10.1.2.3');
    expect(canonicalIp('64:ff9b::192.0.2.1')).toBe('64:ff9b::c000:201');
    expect(canonicalIp('1:2:3:4:5:6:7:8')).toBe('1:2:3:4:5:6:7:8');
    expect(canonicalIp('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
  });

  it('rejects malformed text', () => {
    for (const bad of [
      ':::',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      '12345::',
      'g::1',
      '1:2:3:4:5:6:7',
      ':1:2:3:4:5:6:7',
      '::1.2.3',
      'fe80::1%eth0',
      '',
    ]) {
      expect(parseIpv6(bad)).toBeNull();
    }
  });
});
