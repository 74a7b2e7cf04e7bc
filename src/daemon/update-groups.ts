// The update groups of the running agent (src/rib/update-group.ts): which
// group a neighbor belongs to, and the event-loop side of each group. A
// group's changes are coalesced for the advertisement interval (MRAI-like,
// RFC 4271 §9.2.1.1), then computed and written in slices of a few
// milliseconds, yielding between slices, so a full-table burst never holds
// the event loop (keepalives, other sessions, the control API) for long.

import type { CodecContext } from '../bgp/codec/context.js';
import type { EncodeError } from '../bgp/codec/pack.js';
import type { AddressFamily } from '../bgp/family.js';
import type { LogSink } from '../log/logger.js';
import type { AttributeEncodingCache } from '../rib/encoding-cache.js';
import type { ExportTarget } from '../rib/export.js';
import { Baseline, GroupMember, type GroupMemberOptions } from '../rib/group-member.js';
import type { Rib } from '../rib/rib.js';
import { serveInTurn } from '../rib/serve-in-turn.js';
import { type Member, UpdateGroup } from '../rib/update-group.js';
import { roundRobin } from '../util/round-robin.js';
import { turnBudget } from '../util/turn-budget.js';
import type { RibJobs } from './rib-jobs.js';

/**
 * Time a group would like to compute, and then write, in one turn before it
 * yields to the event loop; all groups and RIB jobs together stay within
 * the turn's shared budget (src/util/turn-budget.ts).
 */
const SLICE_MS = 4;

/** What decides a neighbor's group: everything its UPDATEs depend on. */
export interface GroupSpec {
  readonly target: ExportTarget;
  readonly sendContext: CodecContext;
  readonly families: readonly AddressFamily[];
}

/** The group key: neighbors with equal keys get byte-identical UPDATEs. */
export function groupKey(spec: GroupSpec): string {
  const { target, sendContext } = spec;
  return JSON.stringify([
    spec.families,
    target.external,
    target.routeReflectorClient,
    target.asn4,
    target.nextHopSelf,
    target.localNextHops,
    target.policy.description,
    sendContext.asn4,
    sendContext.addPathIpv4,
    sendContext.addPathIpv6,
    sendContext.maxMessageLength,
    sendContext.peerType,
  ]);
}

export interface UpdateGroupsOptions {
  readonly rib: Rib;
  readonly encodings: AttributeEncodingCache;
  readonly advertisementIntervalMs: number;
  readonly log: LogSink;
  /** A prefix is not sent to these neighbors: its attributes do not fit their context. */
  readonly refused: (neighbors: readonly string[], error: EncodeError) => void;
  /** Where prefix ids are reclaimed (a RIB job that asks every group first). */
  readonly jobs: RibJobs;
}

const performanceNow = (): number => performance.now();

/** How often ids of prefixes with no route left are handed back. */
const RECLAIM_INTERVAL_MS = 1000;

interface Entry {
  readonly key: string;
  readonly group: UpdateGroup;
  timer: NodeJS.Timeout | null;
  /** In the next turn's round of ready groups. */
  ready: boolean;
  /** Its place in the round-robin (creation order). */
  readonly order: number;
  /** Turns served so far: which member goes first in the next one. */
  serveFrom: number;
}

export class UpdateGroups {
  private readonly entries = new Map<string, Entry>();
  /** Groups with work for the next turn, and that turn's callback. */
  private readonly ready = new Set<Entry>();
  private readyTurn: NodeJS.Immediate | null = null;
  /** The order of the group served first in the last round: the next round starts after it. */
  private cursor = -1;
  private nextOrder = 0;
  private readonly byGroup = new Map<UpdateGroup, Entry>();
  /** What to do when a group's work throws: reset that member's session. */
  private readonly onInternalError = new WeakMap<Member, (error: unknown) => void>();
  private readonly reclaimTimer: NodeJS.Timeout;

  constructor(private readonly options: UpdateGroupsOptions) {
    // Prefix ids whose last route went are handed back once no group needs them.
    this.reclaimTimer = setInterval(() => {
      const { jobs, rib } = this.options;
      if (jobs.pending === 0)
        jobs.run(rib.reclaimPrefixes([...this.byGroup.keys()]), undefined, { background: true });
    }, RECLAIM_INTERVAL_MS);
    this.reclaimTimer.unref();
  }

  /** The number of groups and of members in each, for logs and metrics. */
  get sizes(): number[] {
    return [...this.entries.values()].map((entry) => entry.group.members.length);
  }

  /**
   * A neighbor whose session came up joins the group its spec says.
   * `onInternalError`: a bug in the group's work; the neighbor's session is
   * reset (its group is dropped, every member resyncs).
   */
  join(member: GroupMemberOptions, spec: GroupSpec, onInternalError: (error: unknown) => void): GroupMember {
    const joined = new GroupMember(member);
    this.onInternalError.set(joined, onInternalError);
    const entry = this.entryFor(spec);
    joined.join(entry.group);
    this.schedule(entry, 0);
    return joined;
  }

  /** The neighbor's session went down. */
  leave(member: GroupMember): void {
    const group = member.currentGroup;
    member.leave();
    if (group !== null) this.dropIfEmpty(group);
  }

