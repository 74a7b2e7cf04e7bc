// Locally originated routes: the config's `originate:` list and the routes
// `agentctl rib add` puts in at run time (like `gobgp global rib add`). A
// runtime route wins over a configured one for the same prefix; removing it
// brings the configured one back. Both go into the RIB as routes of the
// local source.

import type { PathAttributes } from '../bgp/codec/attribute-types.js';
import { type ParsedPrefix, type Prefixes, parsePrefix, prefixToString } from '../bgp/codec/nlri.js';
import { familyOfAfi } from '../bgp/family.js';
import { parseCommunity, parseLargeCommunity } from '../bgp/format/communities.js';
import { LOCAL_SOURCE, type Rib } from './rib.js';

/** A locally originated route (config `originate:` or `agentctl rib add`). */
export interface LocalRoute {
  readonly prefix: string;
  readonly nextHop: string | null;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  readonly med: number | null;
  readonly localPref: number | null;
  readonly origin: 'config' | 'runtime';
}

/** A configured `originate:` entry (the config's shape, without the origin). */
export type ConfiguredRoute = Omit<LocalRoute, 'origin'>;

/** A one-prefix list for the RIB. */
function singlePrefix(parsed: ParsedPrefix): Prefixes {
  return {
    afi: parsed.afi,
    count: 1,
    lengths: Uint8Array.of(parsed.length),
    words: Uint32Array.from(parsed.words),
    pathIds: null,
  };
}

/** "10.233.1.0/24": the prefix with host bits cleared, IPv6 in RFC 5952 form. */
export function canonicalPrefix(parsed: ParsedPrefix): string {
  return prefixToString(singlePrefix(parsed), 0);
}

function attributesOf(route: LocalRoute): PathAttributes {
  return {
    origin: 0,
    asPath: [],
    ...(route.med !== null ? { med: route.med } : {}),
    ...(route.localPref !== null ? { localPref: route.localPref } : {}),
    ...(route.communities.length > 0
      ? { communities: route.communities.map((c) => parseCommunity(c) ?? 0) }
      : {}),
    ...(route.largeCommunities.length > 0
      ? {
          largeCommunities: route.largeCommunities.map(
            (c) => parseLargeCommunity(c) ?? { globalAdmin: 0, localData1: 0, localData2: 0 },
          ),
        }
      : {}),
  };
}

export class LocalRoutes {
  private readonly configured = new Map<string, LocalRoute>();
  private readonly runtime = new Map<string, LocalRoute>();

  constructor(private readonly rib: Rib) {}

  /** Announces (or replaces) a local route; false when its prefix does not parse (validated earlier). */
  originate(route: LocalRoute): boolean {
    const parsed = parsePrefix(route.prefix);
    if (parsed === null) return false;
    const key = canonicalPrefix(parsed);
    const stored = { ...route, prefix: key };
    (route.origin === 'runtime' ? this.runtime : this.configured).set(key, stored);
    if (route.origin === 'config' && this.runtime.has(key)) return true; // the runtime one stays in effect
    this.announce(parsed, stored);
    return true;
  }

  private announce(parsed: ParsedPrefix, route: LocalRoute): void {
    this.rib.announce(
      LOCAL_SOURCE,
      familyOfAfi(parsed.afi),
      singlePrefix(parsed),
      attributesOf(route),
      route.nextHop,
    );
  }

  private withdraw(parsed: ParsedPrefix): void {
    this.rib.withdraw(LOCAL_SOURCE, familyOfAfi(parsed.afi), singlePrefix(parsed));
  }

  /**
   * Withdraws a local route: the runtime one if there is one (a configured
   * route for the same prefix then takes effect again), else the configured
   * one. False when there was none.
   */
  withdrawOriginated(prefix: string, origin: 'runtime' | 'config' | 'any' = 'any'): boolean {
    const parsed = parsePrefix(prefix);
    if (parsed === null) return false;
    const key = canonicalPrefix(parsed);
    if (origin !== 'config' && this.runtime.delete(key)) {
      const configured = this.configured.get(key);
      if (configured !== undefined) this.announce(parsed, configured);
      else this.withdraw(parsed);
      return true;
    }
    if (origin === 'runtime' || !this.configured.delete(key)) return false;
    if (!this.runtime.has(key)) this.withdraw(parsed);
    return true;
  }

  /** The local routes in effect. */
  list(): LocalRoute[] {
    const effective = new Map(this.configured);
    for (const [key, route] of this.runtime) effective.set(key, route);
    return [...effective.values()];
  }

  /**
   * Applies the configured `originate:` list: configured routes no longer
   * listed go, new or changed ones are announced; runtime additions stay.
   */
  syncConfigured(configured: readonly ConfiguredRoute[]): void {
    const wanted = new Map<string, LocalRoute>();
    for (const o of configured) {
      const parsed = parsePrefix(o.prefix);
      if (parsed === null) continue;
      wanted.set(canonicalPrefix(parsed), { ...o, prefix: canonicalPrefix(parsed), origin: 'config' });
    }
    for (const key of [...this.configured.keys()]) {
      if (!wanted.has(key)) this.withdrawOriginated(key, 'config');
    }
    for (const [key, route] of wanted) {
      const existing = this.configured.get(key);
      if (existing !== undefined && JSON.stringify(existing) === JSON.stringify(route)) continue;
      this.originate(route);
    }
  }
}
