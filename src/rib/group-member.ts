// One neighbor in an update group (update-group.ts): where it stands in the
// group's stream and how it catches up. A member is
//   waiting   until the group has computed its initial table;
//   scanning  the group's table for what it lacks: everything (it is new,
//             or asked for a ROUTE-REFRESH), the prefixes changed since the
//             last round it has (it fell behind the log), or the difference
//             from what an earlier group sent it (its policy changed); it
//             packs those UPDATEs for itself;
//   reading   the group's shared log from its cursor (knownSeq: it has
//             every change up to that round).
// It writes only while its socket takes more (UpdateSink.canWrite), so a
// slow member waits on its own without holding the others back.

import { RouteRefreshSubtype } from '../bgp/codec/iana.js';
import { encodeMessage } from '../bgp/codec/message.js';
import { endOfRib } from '../bgp/codec/update.js';
import { type AddressFamily, familyAfiSafi } from '../bgp/family.js';
import type { Rib } from './rib.js';
import {
  advertisedOf,
  type GroupFamily,
  type Member,
  NOT_ADVERTISED,
  ROUND_PREFIXES,
  type UpdateGroup,
} from './update-group.js';

/** Where the UPDATEs go (the member's Established session). */
export interface UpdateSink {
  readonly canWrite: boolean;
  /** Writes whole messages; false when the socket is above its mark (stop until writable). */
  write(bytes: Uint8Array, messageCount: number): boolean;
}

/** A baseline entry whose value the member cannot know (changed after what it had). */
const UNKNOWN = -2;
/** Prefix ids looked at per scan slice, at most. */
const SCAN_SLICE = 65_536;

/**
 * What an earlier group had sent the member, when it moves to another
 * group: per family the outgoing sets (held while the baseline lives) and
 * when each prefix last changed, and the last round the member had.
 */
export class Baseline {
  constructor(
    private readonly rib: Rib,
    private readonly tables: ReadonlyMap<AddressFamily, { advertised: Int32Array; changedAt: Uint32Array }>,
    private readonly knownSeq: number,
    private readonly held: readonly number[],
  ) {}

  /** A copy of what `group` had sent a member that had every round up to `knownSeq`. */
  static of(group: UpdateGroup, knownSeq: number): Baseline {
    const tables = new Map<AddressFamily, { advertised: Int32Array; changedAt: Uint32Array }>();
    const held = new Set<number>();
    for (const f of group.families) {
      // Only the prefix ids handed out so far: the columns' room past them is empty.
      const end = group.prefixEnd(f);
      const advertised = new Int32Array(end);
      for (let p = 0; p < end; p++) {
        const set = advertisedOf(f, p);
        advertised[p] = set;
        if (set !== NOT_ADVERTISED) held.add(set);
      }
      tables.set(f.family, { advertised, changedAt: f.changedAt.slice(0, end) });
    }
    for (const set of held) group.rib.attrs.retain(set);
    return new Baseline(group.rib, tables, knownSeq, [...held]);
  }

  /** The set the member has for `p` (or NOT_ADVERTISED), or UNKNOWN. */
  had(family: AddressFamily, p: number): number {
    const table = this.tables.get(family);
    if (table === undefined || p >= table.advertised.length) return NOT_ADVERTISED;
    if ((table.changedAt[p] as number) > this.knownSeq) return UNKNOWN;
    return table.advertised[p] as number;
  }

  release(): void {
    for (const set of this.held) this.rib.attrs.release(set);
  }
}

type ScanKind = 'everything' | 'changed-since' | 'difference';

interface Scan {
  readonly kind: ScanKind;
  readonly families: readonly AddressFamily[];
  /** changed-since: the last round the member has. */
  readonly since: number;
  /**
   * The group's last round when the scan's first slice ran (null before):
   * what the member has once it ends. A scan waiting on a full socket reads
   * the table as it is when it runs, not as it was when it was asked for.
   */
  startSeq: number | null;
  /** A ROUTE-REFRESH answer: framed by BoRR/EoRR with Enhanced Route Refresh (RFC 7313 §4). */
  readonly refresh: boolean;
  familyIndex: number;
  position: number;
}

export interface GroupMemberOptions {
  /** The neighbor's address, for logs. */
  readonly name: string;
  /** The neighbor's RIB source (a group of one leaves its routes out). */
  readonly sourceId: number;
  readonly sink: UpdateSink;
  readonly enhancedRouteRefresh: boolean;
}

