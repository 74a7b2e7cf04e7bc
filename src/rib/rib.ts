// The RIB: every route from every source (Adj-RIB-In, pre- and post-import
// policy), the decision per prefix (Loc-RIB: best path and the ECMP set), and
// the change queues consumers drain. Per prefix the candidate routes form a
// list kept in preference order, so the best path is the head and the ECMP
// set is the run of equal routes behind it.
//
// Single-threaded and synchronous: callers (the routing adapter) feed it
// decoded UPDATEs and origination, and schedule the consumers.

import type { PathAttributes } from '../bgp/codec/attribute-types.js';
import type { PrefixAfi, Prefixes } from '../bgp/codec/nlri.js';
import { type AddressFamily, addressFamilies, familyTable } from '../bgp/family.js';
import { parseIpv4, parseIpv6 } from '../net/ip.js';
import { PrefixTable, PrefixUser } from '../net/prefix-table.js';
import { grownCapacity, grownColumn } from '../util/capacity.js';
import { ChangeQueue } from '../util/change-queue.js';
import { type Clock, systemClock } from '../util/clock.js';
import { AttributeStore, type AttrSet } from './attribute-store.js';
import {
  type BestPathReason,
  type Candidate,
  compareCandidates,
  type DecisionOptions,
  equalForMultipath,
} from './decision.js';
import { ACCEPT_ALL, applySet, evaluatePolicy, type Policy } from './policy.js';
import { NO_ROUTE, REJECTED, RouteFlag, RouteStore } from './route-store.js';

export const LOCAL_SOURCE = 0;

/**
 * Work over the whole table (a session's routes removed, every prefix
 * decided again), done a slice at a time so the event loop is never held
 * for long: the daemon runs step() until it says done (rib-jobs.ts).
 */
export interface RibJob {
  /** Does up to `units` routes' or prefixes' worth of work; true when the job is done. */
  step(units: number): boolean;
  /** How many routes or prefixes it changed so far. */
  readonly done: number;
}

/** Where the marking of a source's routes in one family has got to (flushSource, markStale). */
interface Marking {
  /** sourceId * 2 + the family's index. */
  readonly key: number;
  readonly sourceId: number;
  readonly family: AddressFamily;
  /** RouteFlag.doomed (a flush) or RouteFlag.stale. */
  readonly flag: number;
  /** The route slot it looks at next. */
  route: number;
  /** Routes marked so far. */
  marked: number;
}

/** Runs a job to its end at once (tests, tools, shutdown). */
export function finish(job: RibJob): number {
  while (!job.step(Number.MAX_SAFE_INTEGER)) {
    // step() does everything it is given
  }
  return job.done;
}

export interface SourceInfo {
  readonly address: string;
  readonly asn: number;
  /** The peer's BGP identifier (numeric); 0 until the session is up. */
  routerId: number;
  readonly external: boolean;
  readonly routeReflectorClient: boolean;
  importPolicy: Policy;
}

export interface Source {
  readonly id: number;
  readonly info: SourceInfo;
  readonly addressKey: string;
  /** Routes held from this source (Adj-RIB-In), per family index (0 IPv4, 1 IPv6). */
  readonly received: [number, number];
  /** Of those, accepted by the import policy and loop checks. */
  readonly accepted: [number, number];
}

export interface RibOptions extends DecisionOptions {
  readonly localAsn: number;
  readonly routerId: string;
  readonly clusterId: string;
  readonly maxPaths: number;
}

/** How reachable a next hop is: a metric, or null when it is not (the route is then not eligible). */
export interface NextHopTracker {
  cost(family: AddressFamily, attr: AttrSet): number | null;
}

export const everythingReachable: NextHopTracker = { cost: () => 0 };

export type RejectReason =
  | 'policy'
  | 'as-path-loop'
  | 'originator-loop'
  | 'cluster-loop'
  | 'next-hop-unreachable';

export interface FamilyRib {
  readonly family: AddressFamily;
  readonly afi: PrefixAfi;
  readonly prefixes: PrefixTable;
  readonly routes: RouteStore;
  /** First route (best first) of each prefix's list, plus one: 0 means none, so the column needs no fill (src/util/capacity.ts). */
  headPlusOne: Int32Array;
  /** How many routes at the head are installed: 0 (none usable), 1 (best), or more (ECMP). */
  installed: Uint8Array;
  readonly queues: ChangeQueue[];
  /**
   * Prefix ids whose last route went: reclaimed once no consumer needs them
   * (reclaimPrefixes). Bitmaps, not lists: a full-table withdrawal lists a
   * million ids. A pass takes from one while ids that die meanwhile, and
   * those still needed, go to the other.
   */
  dead: ChangeQueue;
  deadSpare: ChangeQueue;
}

