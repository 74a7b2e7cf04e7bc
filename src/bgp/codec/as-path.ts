// AS_PATH and AS4_PATH (RFC 4271 §4.3, RFC 6793 §3, RFC 5065 §3).
//
//   +-------------------+---------------------+----------------------------+
//   | segment type (1)  | segment length (1)  | ASNs: length x 2 or 4 octets |
//   +-------------------+---------------------+----------------------------+

import type { AsPathSegment, AsPathSegmentType } from './attribute-types.js';
import { AS_TRANS, MAX_SEGMENT_ASNS, MAX_TWO_OCTET_AS } from './iana.js';
import type { BufferWriter } from './writer.js';

/** Decodes segments; a string is why the path is malformed (RFC 7606 §7.2). */
export function decodeAsPath(
  bytes: Uint8Array,
  start: number,
  end: number,
  asnOctets: 2 | 4,
): AsPathSegment[] | string {
  const segments: AsPathSegment[] = [];
  let at = start;
  while (at < end) {
    if (at + 2 > end) return 'segment header truncated';
    const type = bytes[at] as number;
    const count = bytes[at + 1] as number;
    if (type < 1 || type > 4) return `segment type ${type} is undefined`;
    if (count === 0) return 'segment of length zero';
    const segmentEnd = at + 2 + count * asnOctets;
    if (segmentEnd > end) return `segment of ${count} ASNs overruns the attribute`;
    const asns = new Array<number>(count);
    let p = at + 2;
    if (asnOctets === 4) {
      for (let i = 0; i < count; i++, p += 4) {
        asns[i] =
          (((bytes[p] as number) << 24) |
            ((bytes[p + 1] as number) << 16) |
            ((bytes[p + 2] as number) << 8) |
            (bytes[p + 3] as number)) >>>
          0;
      }
    } else {
      for (let i = 0; i < count; i++, p += 2)
        asns[i] = ((bytes[p] as number) << 8) | (bytes[p + 1] as number);
    }
    // RFC 7607 §2: AS 0 makes the path malformed.
    if (asns.includes(0)) return 'contains AS 0 (RFC 7607)';
    segments.push({ type: type as AsPathSegmentType, asns });
    at = segmentEnd;
  }
  return segments;
}

/**
 * Writes segments; a segment of more than 255 ASNs is split into several of
 * the same type (RFC 4271 §4.3: the length field is one octet). On a 2-octet
 * session an AS above 65535 is written as AS_TRANS (RFC 6793 §4.2.2).
 */
export function encodeAsPath(
  writer: BufferWriter,
  segments: readonly AsPathSegment[],
  asnOctets: 2 | 4,
): void {
  for (const segment of segments) {
    for (let from = 0; from < segment.asns.length; from += MAX_SEGMENT_ASNS) {
      const to = Math.min(from + MAX_SEGMENT_ASNS, segment.asns.length);
      writer.u8(segment.type).u8(to - from);
      for (let i = from; i < to; i++) {
        const asn = segment.asns[i] as number;
        if (asnOctets === 4) writer.u32(asn);
        else writer.u16(asn > MAX_TWO_OCTET_AS ? AS_TRANS : asn);
      }
    }
  }
}

/** True when some AS in the path needs 4 octets (then a 2-octet peer needs AS4_PATH). */
export function needsAs4Path(segments: readonly AsPathSegment[]): boolean {
  return segments.some((segment) => segment.asns.some((asn) => asn > MAX_TWO_OCTET_AS));
}

function pathLengthForMerge(segments: readonly AsPathSegment[]): number {
  // RFC 6793 §4.2.3: AS_SET counts 1, confederation segments count 0 here.
  let length = 0;
  for (const segment of segments) {
    if (segment.type === 2) length += segment.asns.length;
    else if (segment.type === 1) length += 1;
  }
  return length;
}

/**
 * RFC 6793 §4.2.3: rebuild the real AS path of a route received from a
 * 2-octet ("OLD") speaker from its AS_PATH and AS4_PATH. When AS4_PATH is
 * longer than AS_PATH it is ignored; otherwise the leading AS_PATH entries
 * that AS4_PATH does not cover are kept and AS4_PATH follows them.
 */
export function mergeAs4Path(
  asPath: readonly AsPathSegment[],
  as4Path: readonly AsPathSegment[] | undefined,
): readonly AsPathSegment[] {
  if (as4Path === undefined || as4Path.length === 0) return asPath;
  const asPathLength = pathLengthForMerge(asPath);
  const as4PathLength = pathLengthForMerge(as4Path);
  if (as4PathLength > asPathLength) return asPath;
  let keep = asPathLength - as4PathLength;
  const merged: AsPathSegment[] = [];
  for (const segment of asPath) {
    if (keep === 0) break;
    if (segment.type === 3 || segment.type === 4) {
      // Confederation segments are kept from AS_PATH (RFC 6793 §4.2.3, §6).
      merged.push(segment);
    } else if (segment.type === 1) {
      merged.push(segment);
      keep -= 1;
    } else if (segment.asns.length <= keep) {
      merged.push(segment);
      keep -= segment.asns.length;
    } else {
      merged.push({ type: segment.type, asns: segment.asns.slice(0, keep) });
      keep = 0;
    }
  }
  // Adjacent AS_SEQUENCEs are joined, as if the path had been one segment.
  for (const segment of as4Path) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.type === 2 && segment.type === 2) {
      merged[merged.length - 1] = { type: 2, asns: [...last.asns, ...segment.asns] };
    } else {
      merged.push(segment);
    }
  }
  return merged;
}
