// Desired vs installed: pure. The writer keeps what it wants (compiled
// flows and select groups) and what it believes the bridge holds (from its
// own committed batches, replaced wholesale by a dump at every full sync);
// this module turns a set of dirty prefixes and groups into an ordered list
// of operations, turns a dump into "installed" state (only flows carrying
// our cookie, only groups in our id range), and lists differences for
// `fib diff`.
//
// Order inside a batch (one bundle): group adds/modifies, then flow
// adds/deletes, then group deletes, so that no flow ever points at a group
// that does not exist (OVS rejects that) and no group is deleted while a flow
// still uses it (OpenFlow would delete those flows with it).
import type { FibDiffEntry, IpVersion } from '../fib/types.js';
import { bucketsText, type FlowSpec, type GroupSpec, prefixMatchText, prefixOfRawMatch } from './compile.js';
import { formatInstructions } from './openflow/actions.js';
import {
  decodeInstructions,
  decodeRawMatch,
  type GroupDesc,
  type RawFlowStats,
} from './openflow/messages.js';
import { formatMatch, type Match } from './openflow/oxm.js';

/** A route flow as the bridge has it (a FlowSpec is one; its match follows from the prefix). */
export interface InstalledFlow {
  readonly version: IpVersion;
  readonly prefix: string;
  readonly priority: number;
  readonly actionsText: string;
  /** The group the actions forward to, if any. */
  readonly groupId: number | null;
}

export interface InstalledGroup {
  readonly id: number;
  readonly text: string;
}

/** A flow with our cookie that is not one of ours in shape (hand-made, or from another table layout): deleted. */
export interface StrayFlow {
  readonly priority: number;
  readonly match: Match;
  readonly text: string;
}

export interface DesiredGroup {
  readonly spec: GroupSpec;
  /** Desired flows using it. */
  readonly refs: number;
}

export type Op =
  | { readonly kind: 'groupAdd'; readonly id: number; readonly group: GroupSpec }
  | { readonly kind: 'groupModify'; readonly id: number; readonly group: GroupSpec }
  | { readonly kind: 'flowAdd'; readonly flow: FlowSpec }
  | { readonly kind: 'flowDelete'; readonly flow: InstalledFlow }
  | { readonly kind: 'strayDelete'; readonly stray: StrayFlow }
  | { readonly kind: 'groupDelete'; readonly id: number };

export interface PlanInput {
  /** Dirty prefixes to settle in this batch. */
  readonly prefixes: Iterable<string>;
  /** Dirty groups (desired content changed, or no longer wanted). */
  readonly groups: Iterable<number>;
  readonly strays?: readonly StrayFlow[];
  readonly desired: ReadonlyMap<string, FlowSpec>;
  readonly desiredGroups: ReadonlyMap<number, DesiredGroup>;
  readonly installed: ReadonlyMap<string, InstalledFlow>;
  readonly installedGroups: ReadonlyMap<number, InstalledGroup>;
  /** Installed flows per group id. */
  readonly installedGroupRefs: ReadonlyMap<number, number>;
  /** Prefixes and group ids to leave out (failed earlier in this round). */
  readonly excludePrefixes?: ReadonlySet<string>;
  readonly excludeGroups?: ReadonlySet<number>;
}

export interface Plan {
  readonly ops: readonly Op[];
  /** Prefixes this plan settles (whether or not they needed an op). */
  readonly settledPrefixes: readonly string[];
  /** Groups settled by this plan; the others stay dirty (still used by installed flows outside the batch). */
  readonly settledGroups: readonly number[];
}