/**
 * A consumer that keeps state by prefix id beyond a change queue (an update
 * group): asked before an id of a prefix with no route left is reused.
 */
export interface PrefixHolder {
  /** Whether nothing it still has to send or show needs prefix id `p` of `family`. */
  canForget(family: AddressFamily, p: number): boolean;
  /** Drops whatever it kept for `p` (the id is reused next). */
  forget(family: AddressFamily, p: number): void;
}

/** A route as the API shows it. */
export interface RouteView {
  readonly route: number;
  readonly source: Source;
  readonly pathId: number;
  readonly attr: AttrSet;
  readonly rawAttr: AttrSet;
  readonly accepted: boolean;
  readonly eligible: boolean;
  readonly best: boolean;
  readonly installed: boolean;
  readonly stale: boolean;
  readonly learnedAt: number;
  /** Why it is not the best path, against the best (undefined for the best). */
  readonly lostBecause?: BestPathReason | RejectReason;
}

const familyIndex = (family: AddressFamily): 0 | 1 => familyTable[family].index;

function addressKey(address: string): string {
  const v4 = parseIpv4(address);
  if (v4 !== null) return `4${v4.toString(16).padStart(8, '0')}`;
  const v6 = parseIpv6(address);
  return v6 === null ? address : `6${Buffer.from(v6).toString('hex')}`;
}

function newFamily(family: AddressFamily): FamilyRib {
  const afi: PrefixAfi = familyTable[family].afi;
  return {
    family,
    afi,
    prefixes: new PrefixTable(afi),
    routes: new RouteStore(),
    headPlusOne: new Int32Array(1024),
    installed: new Uint8Array(1024),
    queues: [],
    dead: new ChangeQueue(),
    deadSpare: new ChangeQueue(),
  };
}

/** The first route (the best) of prefix `p`, or NO_ROUTE. */
export function headOf(f: FamilyRib, p: number): number {
  return (f.headPlusOne[p] ?? 0) - 1;
}

function setHead(f: FamilyRib, p: number, route: number): void {
  f.headPlusOne[p] = route + 1;
}

export class Rib {
  readonly attrs = new AttributeStore();
  private readonly families = Object.fromEntries(
    addressFamilies.map((family) => [family, newFamily(family)]),
  ) as Record<AddressFamily, FamilyRib>;
  private readonly sources: (Source | undefined)[] = [];
  private readonly startedAt: number;
  private tracker: NextHopTracker = everythingReachable;
  private readonly localAsn: number;
  readonly routerId: number;
  readonly clusterId: number;
  private options: RibOptions;
  // Scratch candidates for comparisons: filled from the arrays, never allocated per route.
  private readonly left: Candidate;
  private readonly right: Candidate;
  private readonly snapshot = new Int32Array(128);
  /** Markings of a source's routes under way (flushSource, markStale), by key. */
  private readonly markings = new Map<number, Marking>();

  constructor(
    options: RibOptions,
    /** Stamps routes (age, RFC 5004 oldest-path tie-break); a test passes its own. */
    private readonly clock: Clock = systemClock,
  ) {
    this.startedAt = clock.nowMs();
    this.options = options;
    this.localAsn = options.localAsn;
    this.routerId = parseIpv4(options.routerId) ?? 0;
    this.clusterId = parseIpv4(options.clusterId) ?? this.routerId;
    this.sources[LOCAL_SOURCE] = {
      id: LOCAL_SOURCE,
      info: {
        address: '',
        asn: options.localAsn,
        routerId: this.routerId,
        external: false,
        routeReflectorClient: false,
        importPolicy: ACCEPT_ALL,
      },
      addressKey: '',
      received: [0, 0],
      accepted: [0, 0],
    };
    const blank = this.attrs.intern({}, null);
    const candidate = (): Candidate => ({
      attr: blank,
      local: false,
      external: false,
      peerRouterId: 0,
      peerAddressKey: '',
      igpCost: 0,
      learnedAt: 0,
      pathId: 0,
    });
    this.left = candidate();
    this.right = candidate();
  }

  get decisionOptions(): RibOptions {
    return this.options;
  }

  /** Changes maxPaths and the MED/age options; every prefix is decided again by the returned job. */
  setOptions(options: RibOptions): RibJob {
    this.options = options;
    return this.redecideAll();
  }

  family(family: AddressFamily): FamilyRib {
    return this.families[family];
  }

  source(id: number): Source | undefined {
    return this.sources[id];
  }

  allSources(): Source[] {
    return this.sources.filter((s): s is Source => s !== undefined);
  }