export class GroupMember implements Member {
  readonly name: string;
  readonly sourceId: number;
  private readonly sink: UpdateSink;
  private readonly enhancedRouteRefresh: boolean;
  private group: UpdateGroup | null = null;
  private mode: 'waiting' | 'scanning' | 'reading' = 'waiting';
  private scan: Scan | null = null;
  private baseline: Baseline | null = null;
  private endOfRibPending = true;
  private readonly refreshes: AddressFamily[] = [];
  private readonly withdrawn: number[] = [];
  private readonly buckets = new Map<number, number[]>();
  /** The member has every change up to this round of its group. */
  knownSeq = 0;
  /** Prefixes advertised to this neighbor (as of what it has been sent). */
  advertised = 0;

  constructor(options: GroupMemberOptions) {
    this.name = options.name;
    this.sourceId = options.sourceId;
    this.sink = options.sink;
    this.enhancedRouteRefresh = options.enhancedRouteRefresh;
  }

  get currentGroup(): UpdateGroup | null {
    return this.group;
  }

  /** The member's socket takes more now. */
  get writable(): boolean {
    return this.sink.canWrite;
  }

  get readsLog(): boolean {
    return this.mode === 'reading';
  }

  /** Something to send once the socket takes more. */
  get hasWork(): boolean {
    const group = this.group;
    if (group === null) return false;
    if (this.mode !== 'reading') return true;
    return this.knownSeq < group.seq || this.refreshes.length > 0 || this.endOfRibPending;
  }

  /**
   * Joins `group`. `baseline`: what an earlier group sent it (the member
   * then gets only the difference); without one it gets the whole table
   * and End-of-RIB.
   */
  join(group: UpdateGroup, baseline: Baseline | null = null): void {
    this.group = group;
    this.mode = 'waiting';
    this.scan = null;
    this.baseline = baseline;
    // A member that moves keeps owing End-of-RIB if its old group still owed it.
    if (baseline === null) this.endOfRibPending = true;
    this.knownSeq = 0;
    group.add(this);
  }

  /** It has been sent nothing yet (a move needs no baseline then). */
  get fresh(): boolean {
    return this.mode === 'waiting' && this.baseline === null;
  }

  /** Leaves the group (session down, or moving on: see Baseline.of first). */
  leave(): void {
    this.group?.remove(this);
    this.group = null;
    this.baseline?.release();
    this.baseline = null;
    this.scan = null;
  }

  hasSeen(seq: number): boolean {
    // A new member is sent what is advertised, never a withdrawal: it needs no old id.
    if (this.mode === 'waiting') return this.baseline === null;
    const scan = this.scan;
    if (scan !== null) {
      if (scan.kind === 'difference') return false;
      if (scan.kind === 'everything' && !scan.refresh) return true;
    }
    return this.knownSeq >= seq;
  }

  /** The log no longer has what this member lacks: catch up from the table instead. */
  fallBehind(): void {
    const group = this.group;
    if (group === null || this.mode !== 'reading') return;
    this.startScan(
      'changed-since',
      group.families.map((f) => f.family),
      false,
    );
  }

  /** Sends `family` again (ROUTE-REFRESH, RFC 2918), after what is under way. */
  refresh(family: AddressFamily): void {
    if (!this.refreshes.includes(family)) this.refreshes.push(family);
  }

  /**
   * One piece of what the member lacks: a chunk of the log, a slice of a
   * table scan, or End-of-RIB. Pieces are dealt out to a group's members
   * in turn (serve-in-turn.ts), so one whose socket takes everything does
   * not starve the others. False when it has nothing more to write for now.
   */
  step(): boolean {
    const group = this.group;
    if (group === null) return false;
    if (this.mode === 'waiting') {
      if (group.initialSeq === null) return false;
      this.startScan(
        this.baseline === null ? 'everything' : 'difference',
        group.families.map((f) => f.family),
        false,
      );
    }
    if (this.mode === 'scanning') {
      this.scanSlice(group);
      return true;
    }
    const chunk = group.chunkAfter(this.knownSeq);
    if (chunk === null) {
      this.fallBehind();
      return true;
    }
    if (chunk === undefined) {
      // At the head: a refresh asked for, or End-of-RIB owed.
      const family = this.refreshes.shift();
      if (family !== undefined) {
        this.startScan('everything', [family], true);
        return true;
      }
      this.sendEndOfRib(group);
      return false;
    }
    if (chunk.messageCount > 0) this.sink.write(chunk.bytes, chunk.messageCount);
    this.knownSeq = chunk.seq;
    this.advertised = chunk.advertisedAfter;
    return true;
  }