  /**
   * The neighbor's export settings changed (config reload): it moves to the
   * group of its new spec and is sent exactly the difference.
   */
  move(member: GroupMember, spec: GroupSpec): void {
    const from = member.currentGroup;
    const key = groupKey(spec);
    if (from === null || this.byGroup.get(from)?.key === key) return;
    const baseline = member.fresh ? null : Baseline.of(from, member.knownSeq);
    member.leave();
    this.dropIfEmpty(from);
    const entry = this.entryFor(spec);
    member.join(entry.group, baseline);
    this.schedule(entry, 0);
  }

  /** The member's socket takes more. */
  writable(member: GroupMember): void {
    const group = member.currentGroup;
    const entry = group === null ? undefined : this.byGroup.get(group);
    if (entry !== undefined) this.schedule(entry, 0);
  }

  /** The member asked for a family again (ROUTE-REFRESH). */
  refresh(member: GroupMember, family: AddressFamily): void {
    member.refresh(family);
    this.writable(member);
  }

  close(): void {
    clearInterval(this.reclaimTimer);
    if (this.readyTurn !== null) clearImmediate(this.readyTurn);
    this.readyTurn = null;
    for (const entry of this.entries.values()) this.closeEntry(entry);
  }

  private entryFor(spec: GroupSpec): Entry {
    const key = groupKey(spec);
    const existing = this.entries.get(key);
    if (existing !== undefined) return existing;
    const options = this.options;
    const rib = options.rib;
    let entry: Entry | undefined;
    const group = new UpdateGroup({
      rib,
      target: spec.target,
      exportContext: {
        localAsn: rib.decisionOptions.localAsn,
        localRouterId: rib.routerId,
        clusterId: rib.clusterId,
      },
      sendContext: spec.sendContext,
      families: spec.families,
      encodings: options.encodings,
      onPending: () => {
        if (entry !== undefined) this.schedule(entry, options.advertisementIntervalMs);
      },
      onRefused: (family, prefix, error, members) => {
        const neighbors = members.map((member) => member.name);
        // Once per prefix and group: the group remembers what it refused.
        options.log.warn(
          { neighbors, family, prefix, reason: error.kind },
          `not sent to ${neighbors.join(', ')}: ${prefix}: ${error.reason}`,
        );
        options.refused(neighbors, error);
      },
    });
    entry = { key, group, timer: null, ready: false, order: this.nextOrder++, serveFrom: 0 };
    this.entries.set(key, entry);
    this.byGroup.set(group, entry);
    return entry;
  }

  private dropIfEmpty(group: UpdateGroup): void {
    if (group.members.length > 0) return;
    const entry = this.byGroup.get(group);
    if (entry !== undefined) this.closeEntry(entry);
  }

  private closeEntry(entry: Entry): void {
    if (entry.timer !== null) clearTimeout(entry.timer);
    entry.timer = null;
    entry.ready = false;
    this.ready.delete(entry);
    // Letting go of what it advertised is housekeeping: whatever time a turn has left.
    this.options.jobs.run(entry.group.close(), undefined, { background: true });
    this.entries.delete(entry.key);
    this.byGroup.delete(entry.group);
  }

  /** A turn of the group after `delayMs` (0: at the next turn of the event loop). */
  private schedule(entry: Entry, delayMs: number): void {
    if (entry.ready) return;
    if (delayMs === 0) {
      if (entry.timer !== null) clearTimeout(entry.timer);
      entry.timer = null;
      entry.ready = true;
      this.ready.add(entry);
      this.readyTurn ??= setImmediate(() => this.runReady());
      return;
    }
    if (entry.timer !== null) return;
    entry.timer = setTimeout(() => {
      entry.timer = null;
      // Timers of many groups fire in the same turn: each used to take at
      // least its minimum slice, so ten groups made a 30+ ms turn. Once
      // the turn's budget is spent they join the round robin instead.
      if (turnBudget.left() <= 0) this.schedule(entry, 0);
      else this.turn(entry);
    }, delayMs);
  }

  /**
   * One turn for every ready group, the first one rotating: the groups share
   * the turn's budget (util/turn-budget.ts), and whoever goes first gets the
   * most of it, so no group is always last and its members starved.
   */
  private runReady(): void {
    this.readyTurn = null;
    const round = roundRobin([...this.ready], this.cursor);
    this.ready.clear();
    this.cursor = round.cursor;
    for (const entry of round.order) entry.ready = false;
    round.order.forEach((entry, k) => {
      // Once the turn's budget is spent the rest wait for the next round
      // (one of them goes first there): big slices for few groups per turn
      // cost less than a sliver for each.
      if (k > 0 && turnBudget.left() <= 0) this.schedule(entry, 0);
      else this.turn(entry);
    });
  }

  /** One slice of a group's work: compute changes, then write to members; yields when time is up. */
  private turn(entry: Entry): void {
    const group = entry.group;
    if (!this.byGroup.has(group)) return;
    try {
      // Computing and writing each get half of what the shared budget allows this turn.
      const more = group.process(turnBudget.deadline(SLICE_MS));
      serveInTurn(group.members, entry.serveFrom++, turnBudget.deadline(SLICE_MS), performanceNow);
      group.trimLog();
      const pending = group.members.some((member) => member.hasWork && member.writable);
      if (more || pending) this.schedule(entry, 0);
    } catch (error) {
      // A bug in the group's work: its members' sessions are reset (they
      // come back and resync); other groups and sessions go on.
      const members = [...group.members];
      this.closeEntry(entry);
      for (const member of members) this.onInternalError.get(member)?.(error);
    }
  }
}