  /** Seconds since the RIB started (the clock routes are stamped with). */
  now(): number {
    return Math.floor((this.clock.nowMs() - this.startedAt) / 1000);
  }

  /** The RIB's clock, in milliseconds since the epoch (what route ages are measured against). */
  nowMs(): number {
    return this.clock.nowMs();
  }

  learnedAtMs(seconds: number): number {
    return this.startedAt + seconds * 1000;
  }

  addSource(info: SourceInfo): Source {
    let id = 1;
    while (this.sources[id] !== undefined) id++;
    if (id > 0xffff) throw new Error('too many route sources');
    const source: Source = {
      id,
      info,
      addressKey: addressKey(info.address),
      received: [0, 0],
      accepted: [0, 0],
    };
    this.sources[id] = source;
    return source;
  }

  /**
   * Forgets a source: its routes are withdrawn by the returned job (run it
   * to the end, a slice at a time), whose last step frees the source's id.
   */
  removeSource(id: number): RibJob {
    if (id === LOCAL_SOURCE) throw new Error('the local source cannot be removed');
    return this.flushSource(id, undefined, () => {
      this.sources[id] = undefined;
    });
  }

  /** A new consumer of changes for a family (kernel, OVS, a peer's Adj-RIB-Out). */
  subscribe(family: AddressFamily): ChangeQueue {
    const queue = new ChangeQueue();
    this.families[family].queues.push(queue);
    return queue;
  }

  unsubscribe(family: AddressFamily, queue: ChangeQueue): void {
    const queues = this.families[family].queues;
    const index = queues.indexOf(queue);
    if (index >= 0) queues.splice(index, 1);
  }

  /** Marks every prefix with an installed route changed for `queue` (a consumer's initial dump). */
  markAllInstalled(family: AddressFamily, queue: ChangeQueue): void {
    this.markInstalled(family, queue, 0, Number.POSITIVE_INFINITY);
  }

  /**
   * markAllInstalled() for prefix ids from `from` on, `count` of them at
   * most: a consumer that must look at a full table again marks it a slice
   * at a time. Returns where to go on, or -1 past the last id.
   */
  markInstalled(family: AddressFamily, queue: ChangeQueue, from: number, count: number): number {
    const f = this.families[family];
    const installed = f.installed;
    const end = Math.min(f.prefixes.capacity, from + count);
    for (let p = from; p < end; p++) if ((installed[p] as number) > 0) queue.mark(p);
    return end >= f.prefixes.capacity ? -1 : end;
  }

  /** The next hops' reachability comes from `tracker` now; every prefix is decided again by the returned job. */
  setNextHopTracker(tracker: NextHopTracker): RibJob {
    this.tracker = tracker;
    return this.redecideAll();
  }

  // ------------------------------------------------------------------ changes

  /**
   * Routes from `sourceId` for `prefixes` with these attributes (one UPDATE's
   * NLRI, or origination). Returns how many prefixes the source now has accepted
   * in the family (for max-prefix). `wireKey`: the UPDATE's attributesKey,
   * when `attributes` are what was decoded from it (AttributeStore.intern).
   */
  announce(
    sourceId: number,
    family: AddressFamily,
    prefixes: Prefixes,
    attributes: PathAttributes,
    nextHop: string | null,
    linkLocalNextHop: string | null = null,
    wireKey?: Uint8Array,
  ): number {
    const source = this.sources[sourceId];
    if (source === undefined) throw new Error(`no route source ${sourceId}`);
    const f = this.families[family];
    const raw = this.attrs.intern(attributes, nextHop, linkLocalNextHop, wireKey);
    // `attributes` are the set's (equal keys, equal attributes): read them
    // here rather than decoding the set's again.
    const loop = this.loopCheck(source, raw, attributes);
    const policy = source.info.importPolicy;
    // Results of the policy's `set` per term, interned once per UPDATE.
    let modified: Map<number, AttrSet> | null = null;
    const now = this.now();
    const fi = familyIndex(family);
    const wordsPer = f.prefixes.wordsPerKey;
    for (let i = 0; i < prefixes.count; i++) {
      const p = f.prefixes.internKey(prefixes.words, i * wordsPer, prefixes.lengths[i] as number);
      this.ensurePrefixCapacity(f, p);
      const pathId = prefixes.pathIds === null ? 0 : (prefixes.pathIds[i] as number);
      let post: number = REJECTED;
      if (loop === null) {
        if (policy.kind === 'accept-all') post = raw.id;
        else if (policy.kind === 'terms') {
          const verdict = evaluatePolicy(
            policy,
            f.afi,
            prefixes.words,
            i * wordsPer,
            prefixes.lengths[i] as number,
            attributes.communities,
          );
          if (verdict.accept) {
            if (verdict.set === null) post = raw.id;
            else {
              modified ??= new Map();
              let set = modified.get(verdict.term);
              if (set === undefined) {
                set = this.attrs.intern(
                  applySet(attributes, verdict.set, this.localAsn),
                  nextHop,
                  linkLocalNextHop,
                );
                modified.set(verdict.term, set);
              }
              post = set.id;
            }
          }
        }
      }
      this.upsert(f, fi, source, p, pathId, raw.id, post, now);
    }
    // The per-UPDATE references taken by intern() above.
    this.attrs.release(raw.id);
    if (modified !== null) for (const set of modified.values()) this.attrs.release(set.id);
    return source.accepted[fi];
  }

