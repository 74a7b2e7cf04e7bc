// Between the sessions and the RIB, executing what the pure protocol modules
// decide per neighbor: UPDATEs checked in their session's context
// (src/bgp/validate.ts) go into the RIB; End-of-RIB and ROUTE-REFRESH drive
// the Graceful Restart and Enhanced Route Refresh machines (graceful-restart.ts,
// enhanced-refresh.ts), whose actions touch the RIB and arm timers; accepted
// counts go through the max-prefix check; an Established neighbor joins its
// update group. Timer work runs under the neighbor's guard: a throw resets that session.

import type { BgpError } from '../bgp/codec/errors.js';
import { RouteRefreshSubtype } from '../bgp/codec/iana.js';
import type { EncodeError } from '../bgp/codec/pack.js';
import type { RouteRefreshMessage } from '../bgp/codec/route-refresh.js';
import { endOfRibFamily, type UpdateMessage } from '../bgp/codec/update.js';
import { type AddressFamily, familyOf } from '../bgp/family.js';
import type { DownReason } from '../bgp/fsm.js';
import type { MaxPrefixLimit } from '../bgp/max-prefix.js';
import type { NegotiatedSession } from '../bgp/negotiation.js';
import type { Peer } from '../bgp/peer.js';
import type { LogSink } from '../log/logger.js';
import { parseIpv4 } from '../net/ip.js';
import type { GroupMember } from '../rib/group-member.js';
import type { Policy } from '../rib/policy.js';
import type { Rib, Source } from '../rib/rib.js';
import { groupSpecOf, memberOptionsOf } from './group-spec.js';
import { receiveUpdate } from './inbound-update.js';
import { NamedTimers } from './named-timers.js';
import { PrefixLimit } from './prefix-limit.js';
import type { RibJobs } from './rib-jobs.js';
import { StaleRoutes } from './stale-routes.js';
import type { UpdateGroups } from './update-groups.js';

export interface PeerPolicies {
  readonly importPolicy: Policy;
  readonly exportPolicy: Policy;
  readonly nextHopSelf: boolean;
  readonly enforceFirstAs: boolean;
  readonly maxPrefix: MaxPrefixLimit | null;
  readonly staleRoutesTimeSeconds: number;
}

/** What the executor reports besides its log lines (metrics). */
export interface RoutingEvents {
  /** A prefix could not be encoded for a neighbor and is not sent to it. */
  refused(neighbor: string, error: EncodeError): void;
  /** An exception escaped work done for a neighbor; its session is being reset. */
  internalError(peer: Peer | null, error: unknown, where: string): void;
}

interface PeerRouting {
  readonly peer: Peer;
  readonly source: Source;
  policies: PeerPolicies;
  negotiated: NegotiatedSession | null;
  /** Its place in an update group while Established. */
  out: GroupMember | null;
  readonly stale: StaleRoutes;
  readonly prefixLimit: PrefixLimit;
  readonly timers: NamedTimers;
  /** Families whose End-of-RIB arrived in the current session. */
  readonly endOfRib: Set<AddressFamily>;
}

export class Routing {
  private readonly peers = new Map<Peer, PeerRouting>();
  private readonly endOfRibListeners: ((peer: Peer, family: AddressFamily) => void)[] = [];
  private staleReleased: (peer: Peer) => void = () => {};

  constructor(
    readonly rib: Rib,
    private readonly log: LogSink,
    private readonly events: RoutingEvents,
    /** The update groups Established neighbors join. */
    readonly groups: UpdateGroups,
    /** Whole-table RIB work (flushes, sweeps, re-decisions), a slice at a time. */
    readonly jobs: RibJobs,
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
    const timers = new NamedTimers((work) => this.guard(state, 'timer', work));
    const state: PeerRouting = {
      peer,
      source,
      policies,
      negotiated: null,
      out: null,
      stale: new StaleRoutes(
        this.rib,
        source.id,
        peer.address,
        timers,
        this.jobs,
        this.log,
        () => state.policies.staleRoutesTimeSeconds,
        () => this.staleReleased(peer),
      ),
      prefixLimit: new PrefixLimit(peer, timers, this.log),
      timers,
      endOfRib: new Set(),
    };
    this.peers.set(peer, state);
  }

  /** Forgets a neighbor: its routes are withdrawn. */
  removePeer(peer: Peer): void {
    const state = this.peers.get(peer);
    if (state === undefined) return;
    this.closeOut(state);
    state.timers.stopAll();
    this.jobs.run(this.rib.removeSource(state.source.id));
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
    if (importChanged) this.jobs.run(this.rib.reapplyImport(state.source.id));
    const session = peer.established;
    if (exportChanged && state.out !== null && state.negotiated !== null && session !== null) {
      // Another group, and exactly the difference: withdrawals for what the
      // new policy no longer allows, announcements for what it now does.
      this.groups.move(state.out, groupSpecOf(peer, state.source.id, session, state.negotiated, policies));
    }
  }

