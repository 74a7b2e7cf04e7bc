// Prefix-list entries as operators write them (FRR/Cisco style):
// "10.233.0.0/16" (exactly), "10.233.0.0/16 le 32" (it and anything longer
// up to /32), "10.0.0.0/8 ge 24 le 28".

import { maxPrefixLength, type ParsedPrefix, parsePrefix } from '../bgp/codec/nlri.js';

export interface PrefixMatch {
  readonly prefix: ParsedPrefix;
  /** Shortest length matched. */
  readonly minLength: number;
  /** Longest length matched. */
  readonly maxLength: number;
}

/** Parses an entry; a string is what is wrong with it. */
export function parsePrefixMatch(text: string): PrefixMatch | string {
  const parts = text.trim().split(/\s+/);
  const prefix = parsePrefix(parts[0] ?? '');
  if (prefix === null) return `"${parts[0] ?? ''}" is not a prefix`;
  const max = maxPrefixLength(prefix.afi);
  let ge: number | null = null;
  let le: number | null = null;
  for (let i = 1; i < parts.length; i += 2) {
    const keyword = parts[i];
    const value = parts[i + 1];
    if ((keyword !== 'ge' && keyword !== 'le') || value === undefined || !/^\d{1,3}$/.test(value)) {
      return `expected "ge N" or "le N" after the prefix, got "${parts.slice(i).join(' ')}"`;
    }
    const length = Number(value);
    if (length < prefix.length || length > max)
      return `${keyword} ${length} must be between ${prefix.length} and ${max}`;
    if (keyword === 'ge') ge = length;
    else le = length;
  }
  const minLength = ge ?? prefix.length;
  const maxLength = le ?? (ge !== null ? max : prefix.length);
  if (minLength > maxLength) return `ge ${minLength} is greater than le ${maxLength}`;
  return { prefix, minLength, maxLength };
}
