// Desired vs installed: pure. `InstalledState` is what the writer believes
// the bridge holds: replaced wholesale by a dump at every full sync, and
// updated from each committed batch in between. `planChunk` turns a chunk of
// dirty prefixes and group ids into the operations of one batch;
// `applyPlan` records a committed batch; `installedFromDump` reads a dump
// (only flows with our cookie, only groups in our id range); `countDrift`
// says how much the bridge differed from what we believed (repairs).
//
// Order inside a batch (one bundle, OFPBF_ORDERED): group adds/modifies,
// then flow deletes and adds, then group deletes, so that no flow ever
// points at a group that is not there (OVS refuses such a flow mod with
// BAD_OUT_GROUP) and no group is deleted while a flow still uses it
// (OpenFlow 1.3 §6.5: deleting a group deletes the flows forwarding to it).
import { bucketsText, type GroupSpec } from './compile.js';
import type { CompiledFlow, DesiredView } from './desired.js';
import { formatInstructions } from './openflow/actions.js';
import {
  decodeInstructions,
  decodeRawMatch,
  type GroupDesc,
  type RawFlowStats,
} from './openflow/messages.js';
import { formatMatch } from './openflow/oxm.js';
import { prefixOfRawMatch, priorityFor } from './prefix.js';

/** A flow with our cookie that is not a route flow of ours in shape or place: deleted. */
export interface Stray {
  readonly tableId: number;
  readonly priority: number;
  /** The match's OXM TLVs as dumped (for a DELETE_STRICT). */
  readonly match: Buffer;
  /** As ovs-ofctl would print it. */
  readonly text: string;
}

export class InstalledState {
  /** Prefix -> the flow's actions as ovs-ofctl prints them. */
  readonly flows = new Map<string, string>();
  /** Prefix -> the group its flow forwards to (group flows only). */
  readonly flowGroups = new Map<string, number>();
  /** Group id -> installed flows forwarding to it. */
  readonly groupRefs = new Map<number, number>();
  /** Group id -> buckets text. */
  readonly groups = new Map<number, string>();
  strays: Stray[] = [];

  setFlow(prefix: string, text: string, groupId: number | null): void {
    this.deleteFlow(prefix);
    this.flows.set(prefix, text);
    if (groupId !== null) {
      this.flowGroups.set(prefix, groupId);
      this.groupRefs.set(groupId, (this.groupRefs.get(groupId) ?? 0) + 1);
    }
  }

  deleteFlow(prefix: string): void {
    if (!this.flows.delete(prefix)) return;
    const groupId = this.flowGroups.get(prefix);
    if (groupId === undefined) return;
    this.flowGroups.delete(prefix);
    const refs = (this.groupRefs.get(groupId) ?? 1) - 1;
    if (refs > 0) this.groupRefs.set(groupId, refs);
    else this.groupRefs.delete(groupId);
  }
}

export interface GroupWrite {
  readonly id: number;
  readonly command: 'add' | 'modify';
  readonly spec: GroupSpec;
}

/** One batch. Arrays of prefixes, not objects per route: `adds[i]` is sent as `addFlows[i]`. */
export interface Plan {
  readonly groupWrites: GroupWrite[];
  readonly strays: Stray[];
  readonly deletes: string[];
  readonly adds: string[];
  readonly addFlows: CompiledFlow[];
  readonly groupDeletes: number[];
  /** Group ids this batch settles; the others stay dirty (still used by installed flows outside the chunk). */
  readonly settledGroups: number[];
}

export type PlannedOp =
  | { readonly kind: 'groupWrite'; readonly write: GroupWrite }
  | { readonly kind: 'stray'; readonly stray: Stray }
  | { readonly kind: 'delete'; readonly prefix: string }
  | { readonly kind: 'add'; readonly prefix: string; readonly flow: CompiledFlow }
  | { readonly kind: 'groupDelete'; readonly id: number };

export function opCount(plan: Plan): number {
  return (
    plan.groupWrites.length +
    plan.strays.length +
    plan.deletes.length +
    plan.adds.length +
    plan.groupDeletes.length
  );
}