  /** Withdraws `prefixes` from `sourceId`. */
  withdraw(sourceId: number, family: AddressFamily, prefixes: Prefixes): void {
    const source = this.sources[sourceId];
    if (source === undefined) return;
    const f = this.families[family];
    const fi = familyIndex(family);
    const wordsPer = f.prefixes.wordsPerKey;
    for (let i = 0; i < prefixes.count; i++) {
      const p = f.prefixes.findKey(prefixes.words, i * wordsPer, prefixes.lengths[i] as number);
      if (p < 0) continue;
      const pathId = prefixes.pathIds === null ? 0 : (prefixes.pathIds[i] as number);
      const route = this.findRoute(f, p, sourceId, pathId);
      if (route !== NO_ROUTE) this.removeRoute(f, fi, p, route);
    }
  }

  /**
   * Withdraws every route of a source (session down), or those of one
   * family: marked now, removed by the returned job a slice at a time. A
   * route announced again before the job reaches it loses the mark and
   * stays (a new session may be faster than the old one's removal).
   */
  flushSource(sourceId: number, family?: AddressFamily, onDone?: () => void): RibJob {
    const names = family === undefined ? addressFamilies : [family];
    // The routes it removes are those the source has now, marked doomed a
    // slice at a time first (see startMarking).
    const markings = names.map((name) => this.startMarking(sourceId, name, RouteFlag.doomed));
    const removal = this.routeWalk(
      names,
      (f, fi, r) => {
        const routes = f.routes;
        if (routes.source[r] !== sourceId || ((routes.flags[r] as number) & RouteFlag.doomed) === 0)
          return false;
        this.removeRoute(f, fi, routes.prefix[r] as number, r);
        return true;
      },
      onDone,
    );
    return {
      get done() {
        return removal.done;
      },
      step: (units: number): boolean => {
        for (const marking of markings) {
          if (this.markings.get(marking.key) !== marking) continue;
          this.markStep(marking, units);
          return false;
        }
        return removal.step(units);
      },
    };
  }

  /**
   * Marks a source's routes stale (RFC 4724 §4.2, RFC 7313 §4 BoRR), a
   * slice at a time; `done` counts them. Run it before the sweep that
   * reads the marks (RIB jobs run in the order they were asked for).
   */
  markStale(sourceId: number, family: AddressFamily): RibJob {
    const marking = this.startMarking(sourceId, family, RouteFlag.stale);
    return {
      get done() {
        return marking.marked;
      },
      step: (units: number): boolean => {
        if (this.markings.get(marking.key) !== marking) return true;
        this.markStep(marking, units);
        return this.markings.get(marking.key) !== marking;
      },
    };
  }

  /**
   * Starts marking with `flag` the routes `sourceId` has in `family` now.
   * Marking a million routes at once was a scan of every route in one turn
   * (10-40 ms), so it goes a slice at a time; a route the source announces
   * meanwhile in a slot the marking has yet to reach gets RouteFlag.kept,
   * which the marking clears instead of marking the route. One marking per
   * source and family at a time: a second finishes the first's at once.
   */
  private startMarking(sourceId: number, family: AddressFamily, flag: number): Marking {
    const key = sourceId * 2 + familyIndex(family);
    const earlier = this.markings.get(key);
    if (earlier !== undefined) this.markStep(earlier, Number.POSITIVE_INFINITY);
    const marking: Marking = { key, sourceId, family, flag, route: 0, marked: 0 };
    this.markings.set(key, marking);
    return marking;
  }

  /** Marks up to `units` slots' worth of a marking's routes; forgets the marking when it is through. */
  private markStep(marking: Marking, units: number): void {
    const routes = this.families[marking.family].routes;
    const flags = routes.flags;
    let r = marking.route;
    const end = Math.min(routes.end, r + units);
    for (; r < end; r++) {
      if (routes.source[r] !== marking.sourceId || !routes.isLive(r)) continue;
      const flag = flags[r] as number;
      if ((flag & RouteFlag.kept) !== 0) flags[r] = flag & ~RouteFlag.kept;
      else {
        flags[r] = flag | marking.flag;
        marking.marked++;
      }
    }
    marking.route = r;
    if (r >= routes.end && this.markings.get(marking.key) === marking) this.markings.delete(marking.key);
  }

