// What the bridge should hold: pure state, no I/O. Every desired route points
// at a shared next-hop set (compile.ts), which carries the compiled actions,
// the select group id for ECMP, and a reference count; a route costs one map
// entry, not an object. Changes mark prefixes (and group ids) dirty; the pump
// (pump.ts) takes dirty prefixes in chunks, compares them with what is
// installed (reconcile.ts) and writes the difference.
//
// When the facts change (a port's number or MAC in OVSDB, a next hop's MAC in
// the neighbour table) every next-hop set is compiled again; the routes of
// sets whose flow actions changed are marked dirty, and sets whose select
// group changed mark only the group.
import type { FibRoute } from '../fib/types.js';
import { canonicalIp } from '../net/ip.js';
import {
  type CompileConfig,
  type Compiled,
  compileNextHopSet,
  type GroupIdAllocator,
  type GroupSpec,
  isEcmp,
  type NextHopSet,
  nextHopSetKey,
} from './compile.js';
import type { OvsPort } from './ovsdb/facts.js';

export type CompiledFlow = Extract<Compiled, { ok: true }>;

export interface NextHopSetEntry extends NextHopSet {
  /** Desired routes using this set; 0: kept only until its group is gone from the bridge. */
  refs: number;
  readonly groupId: number | null;
  compiled: Compiled;
}

/** What the planner reads (reconcile.ts): the flow and group the bridge should have. */
export interface DesiredView {
  /** The flow wanted for this prefix; null: none (withdrawn, or not programmable now). */
  flowFor(prefix: string): CompiledFlow | null;
  /** The select group wanted under this id; null: none. */
  groupFor(id: number): GroupSpec | null;
}

export class DesiredState implements DesiredView {
  private readonly sets = new Map<string, NextHopSetEntry>();
  private readonly byGroup = new Map<number, NextHopSetEntry>();
  /** Prefix -> its next-hop set. */
  readonly routes = new Map<string, NextHopSetEntry>();
  readonly dirty = new Set<string>();
  readonly dirtyGroups = new Set<number>();
  /** Next hops the compiler asked for and has no MAC for (routed mode): to resolve. */
  readonly wantedNeighbors = new Set<string>();
  private ports: ReadonlyMap<string, OvsPort> = new Map();
  private readonly macs = new Map<string, string | null>();

  constructor(
    private readonly config: CompileConfig,
    private readonly groupIds: GroupIdAllocator,
  ) {}

  get size(): number {
    return this.routes.size;
  }

  /** Adds or replaces a route. */
  install(route: FibRoute): void {
    const key = nextHopSetKey(route);
    const current = this.routes.get(route.prefix);
    if (current !== undefined && current.key === key) return;
    let entry = this.sets.get(key);
    if (entry === undefined) {
      const groupId = isEcmp(route) ? this.groupIds.acquire(key) : null;
      const set: NextHopSet = { key, nextHops: route.nextHops, blackhole: route.blackhole };
      entry = { ...set, refs: 0, groupId, compiled: this.compile(set, groupId) };
      this.sets.set(key, entry);
      if (groupId !== null) this.byGroup.set(groupId, entry);
    }
    if (entry.refs === 0 && entry.groupId !== null) this.dirtyGroups.add(entry.groupId);
    entry.refs++;
    this.routes.set(route.prefix, entry);
    if (current !== undefined) this.unreference(current);
    this.dirty.add(route.prefix);
  }

  withdraw(prefix: string): void {
    const current = this.routes.get(prefix);
    if (current === undefined) return;
    this.routes.delete(prefix);
    this.unreference(current);
    this.dirty.add(prefix);
  }

  private unreference(entry: NextHopSetEntry): void {
    entry.refs--;
    if (entry.refs > 0) return;
    if (entry.groupId === null) this.sets.delete(entry.key);
    // A set with a group stays until the group is deleted from the bridge (forgetGroup).
    else this.dirtyGroups.add(entry.groupId);
  }

  flowFor(prefix: string): CompiledFlow | null {
    const compiled = this.routes.get(prefix)?.compiled;
    return compiled?.ok ? compiled : null;
  }

  groupFor(id: number): GroupSpec | null {
    const entry = this.byGroup.get(id);
    if (entry === undefined || entry.refs === 0 || !entry.compiled.ok) return null;
    return entry.compiled.group;
  }