/** The operation at `index` in encoding order (errors from the switch name it by xid). */
export function opAt(plan: Plan, index: number): PlannedOp | null {
  let i = index;
  if (i < 0) return null;
  if (i < plan.groupWrites.length) return { kind: 'groupWrite', write: plan.groupWrites[i] as GroupWrite };
  i -= plan.groupWrites.length;
  if (i < plan.strays.length) return { kind: 'stray', stray: plan.strays[i] as Stray };
  i -= plan.strays.length;
  if (i < plan.deletes.length) return { kind: 'delete', prefix: plan.deletes[i] as string };
  i -= plan.deletes.length;
  if (i < plan.adds.length)
    return { kind: 'add', prefix: plan.adds[i] as string, flow: plan.addFlows[i] as CompiledFlow };
  i -= plan.adds.length;
  if (i < plan.groupDeletes.length) return { kind: 'groupDelete', id: plan.groupDeletes[i] as number };
  return null;
}

/** The operations for a chunk of dirty prefixes and group ids (and strays to delete). */
export function planChunk(
  prefixes: Iterable<string>,
  groupIds: Iterable<number>,
  strays: readonly Stray[],
  desired: DesiredView,
  installed: InstalledState,
  /**
   * A restarted agent keeps the flows a previous run left until its peers
   * have sent their routes again (the writer's sweepStale()), as the kernel
   * writer keeps its adopted routes: nothing unwanted is deleted meanwhile.
   */
  keepUnwanted = false,
): Plan {
  const plan: Plan = {
    groupWrites: [],
    strays: [...strays],
    deletes: [],
    adds: [],
    addFlows: [],
    groupDeletes: [],
    settledGroups: [],
  };
  const refDelta = new Map<number, number>();
  const candidates = new Set<number>(groupIds);
  for (const prefix of prefixes) {
    const want = desired.flowFor(prefix);
    const have = installed.flows.get(prefix);
    if (want !== null && have === want.text) {
      if (want.groupId !== null) candidates.add(want.groupId);
      continue;
    }
    if (want === null && keepUnwanted) continue;
    const haveGroup = have === undefined ? undefined : installed.flowGroups.get(prefix);
    if (haveGroup !== undefined) {
      refDelta.set(haveGroup, (refDelta.get(haveGroup) ?? 0) - 1);
      candidates.add(haveGroup);
    }
    if (want !== null) {
      // OpenFlow 1.3 §6.4: an ADD with the same match and priority replaces the flow.
      plan.adds.push(prefix);
      plan.addFlows.push(want);
      if (want.groupId !== null) {
        refDelta.set(want.groupId, (refDelta.get(want.groupId) ?? 0) + 1);
        candidates.add(want.groupId);
      }
    } else if (have !== undefined) {
      plan.deletes.push(prefix);
    }
  }
  for (const id of candidates) {
    const want = desired.groupFor(id);
    const have = installed.groups.get(id);
    if (want !== null) {
      if (have === undefined) plan.groupWrites.push({ id, command: 'add', spec: want });
      else if (have !== want.text) plan.groupWrites.push({ id, command: 'modify', spec: want });
      plan.settledGroups.push(id);
    } else if (have === undefined) {
      plan.settledGroups.push(id);
    } else if ((installed.groupRefs.get(id) ?? 0) + (refDelta.get(id) ?? 0) <= 0) {
      plan.groupDeletes.push(id);
      plan.settledGroups.push(id);
    } else if (keepUnwanted) {
      // Kept flows still use it: settled for now; the sweep's full sync brings it back.
      plan.settledGroups.push(id);
    }
    // else: unwanted, but installed flows outside this chunk still use it.
  }
  return plan;
}