  /** A route of `sourceId` was announced: kept from a marking that has not reached it yet. */
  private keepFromMarking(f: FamilyRib, sourceId: number, route: number): void {
    const marking = this.markings.get(sourceId * 2 + familyIndex(f.family));
    if (marking === undefined || route < marking.route) return;
    f.routes.flags[route] = (f.routes.flags[route] as number) | RouteFlag.kept;
  }

  /** Removes a source's routes still stale (End-of-RIB, EoRR, or the restart timer), a slice at a time. */
  sweepStale(sourceId: number, family: AddressFamily): RibJob {
    return this.routeWalk([family], (f, fi, r) => {
      const routes = f.routes;
      if (routes.source[r] !== sourceId || ((routes.flags[r] as number) & RouteFlag.stale) === 0)
        return false;
      this.removeRoute(f, fi, routes.prefix[r] as number, r);
      return true;
    });
  }

  /** Runs a source's import policy again over its Adj-RIB-In (soft reconfiguration inbound), a slice at a time. */
  reapplyImport(sourceId: number): RibJob {
    const keyWords = new Uint32Array(4);
    return this.routeWalk(addressFamilies, (f, fi, r) => {
      const routes = f.routes;
      const source = this.sources[sourceId];
      if (source === undefined || routes.source[r] !== sourceId) return false;
      const p = routes.prefix[r] as number;
      const raw = this.attrs.get(routes.rawAttrOf(r));
      f.prefixes.copyKey(p, keyWords, 0);
      let post: number = REJECTED;
      let created: AttrSet | null = null;
      const rawAttributes = raw.attributes;
      if (this.loopCheck(source, raw, rawAttributes) === null) {
        const verdict = evaluatePolicy(
          source.info.importPolicy,
          f.afi,
          keyWords,
          0,
          f.prefixes.length(p),
          rawAttributes.communities,
        );
        if (verdict.accept) {
          if (verdict.set === null) post = raw.id;
          else {
            created = this.attrs.intern(
              applySet(rawAttributes, verdict.set, this.localAsn),
              raw.nextHop,
              raw.linkLocalNextHop,
            );
            post = created.id;
          }
        }
      }
      if (post !== routes.attr[r])
        this.upsert(f, fi, source, p, routes.pathIdOf(r), raw.id, post, routes.since[r] as number);
      if (created !== null) this.attrs.release(created.id);
      return true;
    });
  }

  /**
   * A job that visits every live route of `names`, `steps` routes per step;
   * `visit` returns whether the route counted (job.done).
   */
  private routeWalk(
    names: readonly AddressFamily[],
    visit: (f: FamilyRib, fi: 0 | 1, route: number) => boolean,
    onDone?: () => void,
  ): RibJob {
    let index = 0;
    let r = 0;
    let done = 0;
    const job: RibJob = {
      get done() {
        return done;
      },
      step: (units: number): boolean => {
        let left = units;
        while (index < names.length) {
          const name = names[index] as AddressFamily;
          const f = this.families[name];
          const fi = familyIndex(name);
          const routes = f.routes;
          // routes.end only grows while a job runs; new routes past it are not ours to visit.
          while (r < routes.end && left > 0) {
            if (routes.isLive(r) && visit(f, fi, r)) done++;
            r++;
            left--;
          }
          if (left === 0) return false;
          index++;
          r = 0;
        }
        onDone?.();
        return true;
      },
    };
    return job;
  }

  // ------------------------------------------------------------------ internals

  /** RFC 4271 §9.1.2 loop checks, RFC 4456 §8 originator and cluster checks. */
  private loopCheck(source: Source, attr: AttrSet, attributes: PathAttributes): RejectReason | null {
    if (source.id === LOCAL_SOURCE) return null;
    if (source.info.external) {
      for (const segment of attributes.asPath ?? [])
        if (segment.asns.includes(this.localAsn)) return 'as-path-loop';
      return null;
    }
    if (attr.originatorId !== 0 && attr.originatorId === this.routerId) return 'originator-loop';
    const clusterList = attributes.clusterList;
    if (clusterList !== undefined) {
      for (const id of clusterList) if (parseIpv4(id) === this.clusterId) return 'cluster-loop';
    }
    return null;
  }

  private ensurePrefixCapacity(f: FamilyRib, p: number): void {
    if (p < f.headPlusOne.length) return;
    const capacity = grownCapacity(f.headPlusOne.length, p);
    f.headPlusOne = grownColumn(f.headPlusOne, capacity);
    f.installed = grownColumn(f.installed, capacity);
  }

