// Between the sessions and the RIB: turns a peer's UPDATEs into RIB changes
// (with the session-context checks of RFC 4271 §6.3 and RFC 7606 §7.2, AS4
// path reconstruction, End-of-RIB, max-prefix), runs the Graceful Restart
// receiving side (RFC 4724) and enhanced route refresh (RFC 7313), keeps the
// locally originated routes, and drives each Established peer's Adj-RIB-Out.

import { networkInterfaces } from 'node:os';
import type { DestinationJson } from '../api/types.js';
import { mergeAs4Path } from '../bgp/codec/as-path.js';
import type { PathAttributes } from '../bgp/codec/attribute-types.js';
import { type BgpError, describeErrorCode, strongestAction } from '../bgp/codec/errors.js';
import { AS_TRANS, CeaseSubcode, RouteRefreshSubtype } from '../bgp/codec/iana.js';
import { type ParsedPrefix, type Prefixes, parsePrefix, prefixToString } from '../bgp/codec/nlri.js';
import type { RouteRefreshMessage } from '../bgp/codec/route-refresh.js';
import { endOfRibFamily, routeChanges, type UpdateMessage } from '../bgp/codec/update.js';
import { type AddressFamily, familyAfiSafi, familyOf } from '../bgp/family.js';
import { parseCommunity, parseLargeCommunity } from '../bgp/format/communities.js';
import type { DownReason } from '../bgp/fsm.js';
import type { NegotiatedSession } from '../bgp/negotiation.js';
import type { Peer } from '../bgp/peer.js';
import type { MaxPrefixConfig, OriginateConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { canonicalIp, ipFamilyOf, isIpv6LinkLocal, parseIpv4, parseIpv6 } from '../net/ip.js';
import { AdjRibOut } from '../rib/adj-rib-out.js';
import { AttributeEncodingCache } from '../rib/encoding-cache.js';
import type { LocalNextHops } from '../rib/export.js';
import type { Policy } from '../rib/policy.js';
import { LOCAL_SOURCE, type Rib, type Source } from '../rib/rib.js';
import { attrJson, lookup } from './rib-query.js';

export interface PeerPolicies {
  readonly importPolicy: Policy;
  readonly exportPolicy: Policy;
  readonly nextHopSelf: boolean;
  readonly enforceFirstAs: boolean;
  readonly maxPrefix: MaxPrefixConfig | null;
  readonly staleRoutesTimeSeconds: number;
}

interface PeerRouting {
  readonly peer: Peer;
  source: Source;
  policies: PeerPolicies;
  out: AdjRibOut | null;
  negotiated: NegotiatedSession | null;
  drainTimer: NodeJS.Timeout | null;
  /** RFC 4724 restart timer: stale routes go when it fires. */
  restartTimer: NodeJS.Timeout | null;
  /** Upper bound for stale routes after re-establishment (or an enhanced refresh). */
  staleTimers: Map<AddressFamily, NodeJS.Timeout>;
  staleFamilies: Set<AddressFamily>;
  maxPrefixWarned: boolean;
  restartAfterLimit: NodeJS.Timeout | null;
  /** Families whose End-of-RIB arrived in the current session. */
  endOfRib: Set<AddressFamily>;
}

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

/** The addresses to use as "self" next hop on a session with this local address. */
export function localNextHopsFor(localAddress: string | null): LocalNextHops {
  if (localAddress === null) return { ipv4: null, ipv6: null, ipv6LinkLocal: null };
  const address = canonicalIp(localAddress.replace(/^::ffff:(?=\d+\.)/, '')) ?? localAddress;
  let ipv4 = ipFamilyOf(address) === 4 ? address : null;
  let ipv6 = ipFamilyOf(address) === 6 ? address : null;
  let ipv6LinkLocal: string | null = null;
  // The interface carrying the session supplies the other family's address
  // (RFC 2545 §3: a global IPv6 next hop, and the link-local one beside it).
  for (const addresses of Object.values(networkInterfaces())) {
    if (addresses === undefined || !addresses.some((a) => canonicalIp(a.address) === address)) continue;
    for (const a of addresses) {
      if (a.family === 'IPv4' && ipv4 === null) ipv4 = a.address;
      if (a.family === 'IPv6') {
        const bytes = parseIpv6(a.address.split('%')[0] ?? '');
        if (bytes === null) continue;
        if (isIpv6LinkLocal(bytes)) ipv6LinkLocal ??= canonicalIp(a.address.split('%')[0] ?? '');
        else ipv6 ??= canonicalIp(a.address);
      }
    }
  }
  if (ipv6 !== null && ipv6LinkLocal === ipv6) ipv6LinkLocal = null;
  return { ipv4, ipv6, ipv6LinkLocal };
}

/** A one-prefix list for origination. */
function singlePrefix(parsed: ParsedPrefix): Prefixes {
  return {
    afi: parsed.afi,
    count: 1,
    lengths: Uint8Array.of(parsed.length),
    words: Uint32Array.from(parsed.words),
    pathIds: null,
  };
}

export class Routing {
  /** Outgoing attribute encodings, shared by every peer's Adj-RIB-Out. */
  private readonly encodings = new AttributeEncodingCache();
  private readonly peers = new Map<Peer, PeerRouting>();
  /** Routes from the config's `originate:` and from `rib add`; a runtime one wins over a configured one. */
  private readonly configured = new Map<string, LocalRoute>();
  private readonly runtime = new Map<string, LocalRoute>();
  private readonly endOfRibListeners: ((peer: Peer, family: AddressFamily) => void)[] = [];

  constructor(
    readonly rib: Rib,
    private readonly log: Logger,
    private readonly advertisementIntervalMs: number,
  ) {}

  /** Registers a configured neighbor (before it can come up). */
  addPeer(peer: Peer, policies: PeerPolicies): void {
    const source = this.rib.addSource({
      address: peer.address,
      asn: peer.config.asn,
      routerId: 0,
      external: !peer.isInternal,
      routeReflectorClient: peer.config.routeReflectorClient,
      importPolicy: policies.importPolicy,
    });
    this.peers.set(peer, {
      peer,
      source,
      policies,
      out: null,
      negotiated: null,
      drainTimer: null,
      restartTimer: null,
      staleTimers: new Map(),
      staleFamilies: new Set(),
      maxPrefixWarned: false,
      restartAfterLimit: null,
      endOfRib: new Set(),
    });
  }

  /** Forgets a neighbor: its routes are withdrawn. */
  removePeer(peer: Peer): void {
    const state = this.peers.get(peer);
    if (state === undefined) return;
    this.closeOut(state);
    this.clearTimers(state);
    this.rib.removeSource(state.source.id);
    this.peers.delete(peer);
  }

  /** New policies for a neighbor whose session stays up (config reload). */
  updatePolicies(peer: Peer, policies: PeerPolicies): void {
    const state = this.peers.get(peer);
    if (state === undefined) return;
    const importChanged = state.policies.importPolicy.description !== policies.importPolicy.description;
    const exportChanged = state.policies.exportPolicy.description !== policies.exportPolicy.description;
    state.policies = policies;
    state.source.info.importPolicy = policies.importPolicy;
    if (importChanged) this.rib.reapplyImport(state.source.id);
    if (exportChanged && state.negotiated !== null) {
      // The Adj-RIB-Out is rebuilt and the whole table sent again under the new export policy.
      this.closeOut(state);
      this.openOut(state, state.negotiated);
    }
  }

  sourceOf(peer: Peer): Source | undefined {
    return this.peers.get(peer)?.source;
  }

  advertisedTo(peer: Peer): number {
    return this.peers.get(peer)?.out?.stats.advertised ?? 0;
  }

  /** The Adj-RIB-Out of a peer as `rib show --neighbor X --out` prints it. */
  advertisedRoutes(peer: Peer, family: AddressFamily, prefix?: string): DestinationJson[] {
    const out = this.peers.get(peer)?.out;
    if (out === undefined || out === null) return [];
    const table = this.rib.family(family).prefixes;
    const wanted = prefix === undefined ? -1 : lookup(this.rib, family, prefix);
    const destinations: DestinationJson[] = [];
    for (const [p, setId] of out.advertised(family)) {
      if (wanted >= 0 && p !== wanted) continue;
      if (prefix !== undefined && wanted < 0) continue;
      const set = this.rib.attrs.get(setId);
      destinations.push({
        prefix: table.toString(p),
        paths: [
          {
            best: true,
            installed: true,
            neighbor: peer.address,
            ...attrJson(set),
            ageSeconds: 0,
            stale: false,
            accepted: true,
            eligible: true,
          },
        ],
      });
    }
    return destinations;
  }

  // ---------------------------------------------------------------- sessions

  /** Told when a peer's End-of-RIB arrives (RFC 4724 §2). */
  onEndOfRib(listener: (peer: Peer, family: AddressFamily) => void): void {
    this.endOfRibListeners.push(listener);
  }

  /** True when the peer's End-of-RIB arrived for every family of its current session. */
  hasAllEndOfRib(peer: Peer): boolean {
    const state = this.peers.get(peer);
    if (state === undefined || state.negotiated === null) return false;
    return state.negotiated.families.every((family) => state.endOfRib.has(family));
  }

  established(peer: Peer, negotiated: NegotiatedSession): void {
    const state = this.peers.get(peer);
    if (state === undefined) return;
    state.negotiated = negotiated;
    state.endOfRib.clear();
    state.source.info.routerId = parseIpv4(negotiated.peerRouterId) ?? 0;
    if (state.restartTimer !== null) {
      clearTimeout(state.restartTimer);
      state.restartTimer = null;
    }
    // RFC 4724 §4.2: stale routes of families the restarted peer did not
    // preserve (F bit clear, or no longer negotiated) go now; the others wait
    // for its End-of-RIB.
    for (const family of [...state.staleFamilies]) {
      const preserved = negotiated.gracefulRestart?.families.get(family)?.forwardingPreserved === true;
      if (!preserved || !negotiated.families.includes(family))
        this.sweep(state, family, 'not preserved across the restart');
      else this.armStaleTimer(state, family);
    }
    this.openOut(state, negotiated);
  }

  private openOut(state: PeerRouting, negotiated: NegotiatedSession): void {
    const session = state.peer.established;
    if (session === null) return;
    const policies = state.policies;
    const out = new AdjRibOut(
      this.rib,
      {
        sourceId: state.source.id,
        external: !state.peer.isInternal,
        routeReflectorClient: state.peer.config.routeReflectorClient,
        asn4: negotiated.asn4,
        nextHopSelf: policies.nextHopSelf,
        localNextHops: localNextHopsFor(session.localAddress),
        policy: policies.exportPolicy,
      },
      { localAsn: this.localAsn, localRouterId: this.rib.routerId, clusterId: this.rib.clusterId },
      negotiated.sendContext,
      negotiated.families,
      {
        get canWrite() {
          return session.canWrite;
        },
        write: (bytes, messageCount) => session.sendEncodedUpdates(bytes, messageCount),
      },
      () => this.scheduleDrain(state, this.advertisementIntervalMs),
      this.encodings,
    );
    state.out = out;
    out.queueFullTable();
    this.scheduleDrain(state, 0);
  }

  private get localAsn(): number {
    return this.rib.source(LOCAL_SOURCE)?.info.asn ?? 0;
  }

  down(peer: Peer, reason: DownReason): void {
    const state = this.peers.get(peer);
    if (state === undefined) return;
    this.closeOut(state);
    const negotiated = state.negotiated;
    state.negotiated = null;
    const graceful = negotiated?.gracefulRestart ?? null;
    // RFC 4724 §4.2: a session that ends without a NOTIFICATION (TCP closed
    // or reset, or a new connection from the peer) keeps its routes as stale.
    if (graceful !== null && reason.kind === 'connection-failed' && graceful.families.size > 0) {
      for (const family of negotiated?.families ?? []) {
        if (graceful.families.has(family)) {
          const count = this.rib.markStale(state.source.id, family);
          state.staleFamilies.add(family);
          this.log.info(
            {
              neighbor: peer.address,
              family,
              routes: count,
              restartTimeSeconds: graceful.restartTimeSeconds,
            },
            'graceful restart: keeping routes as stale',
          );
        } else {
          this.rib.flushSource(state.source.id, family);
        }
      }
      if (state.restartTimer !== null) clearTimeout(state.restartTimer);
      state.restartTimer = setTimeout(() => {
        state.restartTimer = null;
        for (const family of [...state.staleFamilies]) this.sweep(state, family, 'restart time expired');
      }, graceful.restartTimeSeconds * 1000);
      state.restartTimer.unref();
      return;
    }
    this.clearTimers(state);
    state.staleFamilies.clear();
    this.rib.flushSource(state.source.id);
  }

  private sweep(state: PeerRouting, family: AddressFamily, why: string): void {
    const removed = this.rib.sweepStale(state.source.id, family);
    state.staleFamilies.delete(family);
    const timer = state.staleTimers.get(family);
    if (timer !== undefined) clearTimeout(timer);
    state.staleTimers.delete(family);
    this.log.info({ neighbor: state.peer.address, family, removed }, `stale routes swept: ${why}`);
  }

  private armStaleTimer(state: PeerRouting, family: AddressFamily): void {
    const existing = state.staleTimers.get(family);
    if (existing !== undefined) clearTimeout(existing);
    const timer = setTimeout(
      () => this.sweep(state, family, 'stale routes time expired'),
      state.policies.staleRoutesTimeSeconds * 1000,
    );
    timer.unref();
    state.staleTimers.set(family, timer);
  }

  private clearTimers(state: PeerRouting): void {
    if (state.restartTimer !== null) clearTimeout(state.restartTimer);
    state.restartTimer = null;
    for (const timer of state.staleTimers.values()) clearTimeout(timer);
    state.staleTimers.clear();
    if (state.restartAfterLimit !== null) clearTimeout(state.restartAfterLimit);
    state.restartAfterLimit = null;
  }

  private closeOut(state: PeerRouting): void {
    if (state.drainTimer !== null) clearTimeout(state.drainTimer);
    state.drainTimer = null;
    state.out?.close();
    state.out = null;
  }

  /** Coalesces changes for `delayMs` (MRAI-like, RFC 4271 §9.2.1.1) before writing UPDATEs. */
  private scheduleDrain(state: PeerRouting, delayMs: number): void {
    if (state.drainTimer !== null) return;
    state.drainTimer = setTimeout(() => {
      state.drainTimer = null;
      this.drain(state);
    }, delayMs);
  }

  private drain(state: PeerRouting): void {
    const out = state.out;
    if (out === null) return;
    out.drain();
    // Unfinished because the socket is full: the session's 'writable' resumes it.
  }

  writable(peer: Peer): void {
    const state = this.peers.get(peer);
    if (state !== undefined && state.out?.hasWork === true) this.scheduleDrain(state, 0);
  }

  // ---------------------------------------------------------------- UPDATEs

  update(peer: Peer, update: UpdateMessage, errors: readonly BgpError[]): void {
    const state = this.peers.get(peer);
    const negotiated = state?.negotiated;
    if (state === undefined || negotiated === null || negotiated === undefined) return;
    const eor = endOfRibFamily(update);
    if (eor !== null) {
      const family = familyOf(eor.afi, eor.safi);
      if (family !== null && state.staleFamilies.has(family))
        this.sweep(state, family, 'End-of-RIB received');
      if (family !== null) {
        state.endOfRib.add(family);
        for (const listener of this.endOfRibListeners) listener(peer, family);
      }
      return;
    }
    const sessionErrors = this.sessionChecks(state, update);
    const all = sessionErrors.length > 0 ? [...errors, ...sessionErrors] : errors;
    for (const error of all) {
      this.log.warn(
        {
          neighbor: peer.address,
          code: error.code,
          subcode: error.subcode,
          action: error.action,
          name: describeErrorCode(error.code, error.subcode),
        },
        `malformed UPDATE: ${error.reason}`,
      );
    }
    const treatAsWithdraw = strongestAction(all) === 'treat-as-withdraw';
    const attributes = negotiated.asn4 ? withoutAs4(update.attributes) : withAs4Merged(update.attributes);
    const changes = routeChanges(update, treatAsWithdraw);
    for (const withdrawn of changes.withdrawn) {
      const family: AddressFamily = withdrawn.afi === 1 ? 'ipv4-unicast' : 'ipv6-unicast';
      if (negotiated.families.includes(family)) this.rib.withdraw(state.source.id, family, withdrawn);
    }
    for (const announced of changes.announced) {
      const family: AddressFamily = announced.afi === 1 ? 'ipv4-unicast' : 'ipv6-unicast';
      // RFC 4760 §7: families not negotiated are ignored.
      if (!negotiated.families.includes(family)) continue;
      const fromMp = announced !== update.nlri;
      const nextHop = fromMp
        ? (update.attributes.mpReach?.nextHops[0] ?? null)
        : (update.attributes.nextHop ?? null);
      const linkLocal = fromMp ? (update.attributes.mpReach?.nextHops[1] ?? null) : null;
      // The wire key is the context-tagged bytes these attributes came from;
      // the AS4 handling above depends only on that context (RFC 6793).
      const accepted = this.rib.announce(
        state.source.id,
        family,
        announced,
        attributes,
        nextHop,
        linkLocal,
        update.attributesKey,
      );
      this.checkMaxPrefix(state, family, accepted);
    }
  }

  /** RFC 4271 §6.3 / RFC 7606 §7.2, §7.3 checks that need the session: treat-as-withdraw. */
  private sessionChecks(state: PeerRouting, update: UpdateMessage): BgpError[] {
    const errors: BgpError[] = [];
    const announces = update.nlri.count > 0 || (update.attributes.mpReach?.prefixes?.count ?? 0) > 0;
    if (!announces) return errors;
    const path = update.attributes.asPath;
    if (!state.peer.isInternal) {
      if (path?.some((s) => s.type === 3 || s.type === 4) === true) {
        errors.push(sessionError(11, 'AS_PATH has confederation segments from an external neighbor'));
      } else if (state.policies.enforceFirstAs) {
        const first = path?.[0];
        const leftmost = first?.type === 2 ? first.asns[0] : undefined;
        const peerAs = state.peer.config.asn;
        if (leftmost !== peerAs && !(leftmost === AS_TRANS && peerAs > 0xffff)) {
          errors.push(
            sessionError(11, `leftmost AS ${leftmost ?? 'none'} is not the neighbor's AS ${peerAs}`),
          );
        }
      }
    }
    const localAddress = state.peer.established?.localAddress ?? null;
    const ownAddress =
      localAddress === null ? null : canonicalIp(localAddress.replace(/^::ffff:(?=\d+\.)/, ''));
    if (ownAddress !== null && update.nlri.count > 0 && update.attributes.nextHop === ownAddress) {
      errors.push(sessionError(8, `NEXT_HOP ${ownAddress} is this speaker's own address`));
    }
    return errors;
  }

  private checkMaxPrefix(state: PeerRouting, family: AddressFamily, accepted: number): void {
    const limit = state.policies.maxPrefix;
    if (limit === null) return;
    const threshold = Math.floor((limit.limit * limit.warningThresholdPercent) / 100);
    if (accepted > threshold && !state.maxPrefixWarned) {
      state.maxPrefixWarned = true;
      this.log.warn(
        { neighbor: state.peer.address, family, accepted, limit: limit.limit },
        'max-prefix threshold reached',
      );
    }
    if (accepted <= limit.limit) return;
    if (limit.warningOnly) {
      this.log.warn(
        { neighbor: state.peer.address, family, accepted, limit: limit.limit },
        'max-prefix limit exceeded (warning only)',
      );
      return;
    }
    // RFC 4486 §4: Cease/Maximum Number of Prefixes Reached, data AFI, SAFI, upper bound.
    const { afi, safi } = familyAfiSafi(family);
    const data = Uint8Array.of(
      afi >> 8,
      afi & 0xff,
      safi,
      limit.limit >>> 24,
      (limit.limit >>> 16) & 0xff,
      (limit.limit >>> 8) & 0xff,
      limit.limit & 0xff,
    );
    this.log.warn(
      { neighbor: state.peer.address, family, accepted, limit: limit.limit },
      'max-prefix limit exceeded: closing the session (Cease 6/1)',
    );
    state.peer.stop(CeaseSubcode.maximumPrefixesReached, undefined, data);
    if (limit.restartSeconds > 0) {
      state.restartAfterLimit = setTimeout(() => {
        state.restartAfterLimit = null;
        state.maxPrefixWarned = false;
        state.peer.start();
      }, limit.restartSeconds * 1000);
    }
  }

  // ---------------------------------------------------------------- refresh

  routeRefresh(peer: Peer, message: RouteRefreshMessage): void {
    const state = this.peers.get(peer);
    const negotiated = state?.negotiated;
    if (state === undefined || negotiated === null || negotiated === undefined) return;
    const family = familyOf(message.afi, message.safi);
    if (family === null || !negotiated.families.includes(family)) return;
    switch (message.subtype) {
      case RouteRefreshSubtype.normal:
        // Inbound ROUTE-REFRESH: send the family again.
        state.out?.queueFamily(family, negotiated.enhancedRouteRefresh);
        this.scheduleDrain(state, 0);
        break;
      case RouteRefreshSubtype.beginning:
        // RFC 7313 §4: routes not re-sent before EoRR are stale.
        this.rib.markStale(state.source.id, family);
        state.staleFamilies.add(family);
        this.armStaleTimer(state, family);
        break;
      case RouteRefreshSubtype.end:
        if (state.staleFamilies.has(family)) this.sweep(state, family, 'EoRR received');
        break;
      default:
        // RFC 7313 §5: other subtypes are ignored.
        break;
    }
  }

  /** Outbound ROUTE-REFRESH: asks the peer to send a family again (RFC 2918). */
  requestRefresh(peer: Peer, family: AddressFamily): boolean {
    const state = this.peers.get(peer);
    const session = peer.established;
    if (state === undefined || session === null || state.negotiated?.routeRefresh !== true) return false;
    if (!state.negotiated.families.includes(family)) return false;
    const { afi, safi } = familyAfiSafi(family);
    session.send({ type: 'routeRefresh', afi, safi, subtype: RouteRefreshSubtype.normal });
    return true;
  }

  // ---------------------------------------------------------------- origination

  /** Announces (or replaces) a local route. Throws on a prefix that does not parse (validated earlier). */
  originate(route: LocalRoute): void {
    const parsed = parsePrefix(route.prefix);
    if (parsed === null) throw new Error(`not a prefix: ${route.prefix}`);
    const key = canonicalPrefix(parsed);
    const stored = { ...route, prefix: key };
    (route.origin === 'runtime' ? this.runtime : this.configured).set(key, stored);
    if (route.origin === 'config' && this.runtime.has(key)) return; // the runtime one stays in effect
    this.announceLocal(parsed, stored);
  }

  private announceLocal(parsed: ParsedPrefix, route: LocalRoute): void {
    const family: AddressFamily = parsed.afi === 1 ? 'ipv4-unicast' : 'ipv6-unicast';
    const attributes: PathAttributes = {
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
    this.rib.announce(LOCAL_SOURCE, family, singlePrefix(parsed), attributes, route.nextHop);
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
      if (configured !== undefined) this.announceLocal(parsed, configured);
      else
        this.rib.withdraw(
          LOCAL_SOURCE,
          parsed.afi === 1 ? 'ipv4-unicast' : 'ipv6-unicast',
          singlePrefix(parsed),
        );
      return true;
    }
    if (origin === 'runtime' || !this.configured.delete(key)) return false;
    if (!this.runtime.has(key))
      this.rib.withdraw(
        LOCAL_SOURCE,
        parsed.afi === 1 ? 'ipv4-unicast' : 'ipv6-unicast',
        singlePrefix(parsed),
      );
    return true;
  }

  /** The local routes in effect. */
  localRoutes(): LocalRoute[] {
    const effective = new Map(this.configured);
    for (const [key, route] of this.runtime) effective.set(key, route);
    return [...effective.values()];
  }

  /**
   * Applies the configured `originate:` list: configured routes no longer
   * listed go, new or changed ones are announced; runtime additions stay.
   */
  syncConfigOrigination(configured: readonly OriginateConfig[]): void {
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

  /** Stops all timers (agent shutdown). */
  close(): void {
    for (const state of this.peers.values()) {
      this.closeOut(state);
      this.clearTimers(state);
    }
  }
}

function sessionError(subcode: number, reason: string): BgpError {
  return { code: 3, subcode, data: new Uint8Array(0), action: 'treat-as-withdraw', reason };
}

/** RFC 6793 §4.1: a NEW speaker ignores AS4_PATH/AS4_AGGREGATOR from a NEW speaker. */
function withoutAs4(attributes: PathAttributes): PathAttributes {
  if (attributes.as4Path === undefined && attributes.as4Aggregator === undefined) return attributes;
  return { ...attributes, as4Path: undefined, as4Aggregator: undefined };
}

/** RFC 6793 §4.2.3: the real AS path and aggregator of a route from an OLD (2-octet) speaker. */
function withAs4Merged(attributes: PathAttributes): PathAttributes {
  const asPath =
    attributes.asPath === undefined ? undefined : mergeAs4Path(attributes.asPath, attributes.as4Path);
  const aggregator =
    attributes.aggregator !== undefined &&
    attributes.aggregator.asn === AS_TRANS &&
    attributes.as4Aggregator !== undefined
      ? attributes.as4Aggregator
      : attributes.aggregator;
  return { ...attributes, asPath, aggregator, as4Path: undefined, as4Aggregator: undefined };
}

/** "10.233.1.0/24": the prefix with host bits cleared, IPv6 in RFC 5952 form. */
function canonicalPrefix(parsed: ParsedPrefix): string {
  return prefixToString(singlePrefix(parsed), 0);
}
