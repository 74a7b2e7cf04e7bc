// Text forms of communities, as operators type and read them (gobgp/FRR style).

import { formatIpv4 } from '../../net/ip.js';
import type { LargeCommunity } from '../codec/attribute-types.js';
import { WellKnownCommunity } from '../codec/iana.js';

const wellKnownNames: ReadonlyMap<number, string> = new Map([
  [WellKnownCommunity.gracefulShutdown, 'graceful-shutdown'],
  [WellKnownCommunity.blackhole, 'blackhole'],
  [WellKnownCommunity.noExport, 'no-export'],
  [WellKnownCommunity.noAdvertise, 'no-advertise'],
  [WellKnownCommunity.noExportSubconfed, 'no-export-subconfed'],
]);
const wellKnownValues: ReadonlyMap<string, number> = new Map(
  [...wellKnownNames].map(([value, name]) => [name, value]),
);

/** "64512:100", or the well-known name ("blackhole" for 65535:666, RFC 7999). */
export function formatCommunity(value: number): string {
  return wellKnownNames.get(value) ?? `${value >>> 16}:${value & 0xffff}`;
}

/** "64512:100", a well-known name, or a 32-bit number; null when none of these. */
export function parseCommunity(text: string): number | null {
  const named = wellKnownValues.get(text.toLowerCase());
  if (named !== undefined) return named;
  const pair = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  if (pair !== null) {
    const high = Number(pair[1]);
    const low = Number(pair[2]);
    if (high > 0xffff || low > 0xffff) return null;
    return ((high << 16) | low) >>> 0;
  }
  if (/^\d{1,10}$/.test(text)) {
    const value = Number(text);
    return value <= 0xffffffff ? value : null;
  }
  return null;
}

export function formatLargeCommunity(community: LargeCommunity): string {
  return `${community.globalAdmin}:${community.localData1}:${community.localData2}`;
}

export function parseLargeCommunity(text: string): LargeCommunity | null {
  const match = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(text);
  if (match === null) return null;
  const values = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (values.some((value) => value > 0xffffffff)) return null;
  return {
    globalAdmin: values[0] as number,
    localData1: values[1] as number,
    localData2: values[2] as number,
  };
}

/**
 * RFC 4360 §3 / RFC 5668: route target and route origin in their usual text
 * forms ("rt:64512:1", "soo:192.0.2.1:7"); anything else as 16 hex digits.
 */
export function formatExtendedCommunity(value: bigint): string {
  const type = Number((value >> 56n) & 0xffn);
  const subtype = Number((value >> 48n) & 0xffn);
  const body = value & 0xffff_ffff_ffffn;
  const label = subtype === 0x02 ? 'rt' : subtype === 0x03 ? 'soo' : null;
  if (label !== null) {
    if (type === 0x00) return `${label}:${Number(body >> 32n)}:${Number(body & 0xffff_ffffn)}`;
    if (type === 0x01) return `${label}:${formatIpv4(Number(body >> 16n))}:${Number(body & 0xffffn)}`;
    if (type === 0x02) return `${label}:${Number(body >> 16n)}:${Number(body & 0xffffn)}`;
  }
  return `0x${value.toString(16).padStart(16, '0')}`;
}
