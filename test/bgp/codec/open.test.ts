import { describe, expect, it } from 'vitest';
import {
  type BgpError,
  decodeMessage,
  encodeMessage,
  type OpenMessage,
  openCapabilities,
} from '../../../src/bgp/codec/index.js';
import { hex, message, u16, u32 } from './build.js';

function open(fields: {
  version?: number;
  asn?: number;
  hold?: number;
  id?: number;
  params: number[];
}): Uint8Array {
  return message(1, [
    fields.version ?? 4,
    ...u16(fields.asn ?? 64512),
    ...u16(fields.hold ?? 90),
    ...u32(fields.id ?? 0xac120865),
    fields.params.length,
    ...fields.params,
  ]);
}
const capabilities = (...caps: number[][]): number[] => {
  const body = caps.flat();
  return [2, body.length, ...body];
};

function decodeOk(bytes: Uint8Array): OpenMessage {
  const result = decodeMessage(bytes);
  if (!result.ok) throw new Error(result.error.reason);
  if (result.value.type !== 'open') throw new Error('not an OPEN');
  return result.value;
}
function decodeError(bytes: Uint8Array): BgpError {
  const result = decodeMessage(bytes);
  if (result.ok) throw new Error('decoded');
  return result.error;
}

describe('OPEN (RFC 4271 §4.2) and capabilities', () => {
  it('decodes every capability we know, as real speakers send them', () => {
    const bytes = open({
      params: capabilities(
        [1, 4, 0, 1, 0, 1], // MP ipv4-unicast (RFC 4760)
        [1, 4, 0, 2, 0, 1], // MP ipv6-unicast
        [2, 0], // route refresh (RFC 2918)
        [128, 0], // Cisco pre-standard route refresh
        [70, 0], // enhanced route refresh (RFC 7313)
        [65, 4, ...u32(4200000001)], // 4-octet AS (RFC 6793)
        [64, 10, 0xc0, 0x78, 0, 1, 1, 0x80, 0, 2, 1, 0], // GR: R+N, 120 s, v4 F, v6 (RFC 4724, 8538)
        [69, 8, 0, 1, 1, 3, 0, 2, 1, 1], // ADD-PATH v4 both, v6 receive (RFC 7911)
        [6, 0], // extended message (RFC 8654)
        [73, 9, 5, ...Buffer.from('node1'), 2, ...Buffer.from('lb')], // FQDN
        [71, 0], // long-lived GR: kept raw
      ),
    });
    const decoded = decodeOk(bytes);
    expect(decoded).toMatchObject({
      version: 4,
      myAsn: 64512,
      holdTimeSeconds: 90,
      bgpIdentifier: '172.18.8.101',
      extendedParameters: false,
    });
    expect(openCapabilities(decoded)).toEqual([
      { kind: 'multiprotocol', afi: 1, safi: 1 },
      { kind: 'multiprotocol', afi: 2, safi: 1 },
      { kind: 'route-refresh' },
      { kind: 'route-refresh-cisco' },
      { kind: 'enhanced-route-refresh' },
      { kind: 'four-octet-as', asn: 4200000001 },
      {
        kind: 'graceful-restart',
        restarting: true,
        notification: true,
        restartTimeSeconds: 120,
        families: [
          { afi: 1, safi: 1, forwardingPreserved: true },
          { afi: 2, safi: 1, forwardingPreserved: false },
        ],
      },
      {
        kind: 'add-path',
        families: [
          { afi: 1, safi: 1, mode: 'both' },
          { afi: 2, safi: 1, mode: 'receive' },
        ],
      },
      { kind: 'extended-message' },
      { kind: 'fqdn', hostname: 'node1', domainName: 'lb' },
      { kind: 'unknown', code: 71, data: new Uint8Array(0) },
    ]);
    expect(hex(encodeMessage(decoded))).toBe(hex(bytes));
  });

  it('keeps capabilities grouped per optional parameter as sent (GoBGP sends one per parameter)', () => {
    const bytes = open({
      params: [
        ...capabilities([1, 4, 0, 1, 0, 1]),
        ...capabilities([2, 0]),
        ...capabilities([65, 4, ...u32(64512)]),
      ],
    });
    const decoded = decodeOk(bytes);
    expect(decoded.parameters).toHaveLength(3);
    expect(hex(encodeMessage(decoded))).toBe(hex(bytes));
  });

  it('decodes the RFC 9072 extended optional parameters length', () => {
    const caps = [1, 4, 0, 1, 0, 1, 2, 0];
    const body = [
      4,
      ...u16(64512),
      ...u16(90),
      ...u32(0x01020304),
      255,
      255,
      ...u16(3 + caps.length),
      2,
      ...u16(caps.length),
      ...caps,
    ];
    const decoded = decodeOk(message(1, body));
    expect(decoded.extendedParameters).toBe(true);
    expect(openCapabilities(decoded)).toEqual([
      { kind: 'multiprotocol', afi: 1, safi: 1 },
      { kind: 'route-refresh' },
    ]);
    expect(hex(encodeMessage(decoded))).toBe(hex(message(1, body)));
  });

  it('switches to RFC 9072 encoding when capabilities exceed 255 octets', () => {
    const many = Array.from({ length: 70 }, (_, i) => ({ kind: 'multiprotocol' as const, afi: 1, safi: i }));
    const value: OpenMessage = {
      type: 'open',
      version: 4,
      myAsn: 64512,
      holdTimeSeconds: 90,
      bgpIdentifier: '10.0.0.1',
      parameters: [{ type: 'capabilities', capabilities: many }],
      extendedParameters: false,
    };
    const bytes = encodeMessage(value);
    expect(bytes[28]).toBe(255);
    expect(bytes[29]).toBe(255);
    expect(openCapabilities(decodeOk(bytes))).toHaveLength(70);
  });

  it('2/1 Unsupported Version Number carries the largest supported version (2 octets)', () => {
    const error = decodeError(open({ version: 3, params: [] }));
    expect(error).toMatchObject({ code: 2, subcode: 1, action: 'session-reset' });
    expect(hex(error.data)).toBe('0004');
  });

  it('2/6 Unacceptable Hold Time for 1 and 2 seconds; 0 and 3 are fine', () => {
    const hold = decodeError(open({ hold: 1, params: [] }));
    expect(hold).toMatchObject({ code: 2, subcode: 6 });
    expect(hex(hold.data)).toBe('0001');
    expect(decodeError(open({ hold: 2, params: [] }))).toMatchObject({ code: 2, subcode: 6 });
    expect(decodeOk(open({ hold: 0, params: [] })).holdTimeSeconds).toBe(0);
    expect(decodeOk(open({ hold: 3, params: [] })).holdTimeSeconds).toBe(3);
  });

  it('2/3 Bad BGP Identifier for 0.0.0.0 (RFC 6286 §2.2)', () => {
    expect(decodeError(open({ id: 0, params: [] }))).toMatchObject({ code: 2, subcode: 3 });
  });

  it('2/4 Unsupported Optional Parameter carries the parameter', () => {
    const error = decodeError(open({ params: [1, 2, 0xaa, 0xbb] }));
    expect(error).toMatchObject({ code: 2, subcode: 4 });
    expect(hex(error.data)).toBe('0102aabb');
  });

  it('an ADD-PATH family with a Send/Receive value other than 1-3 is ignored, not the OPEN (as FRR)', () => {
    const decoded = decodeOk(open({ params: capabilities([69, 8, 0, 1, 1, 7, 0, 2, 1, 2]) }));
    expect(openCapabilities(decoded)).toEqual([
      { kind: 'add-path', families: [{ afi: 2, safi: 1, mode: 'send' }] },
    ]);
  });

  it('2/0 for malformed parameters and capabilities', () => {
    expect(decodeError(open({ params: [2, 9, 1, 4] }))).toMatchObject({ code: 2, subcode: 0 });
    expect(decodeError(open({ params: capabilities([1, 3, 0, 1, 0]) }))).toMatchObject({
      code: 2,
      subcode: 0,
    });
    expect(decodeError(open({ params: capabilities([65, 2, 0, 1]) }))).toMatchObject({ code: 2, subcode: 0 });
    expect(decodeError(open({ params: capabilities([64, 3, 0, 0, 0]) }))).toMatchObject({
      code: 2,
      subcode: 0,
    });
    // Opt Parm Len disagrees with the message length.
    const bytes = open({ params: capabilities([2, 0]) });
    bytes[28] = 9;
    expect(decodeError(bytes)).toMatchObject({ code: 2, subcode: 0 });
  });

  it('an OPEN shorter than 29 octets is 1/2 Bad Message Length', () => {
    expect(decodeError(message(1, [4, 0, 1, 0, 90]))).toMatchObject({ code: 1, subcode: 2 });
  });
});