function bump(map: Map<number, number>, key: number, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

export function planBatch(input: PlanInput): Plan {
  const groupOps: Op[] = [];
  const flowOps: Op[] = [];
  const deleteOps: Op[] = [];
  const settledPrefixes: string[] = [];
  const refDelta = new Map<number, number>();
  const candidates = new Set<number>();
  const excludePrefixes = input.excludePrefixes ?? new Set<string>();
  const excludeGroups = input.excludeGroups ?? new Set<number>();
  for (const stray of input.strays ?? []) flowOps.push({ kind: 'strayDelete', stray });

  for (const prefix of input.prefixes) {
    if (excludePrefixes.has(prefix)) continue;
    settledPrefixes.push(prefix);
    const want = input.desired.get(prefix);
    const have = input.installed.get(prefix);
    const wantGroup = want?.groupId ?? null;
    if (want && wantGroup !== null && excludeGroups.has(wantGroup)) {
      // Its group failed: remove what is there rather than point at a missing group.
      if (have) {
        flowOps.push({ kind: 'flowDelete', flow: have });
        if (have.groupId !== null) {
          bump(refDelta, have.groupId, -1);
          candidates.add(have.groupId);
        }
      }
      continue;
    }
    if (want && have && have.priority === want.priority && have.actionsText === want.actionsText) {
      if (wantGroup !== null) candidates.add(wantGroup);
      continue;
    }
    if (have && (!want || have.priority !== want.priority)) flowOps.push({ kind: 'flowDelete', flow: have });
    if (want) flowOps.push({ kind: 'flowAdd', flow: want });
    if (have && have.groupId !== null) {
      bump(refDelta, have.groupId, -1);
      candidates.add(have.groupId);
    }
    if (want && wantGroup !== null) {
      bump(refDelta, wantGroup, 1);
      candidates.add(wantGroup);
    }
  }
  for (const id of input.groups) candidates.add(id);

  const settledGroups: number[] = [];
  for (const id of candidates) {
    if (excludeGroups.has(id)) continue;
    const want = input.desiredGroups.get(id);
    const have = input.installedGroups.get(id);
    const refsAfter = (input.installedGroupRefs.get(id) ?? 0) + (refDelta.get(id) ?? 0);
    if (want && want.refs > 0) {
      if (!have) groupOps.push({ kind: 'groupAdd', id, group: want.spec });
      else if (have.text !== want.spec.text) groupOps.push({ kind: 'groupModify', id, group: want.spec });
      settledGroups.push(id);
    } else if (!have) {
      settledGroups.push(id);
    } else if (refsAfter <= 0) {
      deleteOps.push({ kind: 'groupDelete', id });
      settledGroups.push(id);
    }
    // else: unwanted but still used by installed flows outside this batch: stays dirty.
  }
  return { ops: [...groupOps, ...flowOps, ...deleteOps], settledPrefixes, settledGroups };
}

// --- dumps --------------------------------------------------------------------

export interface DumpedState {
  readonly flows: Map<string, InstalledFlow>;
  readonly strays: StrayFlow[];
  readonly groups: Map<number, InstalledGroup>;
}

/** What the instructions of a dumped flow say, computed once per distinct instruction bytes. */
interface InstructionFacts {
  readonly text: string;
  readonly groupId: number | null;
  /** Only apply-actions (our shape). */
  readonly applyOnly: boolean;
}

/**
 * Owned flows (the caller dumped with our cookie and mask) and owned groups
 * (in our id range). 100,000 route flows share a handful of action lists, so
 * instructions are decoded and printed once per distinct byte string, and
 * matches are read straight from the bytes.
 */
export function stateFromDump(
  flows: readonly RawFlowStats[],
  groups: readonly GroupDesc[],
  table: number,
  groupRange: { readonly first: number; readonly last: number },
): DumpedState {
  const installed = new Map<string, InstalledFlow>();
  const strays: StrayFlow[] = [];
  const cache = new Map<string, InstructionFacts>();
  for (const flow of flows) {
    if (flow.tableId !== table) continue;
    const key = flow.instructions.toString('latin1');
    let facts = cache.get(key);
    if (facts === undefined) {
      facts = instructionFacts(flow.instructions);
      cache.set(key, facts);
    }
    const prefix = prefixOfRawMatch(flow.match);
    if (prefix === null || !facts.applyOnly || installed.has(prefix.prefix)) {
      const decoded = decodeRawMatch(flow.match);
      const matchText = decoded === null ? '(undecodable match)' : formatMatch(decoded);
      strays.push({
        priority: flow.priority,
        match: decoded ?? { fields: [] },
        text: `priority=${flow.priority},${matchText} actions=${facts.text}`,
      });
      continue;
    }
    installed.set(prefix.prefix, {
      version: prefix.version,
      prefix: prefix.prefix,
      priority: flow.priority,
      actionsText: facts.text,
      groupId: facts.groupId,
    });
  }
  const installedGroups = new Map<number, InstalledGroup>();
  for (const group of groups) {
    if (group.groupId < groupRange.first || group.groupId > groupRange.last) continue;
    installedGroups.set(group.groupId, {
      id: group.groupId,
      text: group.groupType === 'select' ? bucketsText(group.buckets) : `type=${group.groupType}`,
    });
  }
  return { flows: installed, strays, groups: installedGroups };
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

export function groupRefs(flows: ReadonlyMap<string, InstalledFlow>): Map<number, number> {
  const refs = new Map<number, number>();
  for (const flow of flows.values()) if (flow.groupId !== null) bump(refs, flow.groupId, 1);
  return refs;
}

/** How many entries the bridge had different from what we believed: the repairs a sync makes. */
export function countDrift(
  believed: {
    readonly flows: ReadonlyMap<string, InstalledFlow>;
    readonly groups: ReadonlyMap<number, InstalledGroup>;
  },
  actual: DumpedState,
): number {
  let drift = actual.strays.length;
  for (const [prefix, flow] of believed.flows) {
    const now = actual.flows.get(prefix);
    if (!now || now.priority !== flow.priority || now.actionsText !== flow.actionsText) drift++;
  }
  for (const prefix of actual.flows.keys()) if (!believed.flows.has(prefix)) drift++;
  for (const [id, group] of believed.groups) if (actual.groups.get(id)?.text !== group.text) drift++;
  for (const id of actual.groups.keys()) if (!believed.groups.has(id)) drift++;
  return drift;
}

// --- fib diff ---------------------------------------------------------------

export function flowText(flow: InstalledFlow): string {
  return `priority=${flow.priority},${prefixMatchText(flow.version, flow.prefix)} actions=${flow.actionsText}`;
}

/**
 * `fib diff --ovs`: desired (compiled, and routes that cannot be programmed
 * with the reason) against a fresh dump. Empty when converged.
 */
export function diffState(
  desired: ReadonlyMap<string, FlowSpec>,
  unprogrammed: ReadonlyMap<string, string>,
  desiredGroups: ReadonlyMap<number, DesiredGroup>,
  actual: DumpedState,
): FibDiffEntry[] {
  const entries: FibDiffEntry[] = [];
  for (const [prefix, flow] of desired) {
    const have = actual.flows.get(prefix);
    if (!have) entries.push({ prefix, problem: 'missing', desired: flowText(flow), actual: null });
    else if (have.priority !== flow.priority || have.actionsText !== flow.actionsText)
      entries.push({ prefix, problem: 'different', desired: flowText(flow), actual: flowText(have) });
  }
  for (const [prefix, reason] of unprogrammed) {
    const have = actual.flows.get(prefix);
    entries.push({
      prefix,
      problem: have ? 'different' : 'missing',
      desired: `(not programmable: ${reason})`,
      actual: have ? flowText(have) : null,
    });
  }
  for (const [prefix, have] of actual.flows)
    if (!desired.has(prefix) && !unprogrammed.has(prefix))
      entries.push({ prefix, problem: 'extra', desired: null, actual: flowText(have) });
  for (const stray of actual.strays)
    entries.push({ prefix: '(other)', problem: 'extra', desired: null, actual: stray.text });
  for (const [id, group] of desiredGroups) {
    if (group.refs === 0) continue;
    const have = actual.groups.get(id);
    const name = `group:${id}`;
    if (!have) entries.push({ prefix: name, problem: 'missing', desired: group.spec.text, actual: null });
    else if (have.text !== group.spec.text)
      entries.push({ prefix: name, problem: 'different', desired: group.spec.text, actual: have.text });
  }
  for (const [id, have] of actual.groups) {
    const want = desiredGroups.get(id);
    if (!want || want.refs === 0)
      entries.push({ prefix: `group:${id}`, problem: 'extra', desired: null, actual: have.text });
  }
  return entries;
}
