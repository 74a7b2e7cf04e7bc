// The kernel TTL check's BPF program (RFC 5881 §5, RFC 5883 §5).
import { describe, expect, it } from 'vitest';
import { minimumTtlFor, minimumTtlProgram } from '../../src/bfd/ttl-filter.js';

describe('TTL filter', () => {
  it('single-hop accepts only 255; multihop 256 - hops', () => {
    expect(minimumTtlFor(1)).toBe(255);
    expect(minimumTtlFor(2)).toBe(254);
    expect(minimumTtlFor(255)).toBe(1);
    expect(minimumTtlFor(0)).toBe(255);
  });

  it('loads the TTL (IPv4 octet 8) or Hop Limit (IPv6 octet 7) relative to the network header', () => {
    const v4 = minimumTtlProgram(4, 255);
    const v6 = minimumTtlProgram(6, 254);
    // ldb [SKF_NET_OFF + offset]; jge #min, accept, drop
    expect(v4[0]).toEqual({ code: 0x30, jt: 0, jf: 0, k: 0xfff00008 });
    expect(v6[0]).toEqual({ code: 0x30, jt: 0, jf: 0, k: 0xfff00007 });
    expect(v4[1]).toEqual({ code: 0x35, jt: 0, jf: 1, k: 255 });
    expect(v6[1]?.k).toBe(254);
    expect(v4.slice(2)).toEqual([
      { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
      { code: 0x06, jt: 0, jf: 0, k: 0 },
    ]);
  });
});