  private startScan(kind: ScanKind, families: readonly AddressFamily[], refresh: boolean): void {
    if (refresh && this.enhancedRouteRefresh) {
      for (const family of families) this.writeRefreshMarker(family, RouteRefreshSubtype.beginning);
    }
    if (kind === 'everything' && !refresh) this.advertised = 0;
    this.mode = 'scanning';
    this.scan = {
      kind,
      families,
      since: this.knownSeq,
      startSeq: null,
      refresh,
      familyIndex: 0,
      position: 0,
    };
  }

  /** Looks at one slice of prefixes and writes what the member lacks among them. */
  private scanSlice(group: UpdateGroup): void {
    const scan = this.scan as Scan;
    scan.startSeq ??= group.seq;
    const family = scan.families[scan.familyIndex];
    const f = family === undefined ? undefined : group.familyOf(family);
    if (family === undefined || f === undefined) {
      this.finishScan(group, scan);
      return;
    }
    const prefixEnd = group.prefixEnd(f);
    const end = Math.min(prefixEnd, scan.position + SCAN_SLICE);
    let taken = 0;
    let p = scan.position;
    for (; p < end && taken < ROUND_PREFIXES; p++) {
      if (this.lacks(scan, f, family, p)) taken++;
    }
    scan.position = p;
    if (p >= prefixEnd) {
      scan.familyIndex++;
      scan.position = 0;
    }
    if (taken === 0) return;
    const packed = group.packer.pack(family, group.sendContext, this.withdrawn, this.buckets);
    this.withdrawn.length = 0;
    this.buckets.clear();
    if (packed !== null) this.sink.write(packed.bytes, packed.messageCount);
  }

  /** Whether prefix `p` must be sent (queued in this.withdrawn or this.buckets). */
  private lacks(scan: Scan, f: GroupFamily, family: AddressFamily, p: number): boolean {
    const now = advertisedOf(f, p);
    let had: number;
    switch (scan.kind) {
      case 'everything':
        had = NOT_ADVERTISED;
        break;
      case 'changed-since':
        if ((f.changedAt[p] as number) <= scan.since) return false;
        had = UNKNOWN;
        break;
      case 'difference':
        had = (this.baseline as Baseline).had(family, p);
        break;
    }
    if (now === had) return false;
    if (now === NOT_ADVERTISED) {
      if (had === NOT_ADVERTISED) return false;
      this.withdrawn.push(p);
      return true;
    }
    let bucket = this.buckets.get(now);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(now, bucket);
    }
    bucket.push(p);
    if (scan.kind === 'everything' && !scan.refresh) this.advertised++;
    return true;
  }

  private finishScan(group: UpdateGroup, scan: Scan): void {
    if (scan.refresh) {
      if (this.enhancedRouteRefresh)
        for (const family of scan.families) this.writeRefreshMarker(family, RouteRefreshSubtype.end);
    } else {
      this.knownSeq = scan.startSeq ?? group.seq;
      this.advertised = group.advertisedCount;
      this.baseline?.release();
      this.baseline = null;
    }
    this.scan = null;
    this.mode = 'reading';
    this.sendEndOfRib(group);
  }

  /** RFC 4724 §2: End-of-RIB once the member has the group's initial table. */
  private sendEndOfRib(group: UpdateGroup): void {
    if (!this.endOfRibPending || group.initialSeq === null || this.knownSeq < group.initialSeq) return;
    this.endOfRibPending = false;
    for (const f of group.families) {
      const { afi, safi } = familyAfiSafi(f.family);
      this.sink.write(encodeMessage(endOfRib(afi, safi), group.sendContext), 1);
    }
  }

  private writeRefreshMarker(family: AddressFamily, subtype: number): void {
    const group = this.group as UpdateGroup;
    const { afi, safi } = familyAfiSafi(family);
    this.sink.write(encodeMessage({ type: 'routeRefresh', afi, safi, subtype }, group.sendContext), 1);
  }
}
