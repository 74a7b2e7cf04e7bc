import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BgpError, MessageFramer, messageLength } from '../../../src/bgp/codec/index.js';
import { hex, message } from './build.js';

const keepalive = message(4, []);
const open = message(1, [4, 0xfc, 0x00, 0, 90, 172, 18, 8, 101, 0]);

describe('messageLength (RFC 4271 §4.1, §6.1)', () => {
  it('needs the whole 19-octet header', () => {
    expect(messageLength(keepalive.subarray(0, 18), 0)).toBeNull();
    expect(messageLength(keepalive, 0)).toBe(19);
  });

  it('a marker that is not all ones is 1/1 Connection Not Synchronized', () => {
    const bad = keepalive.slice();
    bad[3] = 0xfe;
    expect(messageLength(bad, 0)).toMatchObject({ code: 1, subcode: 1, action: 'session-reset' });
  });

  it('a length below 19 or above the maximum is 1/2 Bad Message Length with the length field as data', () => {
    const short = keepalive.slice();
    short[17] = 18;
    const error = messageLength(short, 0) as BgpError;
    expect(error).toMatchObject({ code: 1, subcode: 2 });
    expect(hex(error.data)).toBe('0012');
    const long = keepalive.slice();
    long[16] = 0x10;
    long[17] = 0x01; // 4097
    expect(messageLength(long, 0)).toMatchObject({ code: 1, subcode: 2 });
    // RFC 8654: 4097 is fine once Extended Message is negotiated.
    expect(messageLength(long, 0, 65535)).toBe(4097);
  });
});

describe('MessageFramer', () => {
  const stream = Uint8Array.from([...open, ...keepalive, ...keepalive, ...open]);

  it('cuts a stream split at every byte position into the same messages', () => {
    for (let split = 0; split <= stream.length; split++) {
      const framer = new MessageFramer();
      const first = framer.push(stream.subarray(0, split));
      const second = framer.push(stream.subarray(split));
      expect(Array.isArray(first) && Array.isArray(second)).toBe(true);
      const messages = [...(first as Uint8Array[]), ...(second as Uint8Array[])].map(hex);
      expect(messages).toEqual([hex(open), hex(keepalive), hex(keepalive), hex(open)]);
      expect(framer.bufferedLength).toBe(0);
    }
  });

  it('cuts a stream delivered in arbitrary chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const framer = new MessageFramer();
        const out: string[] = [];
        let at = 0;
        let i = 0;
        while (at < stream.length) {
          const size = sizes[i++ % sizes.length] as number;
          const result = framer.push(stream.subarray(at, at + size));
          if (!Array.isArray(result)) throw new Error(result.reason);
          out.push(...result.map(hex));
          at += size;
        }
        expect(out).toEqual([hex(open), hex(keepalive), hex(keepalive), hex(open)]);
      }),
    );
  });

  it('does not retain the caller chunk for an incomplete tail', () => {
    const framer = new MessageFramer();
    const chunk = stream.slice(0, 40);
    framer.push(chunk);
    chunk.fill(0);
    const rest = framer.push(stream.subarray(40));
    expect((rest as Uint8Array[]).map(hex)).toEqual([hex(keepalive), hex(keepalive), hex(open)]);
  });

  it('reports a broken header once and stays failed', () => {
    const framer = new MessageFramer();
    const bad = keepalive.slice();
    bad[0] = 0;
    expect(framer.push(bad)).toMatchObject({ code: 1, subcode: 1 });
    expect(framer.push(keepalive)).toMatchObject({ code: 1, subcode: 1 });
  });

  it('raises its limit for RFC 8654 extended messages', () => {
    const big = message(2, new Array<number>(5000).fill(0));
    const framer = new MessageFramer();
    expect(framer.push(big)).toMatchObject({ code: 1, subcode: 2 });
    const extended = new MessageFramer();
    extended.setMaxMessageLength(65535);
    expect((extended.push(big) as Uint8Array[]).length).toBe(1);
  });
});
