// Import and export policy, compiled once from the config and evaluated per
// route: prefix lists (with ge/le), community matches, and attribute changes
// (LOCAL_PREF, MED, communities, AS prepending). Pure.
//
// A policy is accept-all, reject-all, or a list of terms; the first term
// whose conditions all match decides (accept, default, or reject), and a
// route no term matches is rejected, as in FRR route-maps and BIRD filters.

import type { PathAttributes } from '../bgp/codec/attribute-types.js';
import { SegmentType } from '../bgp/codec/iana.js';
import { parseCommunity, parseLargeCommunity } from '../bgp/format/communities.js';
import type { RawPolicy } from '../config/schema.js';
import { type PrefixMatch, parsePrefixMatch } from './prefix-match.js';

export interface PolicySet {
  readonly localPref?: number;
  readonly med?: number;
  readonly addCommunities?: readonly number[];
  readonly removeCommunities?: readonly number[];
  readonly addLargeCommunities?: readonly { globalAdmin: number; localData1: number; localData2: number }[];
  readonly prependAs?: number;
}

export interface PolicyTerm {
  readonly prefixes: readonly PrefixMatch[] | null;
  readonly communities: readonly number[] | null;
  readonly accept: boolean;
  readonly set: PolicySet | null;
}

export interface Policy {
  /** 'accept-all' and 'reject-all' need no per-route work. */
  readonly kind: 'accept-all' | 'reject-all' | 'terms';
  readonly terms: readonly PolicyTerm[];
  /** How the config said it, for logs and `neighbor show`. */
  readonly description: string;
}

export const ACCEPT_ALL: Policy = Object.freeze({ kind: 'accept-all', terms: [], description: 'accept-all' });
export const REJECT_ALL: Policy = Object.freeze({ kind: 'reject-all', terms: [], description: 'reject-all' });

function must<T>(value: T | null | string, what: string): T {
  if (value === null || typeof value === 'string')
    throw new Error(`invalid ${what} (the config schema should have refused it)`);
  return value;
}

/** Compiles a validated config policy. */
export function compilePolicy(raw: RawPolicy): Policy {
  if (raw === 'accept-all') return ACCEPT_ALL;
  if (raw === 'reject-all') return REJECT_ALL;
  const terms = (Array.isArray(raw) ? raw : [raw]).map(
    (term): PolicyTerm => ({
      prefixes:
        term.prefixes === undefined
          ? null
          : term.prefixes.map((text) => must(parsePrefixMatch(text), `prefix match ${text}`)),
      communities:
        term.communities === undefined
          ? null
          : term.communities.map((text) => must(parseCommunity(text), `community ${text}`)),
      accept: (term.action ?? 'accept') === 'accept',
      set:
        term.set === undefined
          ? null
          : {
              ...(term.set.localPref !== undefined ? { localPref: term.set.localPref } : {}),
              ...(term.set.med !== undefined ? { med: term.set.med } : {}),
              ...(term.set.addCommunities !== undefined
                ? {
                    addCommunities: term.set.addCommunities.map((c) =>
                      must(parseCommunity(c), `community ${c}`),
                    ),
                  }
                : {}),
              ...(term.set.removeCommunities !== undefined
                ? {
                    removeCommunities: term.set.removeCommunities.map((c) =>
                      must(parseCommunity(c), `community ${c}`),
                    ),
                  }
                : {}),
              ...(term.set.addLargeCommunities !== undefined
                ? {
                    addLargeCommunities: term.set.addLargeCommunities.map((c) =>
                      must(parseLargeCommunity(c), `large community ${c}`),
                    ),
                  }
                : {}),
              ...(term.set.prependAs !== undefined ? { prependAs: term.set.prependAs } : {}),
            },
    }),
  );
  return { kind: 'terms', terms, description: JSON.stringify(raw) };
}

function mask(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** Does the prefix (words, length) fall in the entry? */
export function prefixMatches(
  entry: PrefixMatch,
  afi: number,
  words: ArrayLike<number>,
  at: number,
  length: number,
): boolean {
  if (entry.prefix.afi !== afi || length < entry.minLength || length > entry.maxLength) return false;
  let remaining = entry.prefix.length;
  for (let w = 0; remaining > 0; w++, remaining -= 32) {
    const m = mask(remaining);
    if ((((words[at + w] as number) ^ (entry.prefix.words[w] as number)) & m) >>> 0 !== 0) return false;
  }
  return true;
}

export type Verdict =
  | { readonly accept: false }
  | { readonly accept: true; readonly term: number; readonly set: PolicySet | null };

const REJECTED: Verdict = Object.freeze({ accept: false });
const ACCEPTED: Verdict = Object.freeze({ accept: true, term: -1, set: null });

/** Evaluates a policy for one route. */
export function evaluatePolicy(
  policy: Policy,
  afi: number,
  words: ArrayLike<number>,
  at: number,
  length: number,
  communities: readonly number[] | undefined,
): Verdict {
  if (policy.kind === 'accept-all') return ACCEPTED;
  if (policy.kind === 'reject-all') return REJECTED;
  for (let index = 0; index < policy.terms.length; index++) {
    const term = policy.terms[index] as PolicyTerm;
    if (
      term.prefixes !== null &&
      !term.prefixes.some((entry) => prefixMatches(entry, afi, words, at, length))
    )
      continue;
    if (term.communities !== null && !term.communities.some((c) => communities?.includes(c) === true))
      continue;
    return term.accept ? { accept: true, term: index, set: term.set } : REJECTED;
  }
  return REJECTED;
}

/** The attributes after a term's `set`; `localAsn` is what prependAs prepends. */
export function applySet(attributes: PathAttributes, set: PolicySet, localAsn: number): PathAttributes {
  let communities = attributes.communities;
  if (set.removeCommunities !== undefined && communities !== undefined) {
    const remove = set.removeCommunities;
    communities = communities.filter((c) => !remove.includes(c));
  }
  if (set.addCommunities !== undefined) {
    const merged = [...(communities ?? [])];
    for (const c of set.addCommunities) if (!merged.includes(c)) merged.push(c);
    communities = merged;
  }
  let largeCommunities = attributes.largeCommunities;
  if (set.addLargeCommunities !== undefined) {
    const merged = [...(largeCommunities ?? [])];
    for (const c of set.addLargeCommunities) {
      if (
        !merged.some(
          (m) =>
            m.globalAdmin === c.globalAdmin && m.localData1 === c.localData1 && m.localData2 === c.localData2,
        )
      ) {
        merged.push(c);
      }
    }
    largeCommunities = merged;
  }
  let asPath = attributes.asPath;
  if (set.prependAs !== undefined) {
    const prepend = new Array<number>(set.prependAs).fill(localAsn);
    const first = asPath?.[0];
    asPath =
      first !== undefined && first.type === SegmentType.asSequence
        ? [{ type: SegmentType.asSequence, asns: [...prepend, ...first.asns] }, ...(asPath ?? []).slice(1)]
        : [{ type: SegmentType.asSequence, asns: prepend }, ...(asPath ?? [])];
  }
  return {
    ...attributes,
    ...(set.localPref !== undefined ? { localPref: set.localPref } : {}),
    ...(set.med !== undefined ? { med: set.med } : {}),
    communities: communities !== undefined && communities.length > 0 ? communities : undefined,
    largeCommunities,
    asPath,
  };
}
