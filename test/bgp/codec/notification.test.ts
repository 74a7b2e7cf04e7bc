import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  encodeShutdownMessage,
  errorCodeName,
  errorSubcodeName,
  type NotificationMessage,
} from '../../../src/bgp/codec/index.js';
import { hex, message } from './build.js';

describe('NOTIFICATION (RFC 4271 §4.5) and Shutdown Communication (RFC 8203, RFC 9003)', () => {
  it('decodes code, subcode and data', () => {
    const result = decodeMessage(message(3, [3, 11, 0x40, 2, 0]));
    expect(result.ok && result.value).toMatchObject({ type: 'notification', code: 3, subcode: 11 });
  });

  it('decodes a Cease/Administrative Shutdown communication and re-encodes it', () => {
    const text = 'maintenance: back at 14:00 ✓';
    const data = [...encodeShutdownMessage(text)];
    const bytes = message(3, [6, 2, ...data]);
    const result = decodeMessage(bytes);
    expect(result.ok && result.value).toMatchObject({ code: 6, subcode: 2, shutdownMessage: text });
    if (result.ok) expect(hex(encodeMessage(result.value))).toBe(hex(bytes));
  });

  it('keeps a malformed communication as raw data (RFC 9003 §3: log, do nothing else)', () => {
    for (const data of [[5, 0x41], [2, 0xff, 0xfe], [0]]) {
      const result = decodeMessage(message(3, [6, 4, ...data]));
      expect(result.ok && result.value).toMatchObject({ code: 6, subcode: 4, shutdownMessage: undefined });
    }
  });

  it('cuts an over-long communication to 128 octets, or 255 when asked, at a character boundary', () => {
    expect(encodeShutdownMessage('x'.repeat(300))[0]).toBe(128);
    const data = encodeShutdownMessage('é'.repeat(200), 255);
    expect(data[0]).toBe(254);
    expect(Buffer.from(data.subarray(1)).toString('utf8')).toBe('é'.repeat(127));
  });

  it('truncates data so a NOTIFICATION never exceeds the maximum message size', () => {
    const notification: NotificationMessage = {
      type: 'notification',
      code: 3,
      subcode: 1,
      data: new Uint8Array(5000),
    };
    expect(encodeMessage(notification).length).toBe(4096);
  });

  it('names every RFC 4271/4486/7313 code and subcode', () => {
    expect(errorCodeName(6)).toBe('Cease');
    expect(errorSubcodeName(6, 2)).toBe('Administrative Shutdown');
    expect(errorSubcodeName(3, 11)).toBe('Malformed AS_PATH');
    expect(errorSubcodeName(2, 7)).toBe('Unsupported Capability');
    expect(errorSubcodeName(7, 1)).toBe('Invalid Message Length');
    expect(errorSubcodeName(5, 3)).toBe('Receive Unexpected Message in Established State');
    expect(errorSubcodeName(4, 0)).toBe('Unspecific');
    expect(errorCodeName(9)).toMatch(/Unknown/);
  });
});

describe('ROUTE-REFRESH (RFC 2918, RFC 7313) and KEEPALIVE', () => {
  it('decodes refresh, BoRR and EoRR', () => {
    for (const subtype of [0, 1, 2]) {
      const result = decodeMessage(message(5, [0, 2, subtype, 1]));
      expect(result.ok && result.value).toEqual({ type: 'routeRefresh', afi: 2, safi: 1, subtype });
    }
  });

  it('a ROUTE-REFRESH of the wrong length is 7/1 with the whole message as data', () => {
    const bytes = message(5, [0, 1, 0, 1, 0]);
    const result = decodeMessage(bytes);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatchObject({ code: 7, subcode: 1 });
      expect(hex(result.error.data)).toBe(hex(bytes));
    }
  });

  it('a KEEPALIVE with a body is 1/2 Bad Message Length', () => {
    const result = decodeMessage(message(4, [0]));
    expect(!result.ok && result.error).toMatchObject({ code: 1, subcode: 2 });
  });

  it('an undefined type is 1/3 Bad Message Type with the type as data', () => {
    const result = decodeMessage(message(6, []));
    expect(!result.ok && result.error).toMatchObject({ code: 1, subcode: 3 });
    if (!result.ok) expect(hex(result.error.data)).toBe('06');
  });

  it('a NOTIFICATION shorter than 21 octets is 1/2', () => {
    const result = decodeMessage(message(3, [6]));
    expect(!result.ok && result.error).toMatchObject({ code: 1, subcode: 2 });
  });
});
