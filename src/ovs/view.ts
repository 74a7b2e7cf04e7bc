// `agentctl fib show --ovs` and `fib diff --ovs`: pure formatting of a fresh
// dump against the desired state, in ovs-ofctl's words so that an operator
// can compare with `ovs-ofctl -O OpenFlow13 dump-flows`.
import type { FibDiffEntry, FibEntry } from '../fib/types.js';
import { bucketsText } from './compile.js';
import type { DesiredState } from './desired.js';
import { formatInstructions } from './openflow/actions.js';
import type { FlowStats, GroupDesc, RawFlowStats } from './openflow/messages.js';
import { formatMatch } from './openflow/oxm.js';
import { prefixMatchText, prefixOfRawMatch, priorityFor } from './prefix.js';
import type { InstalledState } from './reconcile.js';

/** "priority=1048,ip,nw_dst=10.233.2.0/24 actions=..." for a route flow. */
export function routeFlowText(prefix: string, actions: string): string {
  const length = Number(prefix.slice(prefix.indexOf('/') + 1));
  return `priority=${priorityFor(length)},${prefixMatchText(prefix)} actions=${actions}`;
}

/**
 * Our flows (the dump was filtered by our cookie) and our groups as FibEntry
 * lines. `raw` and `decoded` are the same dump scanned two ways (raw: the
 * match bytes, for the prefix; decoded: counters and text), in one order.
 */
export function showEntries(
  raw: readonly RawFlowStats[],
  decoded: readonly FlowStats[],
  groups: readonly GroupDesc[],
  groupRange: { readonly first: number; readonly last: number },
): FibEntry[] {
  const buckets = new Map<number, string>();
  for (const group of groups)
    if (group.groupId >= groupRange.first && group.groupId <= groupRange.last)
      buckets.set(group.groupId, bucketsText(group.buckets));
  const entries: FibEntry[] = [];
  for (let i = 0; i < decoded.length; i++) {
    const flow = decoded[i] as FlowStats;
    const prefix = raw[i] === undefined ? null : prefixOfRawMatch((raw[i] as RawFlowStats).match);
    const match = formatMatch(flow.match);
    const actions = formatInstructions(flow.instructions);
    const cookie = `0x${flow.cookie.toString(16)}`;
    let groupId: number | null = null;
    for (const instruction of flow.instructions)
      if (instruction.type === 'applyActions')
        for (const action of instruction.actions) if (action.type === 'group') groupId = action.groupId;
    entries.push({
      prefix: prefix ?? '(other)',
      text: `cookie=${cookie}, table=${flow.tableId}, n_packets=${flow.packetCount}, n_bytes=${flow.byteCount}, priority=${flow.priority}${match ? `,${match}` : ''} actions=${actions}`,
      detail: {
        cookie,
        table: flow.tableId,
        priority: flow.priority,
        match,
        actions,
        packets: Number(flow.packetCount),
        bytes: Number(flow.byteCount),
        durationSeconds: flow.durationSec,
        // ECMP: the select group's buckets, as `ovs-ofctl dump-groups` would show them.
        ...(groupId === null
          ? {}
          : { group: { id: groupId, buckets: buckets.get(groupId)?.split(';') ?? null } }),
      },
    });
  }
  return entries;
}

/**
 * Desired against a fresh dump: routes that are missing or different
 * (including those that cannot be programmed, with the reason), flows and
 * groups we own that nobody wants, and flows with our cookie in a shape that
 * is not ours. Empty when converged.
 */
export function diffEntries(desired: DesiredState, actual: InstalledState): FibDiffEntry[] {
  const entries: FibDiffEntry[] = [];
  for (const [prefix, entry] of desired.routes) {
    const have = actual.flows.get(prefix);
    const haveText = have === undefined ? null : routeFlowText(prefix, have);
    if (!entry.compiled.ok) {
      entries.push({
        prefix,
        problem: have === undefined ? 'missing' : 'different',
        desired: `(not programmable: ${entry.compiled.reason})`,
        actual: haveText,
      });
    } else if (have === undefined) {
      entries.push({
        prefix,
        problem: 'missing',
        desired: routeFlowText(prefix, entry.compiled.text),
        actual: null,
      });
    } else if (have !== entry.compiled.text) {
      entries.push({
        prefix,
        problem: 'different',
        desired: routeFlowText(prefix, entry.compiled.text),
        actual: haveText,
      });
    }
  }
  for (const [prefix, have] of actual.flows)
    if (!desired.routes.has(prefix))
      entries.push({ prefix, problem: 'extra', desired: null, actual: routeFlowText(prefix, have) });
  for (const stray of actual.strays)
    entries.push({ prefix: '(other)', problem: 'extra', desired: null, actual: stray.text });
  const wanted = new Map(desired.wantedGroups());
  for (const [id, group] of wanted) {
    const have = actual.groups.get(id);
    if (have === undefined)
      entries.push({ prefix: `group:${id}`, problem: 'missing', desired: group.text, actual: null });
    else if (have !== group.text)
      entries.push({ prefix: `group:${id}`, problem: 'different', desired: group.text, actual: have });
  }
  for (const [id, have] of actual.groups)
    if (!wanted.has(id))
      entries.push({ prefix: `group:${id}`, problem: 'extra', desired: null, actual: have });
  return entries;
}