  /** The group is gone from the bridge (or never got there) and nothing wants it: its id is free again. */
  forgetGroup(id: number): void {
    const entry = this.byGroup.get(id);
    if (entry === undefined || entry.refs > 0) return;
    this.byGroup.delete(id);
    this.sets.delete(entry.key);
    this.groupIds.release(entry.key);
  }

  /** The bridge's ports changed: compile again. */
  setPorts(ports: ReadonlyMap<string, OvsPort>): void {
    this.ports = ports;
    this.recompile();
  }

  /** Next-hop MACs learned or changed (null: unresolved): compile again if any differs. */
  setNeighborMacs(macs: ReadonlyMap<string, string | null>): void {
    let changed = false;
    for (const [address, mac] of macs) {
      if (this.macs.get(address) === mac) continue;
      this.macs.set(address, mac);
      changed = true;
    }
    if (changed) this.recompile();
  }

  /** Addresses whose MAC is known or was asked for (refreshed on a timer). */
  neighborAddresses(): IterableIterator<string> {
    return this.macs.keys();
  }

  /**
   * The switch refused this prefix's flow or its set's group: every route of
   * the set is not programmable (its flows are removed) until the next
   * recompile (facts change, or the periodic full sync).
   */
  reject(prefixOrGroup: { readonly prefix: string } | { readonly groupId: number }, reason: string): void {
    const entry =
      'prefix' in prefixOrGroup
        ? this.routes.get(prefixOrGroup.prefix)
        : this.byGroup.get(prefixOrGroup.groupId);
    if (entry === undefined || !entry.compiled.ok) return;
    entry.compiled = { ok: false, reason: `rejected by the switch: ${reason}` };
    if (entry.groupId !== null) this.dirtyGroups.add(entry.groupId);
    for (const [prefix, set] of this.routes) if (set === entry) this.dirty.add(prefix);
  }

  /** Compiles every next-hop set against the current facts and marks what changed. */
  recompile(): void {
    const flowChanged = new Set<NextHopSetEntry>();
    for (const entry of this.sets.values()) {
      const before = entry.compiled;
      const after = this.compile(entry, entry.groupId);
      entry.compiled = after;
      const beforeText = before.ok ? before.text : null;
      const afterText = after.ok ? after.text : null;
      if (beforeText !== afterText) flowChanged.add(entry);
      const beforeGroup = before.ok ? (before.group?.text ?? null) : null;
      const afterGroup = after.ok ? (after.group?.text ?? null) : null;
      if (entry.groupId !== null && beforeGroup !== afterGroup) this.dirtyGroups.add(entry.groupId);
    }
    if (flowChanged.size === 0) return;
    for (const [prefix, entry] of this.routes) if (flowChanged.has(entry)) this.dirty.add(prefix);
  }

  /** Every route and wanted group dirty (after a full dump). */
  markAllDirty(): void {
    for (const prefix of this.routes.keys()) this.dirty.add(prefix);
    for (const id of this.byGroup.keys()) this.dirtyGroups.add(id);
  }

  /** The select groups wanted now, by id. */
  *wantedGroups(): IterableIterator<[number, GroupSpec]> {
    for (const id of this.byGroup.keys()) {
      const group = this.groupFor(id);
      if (group !== null) yield [id, group];
    }
  }

  /** Routes that cannot be programmed now, with the reason. */
  *unprogrammed(): IterableIterator<[string, string]> {
    for (const [prefix, entry] of this.routes) if (!entry.compiled.ok) yield [prefix, entry.compiled.reason];
  }

  unprogrammedCount(): number {
    let count = 0;
    for (const entry of this.sets.values()) if (!entry.compiled.ok) count += entry.refs;
    return count;
  }

  private compile(set: NextHopSet, groupId: number | null): Compiled {
    const macs = this.macs;
    const wanted = this.wantedNeighbors;
    return compileNextHopSet(
      set,
      this.config,
      {
        ports: this.ports,
        neighborMac(address: string): string | null {
          const key = canonicalIp(address) ?? address;
          const mac = macs.get(key);
          if (mac === undefined) wanted.add(key);
          return mac ?? null;
        },
      },
      groupId,
    );
  }
}
