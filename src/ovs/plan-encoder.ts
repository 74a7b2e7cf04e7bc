// A plan (reconcile.ts) as OpenFlow messages, in the plan's order: group
// adds/modifies, stray deletes, route flow deletes, route flow adds, group
// deletes. `write(w, index, xid)` encodes operation `index` (openflow/batch.ts
// asks for them one by one and wraps each in a bundle ADD_MESSAGE); route
// flows go through the template encoder (openflow/route-flow.ts), so the
// per-flow cost is a prefix parse and a few buffer writes.
import { OWNER_COOKIE_MASK } from './compile.js';
import type { ByteWriter } from './openflow/buffer.js';
import { OFPFF_SEND_FLOW_REM } from './openflow/constants.js';
import { writeGroupMod } from './openflow/messages.js';
import { flowModTemplate, writeRawDelete, writeRouteFlowMod } from './openflow/route-flow.js';
import { parsePrefixInto, prefixVersion, priorityFor } from './prefix.js';
import type { Plan } from './reconcile.js';

const EMPTY = new Uint8Array(0);

export class PlanEncoder {
  /** Adds carry our cookie and ask for FLOW_REMOVED, so a hand delete is reported at once. */
  private readonly addTemplate: Buffer;
  /** Deletes are strict and match the cookie's owner bits: a flow that is not ours is never hit. */
  private readonly deleteTemplate: Buffer;
  private readonly address = new Uint8Array(16);
  private plan: Plan | null = null;
  private strayAt = 0;
  private deleteAt = 0;
  private addAt = 0;
  private groupDeleteAt = 0;

  constructor(cookie: bigint, table: number) {
    this.addTemplate = flowModTemplate({
      cookie,
      cookieMask: 0n,
      tableId: table,
      command: 'add',
      flags: OFPFF_SEND_FLOW_REM,
    });
    this.deleteTemplate = flowModTemplate({
      cookie,
      cookieMask: OWNER_COOKIE_MASK,
      tableId: table,
      command: 'deleteStrict',
      flags: 0,
    });
  }

  use(plan: Plan): void {
    this.plan = plan;
    this.strayAt = plan.groupWrites.length;
    this.deleteAt = this.strayAt + plan.strays.length;
    this.addAt = this.deleteAt + plan.deletes.length;
    this.groupDeleteAt = this.addAt + plan.adds.length;
  }

  write(w: ByteWriter, index: number, xid: number): void {
    const plan = this.plan;
    if (plan === null) throw new Error('PlanEncoder.write before use()');
    if (index >= this.addAt && index < this.groupDeleteAt) {
      const i = index - this.addAt;
      const flow = plan.addFlows[i];
      if (flow === undefined) throw new Error(`no add ${i}`);
      this.route(w, xid, plan.adds[i] as string, this.addTemplate, flow.instructions);
    } else if (index < this.strayAt) {
      const write = plan.groupWrites[index];
      if (write === undefined) throw new Error(`no group write ${index}`);
      writeGroupMod(w, xid, {
        command: write.command,
        groupType: 'select',
        groupId: write.id,
        buckets: write.spec.buckets,
      });
    } else if (index < this.deleteAt) {
      const stray = plan.strays[index - this.strayAt];
      if (stray === undefined) throw new Error(`no stray ${index}`);
      writeRawDelete(w, xid, this.deleteTemplate, stray.tableId, stray.priority, stray.match, -1, 0);
    } else if (index < this.addAt) {
      this.route(w, xid, plan.deletes[index - this.deleteAt] as string, this.deleteTemplate, EMPTY);
    } else {
      const id = plan.groupDeletes[index - this.groupDeleteAt];
      if (id === undefined) throw new Error(`no group delete ${index}`);
      writeGroupMod(w, xid, { command: 'delete', groupType: 'select', groupId: id, buckets: [] });
    }
  }

  private route(
    w: ByteWriter,
    xid: number,
    prefix: string,
    template: Buffer,
    instructions: Uint8Array,
  ): void {
    const length = parsePrefixInto(prefix, this.address);
    if (length < 0) throw new Error(`not a prefix: ${prefix}`);
    writeRouteFlowMod(
      w,
      xid,
      template,
      prefixVersion(prefix),
      this.address,
      length,
      priorityFor(length),
      instructions,
      -1,
      0,
    );
  }
}