/** Records a committed batch; `failed` (plain, non-atomic writes only) lists op indexes that did not apply. */
export function applyPlan(
  installed: InstalledState,
  plan: Plan,
  failed: ReadonlySet<number> = new Set(),
): void {
  let index = 0;
  for (const write of plan.groupWrites)
    if (!failed.has(index++)) installed.groups.set(write.id, write.spec.text);
  for (const stray of plan.strays) if (failed.has(index++)) installed.strays.push(stray);
  for (const prefix of plan.deletes) if (!failed.has(index++)) installed.deleteFlow(prefix);
  for (let i = 0; i < plan.adds.length; i++) {
    if (failed.has(index++)) continue;
    const flow = plan.addFlows[i] as CompiledFlow;
    installed.setFlow(plan.adds[i] as string, flow.text, flow.groupId);
  }
  for (const id of plan.groupDeletes) {
    if (failed.has(index++)) continue;
    installed.groups.delete(id);
  }
}

// --- dumps --------------------------------------------------------------------

interface InstructionFacts {
  readonly text: string;
  readonly groupId: number | null;
  /** Only apply-actions: a route flow's shape. */
  readonly applyOnly: boolean;
}

function instructionFacts(bytes: Buffer): InstructionFacts {
  const decoded = decodeInstructions(bytes);
  if (!decoded.ok) return { text: `(undecodable: ${decoded.error})`, groupId: null, applyOnly: false };
  let groupId: number | null = null;
  for (const instruction of decoded.value)
    if (instruction.type === 'applyActions')
      for (const action of instruction.actions) if (action.type === 'group') groupId = action.groupId;
  return {
    text: formatInstructions(decoded.value),
    groupId,
    applyOnly: decoded.value.every((i) => i.type === 'applyActions'),
  };
}

/**
 * The installed state from a dump of flows with our cookie (any table) and
 * of all groups (ours: in `groupRange`). 100,000 route flows share a few
 * instruction lists, so each distinct one is decoded and printed once.
 */
export function installedFromDump(
  flows: readonly RawFlowStats[],
  groups: readonly GroupDesc[],
  table: number,
  groupRange: { readonly first: number; readonly last: number },
): InstalledState {
  const installed = new InstalledState();
  const cache = new Map<string, InstructionFacts>();
  for (const flow of flows) {
    const key = flow.instructions.toString('latin1');
    let facts = cache.get(key);
    if (facts === undefined) {
      facts = instructionFacts(flow.instructions);
      cache.set(key, facts);
    }
    const prefix = flow.tableId === table && facts.applyOnly ? prefixOfRawMatch(flow.match) : null;
    const ours =
      prefix !== null &&
      flow.priority === priorityFor(Number(prefix.slice(prefix.indexOf('/') + 1))) &&
      !installed.flows.has(prefix);
    if (!ours) {
      const decoded = decodeRawMatch(flow.match);
      const matchText = decoded === null ? '(undecodable match)' : formatMatch(decoded);
      installed.strays.push({
        tableId: flow.tableId,
        priority: flow.priority,
        match: Buffer.from(flow.match),
        text: `table=${flow.tableId},priority=${flow.priority}${matchText ? `,${matchText}` : ''} actions=${facts.text}`,
      });
      continue;
    }
    installed.setFlow(prefix, facts.text, facts.groupId);
  }
  for (const group of groups) {
    if (group.groupId < groupRange.first || group.groupId > groupRange.last) continue;
    installed.groups.set(
      group.groupId,
      group.groupType === 'select' ? bucketsText(group.buckets) : `type=${group.groupType}`,
    );
  }
  return installed;
}

/** Entries the bridge had different from what we believed: what a full sync repairs. */
export function countDrift(believed: InstalledState, actual: InstalledState): number {
  let drift = actual.strays.length;
  for (const [prefix, text] of believed.flows) if (actual.flows.get(prefix) !== text) drift++;
  for (const prefix of actual.flows.keys()) if (!believed.flows.has(prefix)) drift++;
  for (const [id, text] of believed.groups) if (actual.groups.get(id) !== text) drift++;
  for (const id of actual.groups.keys()) if (!believed.groups.has(id)) drift++;
  return drift;
}