  private findRoute(f: FamilyRib, p: number, sourceId: number, pathId: number): number {
    const routes = f.routes;
    for (let r = headOf(f, p); r !== NO_ROUTE; r = routes.nextOf(r)) {
      if (routes.source[r] === sourceId && routes.pathIdOf(r) === pathId) return r;
    }
    return NO_ROUTE;
  }

  private eligible(f: FamilyRib, route: number): boolean {
    const attr = f.routes.attr[route] as number;
    if (attr === REJECTED) return false;
    if (f.routes.source[route] === LOCAL_SOURCE) return true;
    return this.tracker.cost(f.family, this.attrs.get(attr)) !== null;
  }

  private fill(candidate: Candidate, f: FamilyRib, route: number): void {
    const routes = f.routes;
    const sourceId = routes.source[route] as number;
    const source = this.sources[sourceId] as Source;
    const attr = this.attrs.get(routes.attr[route] as number);
    candidate.attr = attr;
    candidate.local = sourceId === LOCAL_SOURCE;
    candidate.external = source.info.external;
    candidate.peerRouterId = source.info.routerId;
    candidate.peerAddressKey = source.addressKey;
    candidate.igpCost = sourceId === LOCAL_SOURCE ? 0 : (this.tracker.cost(f.family, attr) ?? 0);
    candidate.learnedAt = routes.since[route] as number;
    candidate.pathId = routes.pathIdOf(route);
  }

  /** True when route `a` goes before route `b` in the candidate list. */
  private before(f: FamilyRib, a: number, b: number): boolean {
    const aEligible = this.eligible(f, a);
    const bEligible = this.eligible(f, b);
    if (aEligible !== bEligible) return aEligible;
    if (!aEligible) return false;
    this.fill(this.left, f, a);
    this.fill(this.right, f, b);
    return compareCandidates(this.left, this.right, this.options).order < 0;
  }

  /** Links `route` into the list of `p` at its place (after any equal route already there). */
  private link(f: FamilyRib, p: number, route: number): void {
    const routes = f.routes;
    let previous = NO_ROUTE;
    let current = headOf(f, p);
    while (current !== NO_ROUTE && !this.before(f, route, current)) {
      previous = current;
      current = routes.nextOf(current);
    }
    routes.setNext(route, current);
    if (previous === NO_ROUTE) setHead(f, p, route);
    else routes.setNext(previous, route);
  }

  private unlink(f: FamilyRib, p: number, route: number): void {
    const routes = f.routes;
    let previous = NO_ROUTE;
    for (let current = headOf(f, p); current !== NO_ROUTE; current = routes.nextOf(current)) {
      if (current === route) {
        if (previous === NO_ROUTE) setHead(f, p, routes.nextOf(route));
        else routes.setNext(previous, routes.nextOf(route));
        routes.setNext(route, NO_ROUTE);
        return;
      }
      previous = current;
    }
  }

  /** Records the installed set of `p` (route and attribute per entry) in the scratch snapshot. */
  private takeSnapshot(f: FamilyRib, p: number): number {
    const count = f.installed[p] as number;
    let route = headOf(f, p);
    for (let i = 0; i < count; i++) {
      this.snapshot[i * 2] = route;
      this.snapshot[i * 2 + 1] = f.routes.attr[route] as number;
      route = f.routes.nextOf(route);
    }
    return count;
  }

  private differsFromSnapshot(f: FamilyRib, p: number, count: number): boolean {
    if ((f.installed[p] as number) !== count) return true;
    let route = headOf(f, p);
    for (let i = 0; i < count; i++) {
      if (this.snapshot[i * 2] !== route || this.snapshot[i * 2 + 1] !== f.routes.attr[route]) return true;
      route = f.routes.nextOf(route);
    }
    return false;
  }

  /** How many routes at the head of `p` form the installed set (best + ECMP from distinct sources). */
  private countInstalled(f: FamilyRib, p: number): number {
    const routes = f.routes;
    const best = headOf(f, p);
    if (best === NO_ROUTE || !this.eligible(f, best)) return 0;
    const maxPaths = this.options.maxPaths;
    if (maxPaths <= 1) return 1;
    let count = 1;
    this.fill(this.left, f, best);
    for (let r = routes.nextOf(best); r !== NO_ROUTE && count < maxPaths; r = routes.nextOf(r)) {
      if (!this.eligible(f, r)) break;
      this.fill(this.right, f, r);
      if (!equalForMultipath(compareCandidates(this.left, this.right, this.options))) break;
      // One path per source: ECMP is across peers, not across one peer's paths.
      let duplicate = false;
      for (let q = best; q !== r; q = routes.nextOf(q))
        if (routes.source[q] === routes.source[r]) duplicate = true;
      if (duplicate) continue;
      count++;
    }
    return count;
  }

