// The session's own address as the RIB compares NEXT_HOPs with it: worked
// out once per address text and remembered, with the same answers as the
// parse it stands for.
import { describe, expect, it } from 'vitest';
import { ownAddress } from '../../src/daemon/local-next-hops.js';

describe('ownAddress', () => {
  it('unwraps IPv4-mapped IPv6 and writes addresses canonically, the same on every call', () => {
    for (let call = 0; call < 2; call++) {
      expect(ownAddress('::ffff:172.18.8.101')).toBe('172.18.8.101');
      expect(ownAddress('172.18.8.101')).toBe('172.18.8.101');
      expect(ownAddress('FD00:0:0::0001')).toBe('fd00::1');
      expect(ownAddress('not an address')).toBe(null);
      expect(ownAddress(null)).toBe(null);
    }
  });

  it('keeps answering right past the number of addresses it remembers', () => {
    for (let i = 0; i < 3000; i++) {
      const text = `10.${(i >> 8) & 0xff}.${i & 0xff}.1`;
      expect(ownAddress(`::ffff:${text}`)).toBe(text);
    }
  });
});
