// An independent builder of raw messages for tests: plain byte arrays, not
// the codec's encoder, so tests do not check the codec against itself.

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function fromHex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

export function u16(value: number): number[] {
  return [(value >> 8) & 0xff, value & 0xff];
}

export function u32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/** Header (marker, length, type) + body. */
export function message(type: number, body: readonly number[]): Uint8Array {
  return Uint8Array.from([...new Array<number>(16).fill(0xff), ...u16(19 + body.length), type, ...body]);
}

/** One path attribute; the E bit and 2-octet length when `extended` or the value exceeds 255. */
export function attr(flags: number, code: number, value: readonly number[], extended = false): number[] {
  if (extended || value.length > 255) return [flags | 0x10, code, ...u16(value.length), ...value];
  return [flags & ~0x10, code, value.length, ...value];
}

export function update(parts: {
  withdrawn?: readonly number[];
  attributes?: readonly number[];
  nlri?: readonly number[];
}): Uint8Array {
  const withdrawn = parts.withdrawn ?? [];
  const attributes = parts.attributes ?? [];
  return message(2, [
    ...u16(withdrawn.length),
    ...withdrawn,
    ...u16(attributes.length),
    ...attributes,
    ...(parts.nlri ?? []),
  ]);
}

export const ORIGIN_IGP = attr(0x40, 1, [0]);
export const EMPTY_AS_PATH = attr(0x40, 2, []);
export const NEXT_HOP = attr(0x40, 3, [192, 0, 2, 1]);
export const LOCAL_PREF_100 = attr(0x40, 5, u32(100));
/** ORIGIN, empty AS_PATH, NEXT_HOP: the mandatory set for IPv4 NLRI. */
export const MANDATORY = [...ORIGIN_IGP, ...EMPTY_AS_PATH, ...NEXT_HOP];
/** 10.233.1.0/24 as NLRI. */
export const NLRI_10_233_1 = [24, 10, 233, 1];