  sourceOf(peer: Peer): Source | undefined {
    return this.peers.get(peer)?.source;
  }

  /** The neighbor's place in its update group while Established (for `rib show --out`, counts). */
  groupMember(peer: Peer): GroupMember | null {
    return this.peers.get(peer)?.out ?? null;
  }

  /** Told when a neighbor's End-of-RIB arrives (RFC 4724 §2). */
  onEndOfRib(listener: (peer: Peer, family: AddressFamily) => void): void {
    this.endOfRibListeners.push(listener);
  }

  /** Told when Graceful Restart stops keeping a neighbor's routes stale (swept, flushed or refreshed). */
  onStaleReleased(listener: (peer: Peer) => void): void {
    this.staleReleased = listener;
  }

  /** True while Graceful Restart keeps some of the neighbor's routes as stale (RFC 4724 §4.2). */
  holdsStaleRoutes(peer: Peer): boolean {
    return (this.peers.get(peer)?.stale.staleFamilies.length ?? 0) > 0;
  }

  /** True when the neighbor's End-of-RIB arrived for every family of its current session. */
  hasAllEndOfRib(peer: Peer): boolean {
    const state = this.peers.get(peer);
    if (state === undefined || state.negotiated === null) return false;
    return state.negotiated.families.every((family) => state.endOfRib.has(family));
  }

  // ---------------------------------------------------------------- sessions

  established(peer: Peer, negotiated: NegotiatedSession): void {
    const state = this.peers.get(peer);
    if (state === undefined) return;
    state.negotiated = negotiated;
    state.endOfRib.clear();
    state.prefixLimit.reset();
    state.source.info.routerId = parseIpv4(negotiated.peerRouterId) ?? 0;
    state.stale.established(negotiated);
    this.openOut(state, negotiated);
  }

  down(peer: Peer, reason: DownReason): void {
    const state = this.peers.get(peer);
    if (state === undefined) return;
    this.closeOut(state);
    const negotiated = state.negotiated;
    state.negotiated = null;
    state.stale.down(reason, negotiated);
  }

  writable(peer: Peer): void {
    const member = this.peers.get(peer)?.out;
    if (member !== undefined && member !== null) this.groups.writable(member);
  }

  // ---------------------------------------------------------------- UPDATEs

  update(peer: Peer, update: UpdateMessage, decodeErrors: readonly BgpError[]): void {
    const state = this.peers.get(peer);
    const negotiated = state?.negotiated;
    if (state === undefined || negotiated === null || negotiated === undefined) return;
    const eor = endOfRibFamily(update);
    if (eor !== null) {
      const family = familyOf(eor.afi, eor.safi);
      if (family === null) return;
      state.stale.restartEvent({ type: 'end-of-rib', family });
      state.endOfRib.add(family);
      for (const listener of this.endOfRibListeners) listener(peer, family);
      return;
    }
    receiveUpdate(this.rib, this.log, peer, state, negotiated, update, decodeErrors);
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
        // Inbound ROUTE-REFRESH (RFC 2918): send the family again.
        if (state.out !== null) this.groups.refresh(state.out, family);
        break;
      case RouteRefreshSubtype.beginning:
      case RouteRefreshSubtype.end:
        // RFC 7313 §4: the neighbor's BoRR/EoRR bracket its re-advertisement.
        state.stale.refreshEvent({
          type: message.subtype === RouteRefreshSubtype.end ? 'end' : 'begin',
          family,
        });
        break;
      default:
        // RFC 7313 §5: other subtypes are ignored.
        break;
    }
  }

  // ---------------------------------------------------------------- Adj-RIB-Out

  private openOut(state: PeerRouting, negotiated: NegotiatedSession): void {
    const session = state.peer.established;
    if (session === null) return;
    const { peer, source, policies } = state;
    state.out = this.groups.join(
      memberOptionsOf(peer, source.id, session, negotiated),
      groupSpecOf(peer, source.id, session, negotiated, policies),
      (error) => {
        this.events.internalError(peer, error, 'update group');
        peer.resetAfterInternalError('update group');
      },
    );
  }

  private closeOut(state: PeerRouting): void {
    if (state.out !== null) this.groups.leave(state.out);
    state.out = null;
  }

  /** Runs work done for one neighbor from a timer: a throw resets that session (Cease/Out of Resources). */
  private guard(state: PeerRouting, where: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.events.internalError(state.peer, error, where);
      state.peer.resetAfterInternalError(where);
    }
  }

  /** Stops all timers (agent shutdown). */
  close(): void {
    for (const state of this.peers.values()) {
      this.closeOut(state);
      state.timers.stopAll();
    }
    this.groups.close();
    this.jobs.close();
  }
}
