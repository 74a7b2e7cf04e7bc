// Reading the bridge: OFPMP_FLOW for the flows carrying our cookie (every
// table: a flow of ours left in another table is a stray to delete) and
// OFPMP_GROUP_DESC for the groups (OpenFlow 1.3 §7.3.5.2, §7.3.5.9). The
// switch answers in parts of at most 64 KiB; the connection reassembles them.
import { OWNER_COOKIE_MASK } from './compile.js';
import { ByteWriter } from './openflow/buffer.js';
import type { OpenflowConnection } from './openflow/connection.js';
import { OpenflowError } from './openflow/connection.js';
import { OFPG_ANY, OFPP_ANY, OFPTT_ALL } from './openflow/constants.js';
import {
  decodeFlowStats,
  decodeGroupDesc,
  type FlowStats,
  type GroupDesc,
  type RawFlowStats,
  scanFlowStats,
  writeFlowStatsRequest,
  writeGroupDescRequest,
} from './openflow/messages.js';
import { type InstalledState, installedFromDump } from './reconcile.js';

/** The reply bodies of a flow dump filtered by our cookie's owner bits. */
async function flowBodies(connection: OpenflowConnection, cookie: bigint): Promise<Buffer[]> {
  const xid = connection.nextXid();
  const w = new ByteWriter(128);
  writeFlowStatsRequest(w, xid, {
    tableId: OFPTT_ALL,
    outPort: OFPP_ANY,
    outGroup: OFPG_ANY,
    cookie: cookie & OWNER_COOKIE_MASK,
    cookieMask: OWNER_COOKIE_MASK,
    match: { fields: [] },
  });
  const parts = await connection.request(xid, w.toBuffer(), { multipart: true });
  return parts.flatMap((part) => (part.type === 'multipartReply' ? [part.body] : []));
}

/** Our flows with match and instructions left as bytes (the full-sync path). */
export async function dumpRawFlows(connection: OpenflowConnection, cookie: bigint): Promise<RawFlowStats[]> {
  const flows: RawFlowStats[] = [];
  for (const body of await flowBodies(connection, cookie)) {
    const scanned = scanFlowStats(body, flows);
    if (!scanned.ok) throw new OpenflowError(`flow dump: ${scanned.error}`);
  }
  return flows;
}

/** Our flows both ways: raw (for the prefix) and decoded (counters, text), in one order. */
export async function dumpFlowsForShow(
  connection: OpenflowConnection,
  cookie: bigint,
): Promise<{ readonly raw: RawFlowStats[]; readonly decoded: FlowStats[] }> {
  const raw: RawFlowStats[] = [];
  const decoded: FlowStats[] = [];
  for (const body of await flowBodies(connection, cookie)) {
    const scanned = scanFlowStats(body, raw);
    if (!scanned.ok) throw new OpenflowError(`flow dump: ${scanned.error}`);
    const full = decodeFlowStats(body, decoded);
    if (!full.ok) throw new OpenflowError(`flow dump: ${full.error}`);
  }
  return { raw, decoded };
}

export async function dumpGroups(connection: OpenflowConnection): Promise<GroupDesc[]> {
  const xid = connection.nextXid();
  const w = new ByteWriter(32);
  writeGroupDescRequest(w, xid);
  const parts = await connection.request(xid, w.toBuffer(), { multipart: true });
  const groups: GroupDesc[] = [];
  for (const part of parts) {
    if (part.type !== 'multipartReply') continue;
    const decoded = decodeGroupDesc(part.body, groups);
    if (!decoded.ok) throw new OpenflowError(`group dump: ${decoded.error}`);
  }
  return groups;
}

/** What the bridge holds of ours now. */
export async function dumpInstalled(
  connection: OpenflowConnection,
  cookie: bigint,
  table: number,
  groupRange: { readonly first: number; readonly last: number },
): Promise<InstalledState> {
  const [flows, groups] = await Promise.all([dumpRawFlows(connection, cookie), dumpGroups(connection)]);
  return installedFromDump(flows, groups, table, groupRange);
}