  private publish(f: FamilyRib, p: number): void {
    for (const queue of f.queues) queue.mark(p);
  }

  private upsert(
    f: FamilyRib,
    fi: 0 | 1,
    source: Source,
    p: number,
    pathId: number,
    rawId: number,
    postId: number,
    now: number,
  ): void {
    const routes = f.routes;
    const before = this.takeSnapshot(f, p);
    let route = this.findRoute(f, p, source.id, pathId);
    if (route === NO_ROUTE) {
      route = routes.allocate();
      routes.prefix[route] = p;
      routes.source[route] = source.id;
      // A fresh slot: every column reads 0, flags included (release() clears them).
      routes.setPathId(route, pathId);
      routes.initAttrs(route, rawId, postId);
      routes.since[route] = now;
      if (this.markings.size > 0) this.keepFromMarking(f, source.id, route);
      this.attrs.retain(rawId);
      if (postId !== REJECTED) this.attrs.retain(postId);
      source.received[fi]++;
      if (postId !== REJECTED) source.accepted[fi]++;
    } else {
      // A re-announcement replaces the route (and clears a stale mark).
      routes.clearMarks(route);
      if (this.markings.size > 0) this.keepFromMarking(f, source.id, route);
      const oldRaw = routes.rawAttrOf(route);
      const oldPost = routes.attr[route] as number;
      if (oldRaw === rawId && oldPost === postId) return;
      this.unlink(f, p, route);
      this.attrs.retain(rawId);
      if (postId !== REJECTED) this.attrs.retain(postId);
      this.attrs.release(oldRaw);
      if (oldPost !== REJECTED) this.attrs.release(oldPost);
      if (oldPost === REJECTED && postId !== REJECTED) source.accepted[fi]++;
      if (oldPost !== REJECTED && postId === REJECTED) source.accepted[fi]--;
      routes.setAttrs(route, rawId, postId);
      routes.since[route] = now;
    }
    this.link(f, p, route);
    f.installed[p] = this.countInstalled(f, p);
    if (this.differsFromSnapshot(f, p, before)) this.publish(f, p);
  }

  private removeRoute(f: FamilyRib, fi: 0 | 1, p: number, route: number): void {
    const routes = f.routes;
    const before = this.takeSnapshot(f, p);
    this.unlink(f, p, route);
    const source = this.sources[routes.source[route] as number];
    if (source !== undefined) {
      source.received[fi]--;
      if (routes.attr[route] !== REJECTED) source.accepted[fi]--;
    }
    this.attrs.release(routes.rawAttrOf(route));
    if (routes.attr[route] !== REJECTED) this.attrs.release(routes.attr[route] as number);
    routes.release(route);
    f.installed[p] = this.countInstalled(f, p);
    if (this.differsFromSnapshot(f, p, before)) this.publish(f, p);
    if (headOf(f, p) === NO_ROUTE) f.dead.mark(p);
  }

  /**
   * Hands the ids of prefixes with no route left back to the prefix table,
   * when no change queue still holds them and every holder can forget them;
   * the others wait for a later pass. Without this, a table that churns
   * through many distinct prefixes would grow its id space for ever. A job:
   * run it a slice at a time; done counts the ids that went back.
   */
  reclaimPrefixes(holders: readonly PrefixHolder[]): RibJob {
    let index = 0;
    let list: ChangeQueue | null = null;
    let done = 0;
    return {
      get done() {
        return done;
      },
      step: (units: number): boolean => {
        let left = units;
        while (index < addressFamilies.length) {
          const name = addressFamilies[index] as AddressFamily;
          const f = this.families[name];
          if (list === null) {
            // Taken now; ids that die meanwhile, and those still needed, wait for the next pass.
            list = f.dead;
            f.dead = f.deadSpare;
          }
          while (left > 0) {
            const p = list.take();
            if (p < 0) break;
            left--;
            // Announced again since.
            if (headOf(f, p) !== NO_ROUTE || !f.prefixes.holds(p, PrefixUser.rib)) continue;
            let needed = false;
            for (const queue of f.queues) if (queue.has(p)) needed = true;
            for (const holder of holders) if (!needed && !holder.canForget(name, p)) needed = true;
            if (needed) {
              f.dead.mark(p);
              continue;
            }
            for (const holder of holders) holder.forget(name, p);
            f.installed[p] = 0;
            // The kernel writer may hold the id still (a delete to write).
            f.prefixes.release(p, PrefixUser.rib);
            done++;
          }
          if (list.size > 0) return false;
          f.deadSpare = list;
          list = null;
          index++;
        }
        return true;
      },
    };
  }

