// The BFD control packet codec: round trips over random valid packets, a
// capture from FRR bfdd, and every §6.8.6 check rejecting with its reason.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BfdState, bfdStates } from '../../src/bfd/iana.js';
import {
  type ControlPacket,
  decodeControlPacket,
  encodeControlPacket,
  type PacketErrorReason,
} from '../../src/bfd/packet.js';

const uint32 = fc.integer({ min: 0, max: 0xffffffff });

/** Packets that pass every check of §6.8.6 (no A, no M, discriminators as required). */
const validPacket: fc.Arbitrary<ControlPacket> = fc
  .record({
    diagnostic: fc.integer({ min: 0, max: 31 }),
    state: fc.constantFrom<BfdState>(...bfdStates),
    poll: fc.boolean(),
    final: fc.boolean(),
    controlPlaneIndependent: fc.boolean(),
    demand: fc.boolean(),
    detectMult: fc.integer({ min: 1, max: 255 }),
    myDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
    yourDiscriminator: uint32,
    desiredMinTxUs: uint32,
    requiredMinRxUs: uint32,
    requiredMinEchoRxUs: uint32,
  })
  .map((p) => ({
    ...p,
    version: 1,
    authenticated: false,
    multipoint: false,
    // Your Discriminator may be zero only in Down and AdminDown.
    yourDiscriminator:
      p.yourDiscriminator === 0 && (p.state === 'init' || p.state === 'up') ? 1 : p.yourDiscriminator,
  }));

// Captured from FRR 8.4.4 bfdd (lab.sh up --bfd --node2 frr, tshark on node1's
// eth1, udp.payload of a packet from 172.18.8.102 port 49152, TTL 255): Up,
// 100 ms/100 ms x3, C clear, Required Min Echo RX 50 ms.
const FRR_UP_HEX = '20c0031833e704dbdae24a06000186a0000186a00000c350';

const base: ControlPacket = {
  version: 1,
  diagnostic: 0,
  state: 'up',
  poll: false,
  final: false,
  controlPlaneIndependent: false,
  authenticated: false,
  demand: false,
  multipoint: false,
  detectMult: 3,
  myDiscriminator: 7,
  yourDiscriminator: 9,
  desiredMinTxUs: 300_000,
  requiredMinRxUs: 300_000,
  requiredMinEchoRxUs: 0,
};

function bytesOf(packet: ControlPacket): Uint8Array {
  return encodeControlPacket(packet);
}

function rejected(bytes: Uint8Array): PacketErrorReason | 'accepted' {
  const result = decodeControlPacket(bytes);
  return result.ok ? 'accepted' : result.error.reason;
}

describe('control packet codec', () => {
  it('round-trips every valid packet and re-encodes to the same octets', () => {
    fc.assert(
      fc.property(validPacket, (packet) => {
        const bytes = encodeControlPacket(packet);
        expect(bytes.length).toBe(24);
        const decoded = decodeControlPacket(bytes);
        expect(decoded).toEqual({ ok: true, value: packet });
        if (decoded.ok) expect(encodeControlPacket(decoded.value)).toEqual(bytes);
      }),
    );
  });

  it('decodes at an offset inside a larger buffer', () => {
    const outer = new Uint8Array(40);
    outer.set(bytesOf(base), 8);
    expect(decodeControlPacket(outer.subarray(8, 32))).toEqual({ ok: true, value: base });
  });

  it('decodes a packet captured from FRR bfdd, and re-encodes it to the same octets', () => {
    const bytes = Buffer.from(FRR_UP_HEX, 'hex');
    const result = decodeControlPacket(bytes);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({
      version: 1,
      diagnostic: 0,
      state: 'up',
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      detectMult: 3,
      myDiscriminator: 0x33e704db,
      yourDiscriminator: 0xdae24a06,
      desiredMinTxUs: 100_000,
      requiredMinRxUs: 100_000,
      requiredMinEchoRxUs: 50_000,
    });
    expect(Buffer.from(encodeControlPacket(result.value)).toString('hex')).toBe(FRR_UP_HEX);
  });

  it('accepts a Length shorter than the datagram (trailing octets are not the packet)', () => {
    const bytes = new Uint8Array(30);
    bytes.set(bytesOf(base));
    expect(rejected(bytes)).toBe('accepted');
  });

  it('never throws on random octets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(typeof decodeControlPacket(bytes).ok).toBe('boolean');
      }),
    );
  });
});

describe('RFC 5880 §6.8.6 reception checks', () => {
  const mutate = (edit: (bytes: Uint8Array) => void, packet: ControlPacket = base): Uint8Array => {
    const bytes = bytesOf(packet);
    edit(bytes);
    return bytes;
  };

  const cases: readonly { name: string; bytes: Uint8Array; reason: PacketErrorReason }[] = [
    { name: 'fewer than 24 octets', bytes: bytesOf(base).subarray(0, 23), reason: 'truncated' },
    {
      name: 'version 0',
      bytes: mutate((b) => {
        b[0] = (b[0] as number) & 0x1f;
      }),
      reason: 'bad-version',
    },
    {
      name: 'version 2',
      bytes: mutate((b) => {
        b[0] = 0x40 | ((b[0] as number) & 0x1f);
      }),
      reason: 'bad-version',
    },
    {
      name: 'Length 23',
      bytes: mutate((b) => {
        b[3] = 23;
      }),
      reason: 'length-too-small',
    },
    {
      name: 'Length 24 with the A bit (26 needed)',
      bytes: mutate((b) => {
        b[1] = (b[1] as number) | 0x04;
      }),
      reason: 'length-too-small',
    },
    {
      name: 'Length beyond the datagram',
      bytes: mutate((b) => {
        b[3] = 25;
      }),
      reason: 'length-exceeds-datagram',
    },
    { name: 'Detect Mult 0', bytes: bytesOf({ ...base, detectMult: 0 }), reason: 'zero-detect-mult' },
    { name: 'Multipoint bit', bytes: bytesOf({ ...base, multipoint: true }), reason: 'multipoint-set' },
    {
      name: 'My Discriminator 0',
      bytes: bytesOf({ ...base, myDiscriminator: 0 }),
      reason: 'zero-my-discriminator',
    },
    {
      name: 'Your Discriminator 0 in Up',
      bytes: bytesOf({ ...base, yourDiscriminator: 0 }),
      reason: 'zero-your-discriminator',
    },
    {
      name: 'Your Discriminator 0 in Init',
      bytes: bytesOf({ ...base, state: 'init', yourDiscriminator: 0 }),
      reason: 'zero-your-discriminator',
    },
  ];

  for (const c of cases) {
    it(`rejects ${c.name}: ${c.reason}`, () => {
      expect(rejected(c.bytes)).toBe(c.reason);
    });
  }

  it('rejects an authenticated packet (no authentication configured)', () => {
    const bytes = new Uint8Array(28);
    bytes.set(bytesOf({ ...base, authenticated: true }));
    bytes[3] = 28;
    bytes.set([1, 4, 1, 0x61], 24); // Simple Password, length 4, key id 1, "a"
    expect(rejected(bytes)).toBe('authentication-unsupported');
  });

  it('accepts Your Discriminator 0 in Down and AdminDown', () => {
    expect(rejected(bytesOf({ ...base, state: 'down', yourDiscriminator: 0 }))).toBe('accepted');
    expect(rejected(bytesOf({ ...base, state: 'adminDown', yourDiscriminator: 0 }))).toBe('accepted');
  });

  it('gives each reason a one-line detail', () => {
    const result = decodeControlPacket(bytesOf({ ...base, detectMult: 0 }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.detail).toBe('Detect Mult is zero');
  });
});
