// IP addresses in the forms the hot paths use: IPv4 as an unsigned 32-bit
// number, IPv6 as 16 bytes or four unsigned 32-bit words (network order).
// Text forms follow RFC 5952 (lower case, longest zero run compressed).
// Parsers return null on bad input; they never throw.

const IPV4_PATTERN = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** "10.233.1.0" -> 0x0ae90100; null when not a dotted quad. */
export function parseIpv4(text: string): number | null {
  if (!IPV4_PATTERN.test(text)) return null;
  const parts = text.split('.');
  return (
    ((Number(parts[0]) << 24) | (Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0
  );
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** Parses any RFC 4291 §2.2 text form (incl. "::" and an embedded dotted quad); null when invalid. */
export function parseIpv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45) return null;
  let body = text;
  let embedded: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (lastColon < 0) return null;
  const lastPart = body.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    // RFC 4291 §2.2 form 3: the low 32 bits as a dotted quad.
    const v4 = parseIpv4(lastPart);
    if (v4 === null) return null;
    embedded = [v4 >>> 16, v4 & 0xffff];
    body = body.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const doubleColon = body.indexOf('::');
  if (doubleColon !== body.lastIndexOf('::')) return null;
  const split = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = doubleColon >= 0 ? split(body.slice(0, doubleColon)) : split(body);
  const tail = doubleColon >= 0 ? split(body.slice(doubleColon + 2)) : [];
  const explicit = head.length + tail.length + embedded.length;
  if (doubleColon >= 0 ? explicit > 7 : explicit !== 8) return null;
  const groups: number[] = [];
  const push = (parts: string[]): boolean => {
    for (const part of parts) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return false;
      groups.push(Number.parseInt(part, 16));
    }
    return true;
  };
  if (!push(head)) return null;
  for (let i = explicit; i < 8; i++) groups.push(0);
  if (!push(tail)) return null;
  groups.push(...embedded);
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const group = groups[i] ?? 0;
    bytes[i * 2] = group >>> 8;
    bytes[i * 2 + 1] = group & 0xff;
  }
  return bytes;
}

/** RFC 5952 §4 canonical text of 16 bytes at `offset`. */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const groups = new Array<number>(8);
  for (let i = 0; i < 8; i++)
    groups[i] = ((bytes[offset + i * 2] ?? 0) << 8) | (bytes[offset + i * 2 + 1] ?? 0);
  // RFC 5952 §5: ::ffff:a.b.c.d for IPv4-mapped addresses.
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    const v4 = (((groups[6] ?? 0) << 16) | (groups[7] ?? 0)) >>> 0;
    return `::ffff:${formatIpv4(v4)}`;
  }
  // §4.2.3: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** 16 bytes -> four network-order 32-bit words. */
export function ipv6ToWords(bytes: Uint8Array): [number, number, number, number] {
  const word = (i: number): number =>
    (((bytes[i] ?? 0) << 24) |
      ((bytes[i + 1] ?? 0) << 16) |
      ((bytes[i + 2] ?? 0) << 8) |
      (bytes[i + 3] ?? 0)) >>>
    0;
  return [word(0), word(4), word(8), word(12)];
}

export function wordsToIpv6(w0: number, w1: number, w2: number, w3: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const put = (i: number, w: number): void => {
    bytes[i] = w >>> 24;
    bytes[i + 1] = (w >>> 16) & 0xff;
    bytes[i + 2] = (w >>> 8) & 0xff;
    bytes[i + 3] = w & 0xff;
  };
  put(0, w0);
  put(4, w1);
  put(8, w2);
  put(12, w3);
  return bytes;
}

export type IpFamily = 4 | 6;

/** The family of an address in text form, or null when it is neither. */
export function ipFamilyOf(text: string): IpFamily | null {
  if (parseIpv4(text) !== null) return 4;
  if (parseIpv6(text) !== null) return 6;
  return null;
}

/** Canonical text of an address (RFC 5952 for IPv6), or null when invalid. */
export function canonicalIp(text: string): string | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return formatIpv4(v4);
  const v6 = parseIpv6(text);
  return v6 === null ? null : formatIpv6(v6);
}

/** IPv6 link-local unicast fe80::/10 (RFC 4291 §2.5.6). */
export function isIpv6LinkLocal(bytes: Uint8Array, offset = 0): boolean {
  return bytes[offset] === 0xfe && ((bytes[offset + 1] ?? 0) & 0xc0) === 0x80;
}