  /** Orders every candidate list again (next hops or decision options changed), a slice at a time. */
  redecideAll(): RibJob {
    let index = 0;
    let p = 0;
    let done = 0;
    const list: number[] = [];
    return {
      get done() {
        return done;
      },
      step: (units: number): boolean => {
        let left = units;
        while (index < addressFamilies.length) {
          const f = this.families[addressFamilies[index] as AddressFamily];
          const routes = f.routes;
          while (p < f.prefixes.capacity && left > 0) {
            left--;
            const head = headOf(f, p);
            if (head !== NO_ROUTE) {
              const before = this.takeSnapshot(f, p);
              list.length = 0;
              for (let r = head; r !== NO_ROUTE; r = routes.nextOf(r)) list.push(r);
              setHead(f, p, NO_ROUTE);
              for (const r of list) {
                routes.setNext(r, NO_ROUTE);
                this.link(f, p, r);
              }
              f.installed[p] = this.countInstalled(f, p);
              if (this.differsFromSnapshot(f, p, before)) {
                this.publish(f, p);
                done++;
              }
            }
            p++;
          }
          if (left === 0) return false;
          index++;
          p = 0;
        }
        return true;
      },
    };
  }

  // ------------------------------------------------------------------ queries

  /** The best route of prefix id `p`, or -1 when nothing is installed. */
  bestRoute(family: AddressFamily, p: number): number {
    const f = this.families[family];
    return (f.installed[p] ?? 0) > 0 ? headOf(f, p) : NO_ROUTE;
  }

  /** How many routes of prefix id `p` are installed (0, 1, or the ECMP set's size). */
  installedCount(family: AddressFamily, p: number): number {
    return this.families[family].installed[p] ?? 0;
  }

  /** The installed routes of prefix id `p` (best first), as route indexes. */
  installedRoutes(family: AddressFamily, p: number): number[] {
    const f = this.families[family];
    const out: number[] = [];
    let route = headOf(f, p);
    for (let i = 0; i < (f.installed[p] as number); i++) {
      out.push(route);
      route = f.routes.nextOf(route);
    }
    return out;
  }

  /** Prefixes with at least one installed route (the Loc-RIB size). */
  locRibCount(family: AddressFamily): number {
    const f = this.families[family];
    let count = 0;
    for (let p = 0; p < f.prefixes.capacity; p++) if ((f.installed[p] as number) > 0) count++;
    return count;
  }

  /** Every route of prefix id `p`, best first, each with why it is where it is. */
  routesOf(family: AddressFamily, p: number): RouteView[] {
    const f = this.families[family];
    const routes = f.routes;
    const views: RouteView[] = [];
    const best = headOf(f, p);
    const bestEligible = best !== NO_ROUTE && this.eligible(f, best);
    let index = 0;
    for (let r = best; r !== NO_ROUTE; r = routes.nextOf(r), index++) {
      const source = this.sources[routes.source[r] as number] as Source;
      const accepted = routes.attr[r] !== REJECTED;
      const eligible = this.eligible(f, r);
      let lostBecause: BestPathReason | RejectReason | undefined;
      if (!accepted) {
        const raw = this.attrs.get(routes.rawAttrOf(r));
        lostBecause = this.loopCheck(source, raw, raw.attributes) ?? 'policy';
      } else if (!eligible) lostBecause = 'next-hop-unreachable';
      else if (r !== best && bestEligible) {
        this.fill(this.left, f, best);
        this.fill(this.right, f, r);
        lostBecause = compareCandidates(this.left, this.right, this.options).reason;
      }
      views.push({
        route: r,
        source,
        pathId: routes.pathIdOf(r),
        attr: this.attrs.get(accepted ? (routes.attr[r] as number) : routes.rawAttrOf(r)),
        rawAttr: this.attrs.get(routes.rawAttrOf(r)),
        accepted,
        eligible,
        best: r === best && eligible,
        installed: index < (f.installed[p] as number),
        stale: ((routes.flags[r] as number) & RouteFlag.stale) !== 0,
        learnedAt: this.learnedAtMs(routes.since[r] as number),
        ...(lostBecause !== undefined ? { lostBecause } : {}),
      });
    }
    return views;
  }

  /** The route's attribute set after import policy. */
  routeAttr(family: AddressFamily, route: number): AttrSet {
    return this.attrs.get(this.families[family].routes.attr[route] as number);
  }

  routeSource(family: AddressFamily, route: number): Source {
    return this.sources[this.families[family].routes.source[route] as number] as Source;
  }
}
