// The batch pump: takes dirty prefixes in chunks, plans each chunk against
// what is installed (reconcile.ts), writes it as one atomic ONF bundle
// (openflow/batch.ts) and records the outcome. One pump runs at a time, so
// batches never overlap; apply() only marks prefixes dirty, so a prefix that
// changes ten times while a batch is in flight is written once.
//
// A full sync (at connect, after a reconnect, which is also what an
// ovs-vswitchd restart looks like, and on a timer) dumps what the bridge has
// with our cookie, replaces the installed view with it, counts the drift as
// repairs and marks everything dirty, so the next chunks converge.
// A FLOW_REMOVED for one of our flows that we did not delete is a hand
// delete: the flow is marked missing and written again at once.
import type { GroupIdAllocator } from './compile.js';
import { OWNER_COOKIE_MASK } from './compile.js';
import type { DesiredState } from './desired.js';
import { dumpInstalled } from './dump.js';
import { type BatchResult, sendBatch } from './openflow/batch.js';
import type { ByteWriter } from './openflow/buffer.js';
import type { OpenflowConnection } from './openflow/connection.js';
import { OfpFlowRemovedReason } from './openflow/constants.js';
import { encodeOxm } from './openflow/oxm.js';
import { PlanEncoder } from './plan-encoder.js';
import { prefixOfRawMatch, priorityFor } from './prefix.js';
import { applyPlan, countDrift, InstalledState, opAt, opCount, type Plan, planChunk } from './reconcile.js';
import type { FlowRemovedMessage } from './session.js';
import type { OvsLogger, OvsMetrics } from './types.js';

export interface PumpConfig {
  readonly cookie: bigint;
  readonly table: number;
  /** Prefixes per bundle. */
  readonly batchSize: number;
  /** Atomic ONF bundles (default); false: plain flow mods closed by a BARRIER. */
  readonly bundles: boolean;
  /** Delay before retrying a batch the switch rejected without saying which message. */
  readonly retryMs: () => number;
}

export class Pump {
  installed = new InstalledState();
  /** False until the first dump: there is nothing to count drift against. */
  private believed = false;
  private pumping = false;
  private needsFullSync = false;
  private stopped = false;
  private bundles: boolean;
  private bundleId = 1;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Prefixes deleted by the batch in flight: their FLOW_REMOVED is our own doing. */
  private inFlightDeletes: ReadonlySet<string> = new Set();
  private readonly removed: { prefix: string; groupDelete: boolean }[] = [];
  repairs = 0;
  lastSync: string | null = null;
  /** Until the sweep after a restart: unwanted flows found in the bridge stay (reconcile.ts planChunk). */
  keepUnwanted = false;
  private readonly encoder: PlanEncoder;

  constructor(
    private readonly config: PumpConfig,
    private readonly desired: DesiredState,
    private readonly groupIds: GroupIdAllocator,
    private readonly connection: () => OpenflowConnection | null,
    private readonly logger: OvsLogger,
    private readonly metrics: OvsMetrics,
    /** Called whenever the pump goes idle (the writer settles flush() waiters). */
    private readonly idle: () => void,
  ) {
    this.bundles = config.bundles;
    this.encoder = new PlanEncoder(config.cookie, config.table);
  }

  get busy(): boolean {
    return this.pumping;
  }

  /** Work that needs a connection: dirty prefixes, groups, strays, a sync. */
  get hasWork(): boolean {
    return (
      this.needsFullSync ||
      this.desired.dirty.size > 0 ||
      this.desired.dirtyGroups.size > 0 ||
      this.installed.strays.length > 0 ||
      this.removed.length > 0
    );
  }

  /** (Re)connected: what is in the bridge is unknown until dumped. */
  connected(): void {
    this.bundles = this.config.bundles;
    this.needsFullSync = true;
    this.kick();
  }

  /** A full dump-and-converge at the next turn (the timer, `reconcile()`). */
  requestFullSync(): void {
    if (this.connection() === null) return;
    this.needsFullSync = true;
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  kick(): void {
    if (this.pumping || this.stopped) return;
    void this.run();
  }

  /** A flow of ours was deleted: by us (ignored), or outside the agent (repaired). */
  flowRemoved(message: FlowRemovedMessage): void {
    if ((message.cookie & OWNER_COOKIE_MASK) !== (this.config.cookie & OWNER_COOKIE_MASK)) return;
    if (message.tableId !== this.config.table) return;
    const tlvs = Buffer.concat(message.match.fields.map(encodeOxm));
    const prefix = prefixOfRawMatch(tlvs);
    if (prefix === null || this.inFlightDeletes.has(prefix)) return;
    if (message.priority !== priorityFor(Number(prefix.slice(prefix.indexOf('/') + 1)))) return;
    // Applied by the pump between batches, so that a dump in flight cannot undo it.
    this.removed.push({ prefix, groupDelete: message.reason === OfpFlowRemovedReason.GROUP_DELETE });
    this.kick();
  }

  private applyRemovals(): void {
    if (this.removed.length === 0) return;
    let repaired = 0;
    let first: string | null = null;
    for (const { prefix, groupDelete } of this.removed.splice(0)) {
      if (groupDelete) {
        // A group deleted by hand takes its flows with it, one FLOW_REMOVED
        // each, which may straddle our own repair: a dump tells the truth.
        this.needsFullSync = true;
        continue;
      }
      if (!this.installed.flows.has(prefix)) continue;
      this.installed.deleteFlow(prefix);
      this.desired.dirty.add(prefix);
      first ??= prefix;
      repaired++;
    }
    if (repaired === 0) return;
    this.repairs += repaired;
    this.metrics.addRepairs(repaired);
    this.logger.info(
      { prefix: first, repairs: repaired },
      'ovs: our flow was deleted outside the agent; restoring it',
    );
  }

  private async run(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.stopped) {
        const connection = this.connection();
        if (connection === null) break;
        this.applyRemovals();
        if (this.needsFullSync) {
          this.needsFullSync = false;
          if (!(await this.fullSync(connection))) break;
          continue;
        }
        if (!this.hasWork) break;
        if (!(await this.runChunk(connection))) break;
      }
    } catch (error) {
      this.logger.error(
        { err: error instanceof Error ? (error.stack ?? error.message) : String(error) },
        'ovs: writer bug',
      );
    } finally {
      this.pumping = false;
      this.idle();
    }
  }

  /** Dumps, replaces the installed view, counts drift, marks everything for convergence. */
  private async fullSync(connection: OpenflowConnection): Promise<boolean> {
    const startedMs = performance.now();
    let actual: InstalledState;
    try {
      actual = await dumpInstalled(connection, this.config.cookie, this.config.table, this.groupIds.range);
    } catch (error) {
      if (!connection.closed) {
        this.logger.warn({ err: String(error) }, 'ovs: dump failed; reconnecting');
        this.needsFullSync = true;
        connection.close();
      }
      return false;
    }
    // FLOW_REMOVED received before the dump's reply is already reflected in it.
    this.removed.length = 0;
    const drift = this.believed ? countDrift(this.installed, actual) : 0;
    this.installed = actual;
    this.believed = true;
    // A fresh compile also retries what the switch refused last time.
    this.desired.recompile();
    this.desired.markAllDirty();
    for (const prefix of actual.flows.keys()) this.desired.dirty.add(prefix);
    for (const id of actual.groups.keys()) this.desired.dirtyGroups.add(id);
    if (drift > 0) {
      this.repairs += drift;
      this.metrics.addRepairs(drift);
      this.logger.warn(
        { drift },
        'ovs: flows or groups changed outside the agent (or ovs-vswitchd restarted); repairing',
      );
    }
    this.lastSync = new Date().toISOString();
    this.metrics.setInstalled(actual.flows.size, actual.groups.size);
    this.logger.info(
      {
        flows: actual.flows.size,
        groups: actual.groups.size,
        strays: actual.strays.length,
        ms: Math.round(performance.now() - startedMs),
      },
      'ovs: dumped the bridge; converging',
    );
    return true;
  }

  /** Plans and writes one chunk; false when the pump should stop (connection gone, retry later). */
  private async runChunk(connection: OpenflowConnection): Promise<boolean> {
    const chunk: string[] = [];
    for (const prefix of this.desired.dirty) {
      chunk.push(prefix);
      if (chunk.length >= this.config.batchSize) break;
    }
    for (const prefix of chunk) this.desired.dirty.delete(prefix);
    const groups = [...this.desired.dirtyGroups];
    this.desired.dirtyGroups.clear();
    const strays = this.installed.strays;
    this.installed.strays = [];
    const plan = planChunk(chunk, groups, strays, this.desired, this.installed, this.keepUnwanted);
    const settled = new Set(plan.settledGroups);
    for (const id of groups) if (!settled.has(id)) this.desired.dirtyGroups.add(id);
    const count = opCount(plan);
    if (count === 0) {
      this.forgetSettledGroups(plan);
      return true;
    }
    this.inFlightDeletes = plan.deletes.length > 0 ? new Set(plan.deletes) : new Set();
    const startedMs = performance.now();
    const bundle = this.bundles;
    let result: BatchResult;
    try {
      this.encoder.use(plan);
      result = await sendBatch(
        connection,
        count,
        (w: ByteWriter, index: number, xid: number) => this.encoder.write(w, index, xid),
        { bundle, bundleId: this.nextBundleId() },
      );
    } finally {
      this.inFlightDeletes = new Set();
    }
    const seconds = (performance.now() - startedMs) / 1000;
    this.metrics.observeBatch(seconds, count, result.outcome === 'committed' ? 'committed' : 'failed');
    switch (result.outcome) {
      case 'committed':
        applyPlan(this.installed, plan);
        this.forgetSettledGroups(plan);
        this.metrics.setInstalled(this.installed.flows.size, this.installed.groups.size);
        this.logger.debug({ operations: count, ms: Math.round(seconds * 1000) }, 'ovs: batch committed');
        return true;
      case 'closed':
        this.requeue(plan, chunk, groups);
        return false;
      case 'unsupported':
        this.bundles = false;
        this.logger.warn(
          { error: result.error },
          'ovs: the switch does not take ONF bundles over OpenFlow 1.3; writing barrier-delimited batches (not atomic)',
        );
        this.requeue(plan, chunk, groups);
        return true;
      case 'rejected':
        return this.rejected(plan, chunk, groups, result, bundle);
    }
  }

  private rejected(
    plan: Plan,
    chunk: readonly string[],
    groups: readonly number[],
    result: BatchResult,
    bundle: boolean,
  ): boolean {
    if (!bundle) {
      // Plain writes are not atomic: everything but the refused messages is in.
      applyPlan(this.installed, plan, new Set(result.failed.keys()));
      this.forgetSettledGroups(plan);
    } else {
      this.requeue(plan, chunk, groups);
    }
    if (result.failed.size === 0) {
      this.logger.error(
        { err: result.error, operations: opCount(plan) },
        'ovs: the switch rejected a batch without naming a message; retrying with a full sync',
      );
      this.metrics.setInstalled(this.installed.flows.size, this.installed.groups.size);
      this.scheduleRetry();
      return false;
    }
    for (const [index, reason] of result.failed) {
      const op = opAt(plan, index);
      if (op === null) continue;
      switch (op.kind) {
        case 'add':
          this.logger.warn({ prefix: op.prefix, actions: op.flow.text, error: reason }, 'ovs: flow rejected');
          this.desired.reject({ prefix: op.prefix }, reason);
          this.desired.dirty.add(op.prefix);
          break;
        case 'groupWrite':
          this.logger.warn({ group: op.write.id, error: reason }, 'ovs: group rejected');
          this.desired.reject({ groupId: op.write.id }, reason);
          break;
        // A refused delete is not retried in this round (it would fail again):
        // the next full sync, after a backoff, tries once more.
        case 'delete':
          this.logger.warn({ prefix: op.prefix, error: reason }, 'ovs: flow delete rejected');
          this.desired.dirty.delete(op.prefix);
          this.scheduleRetry();
          break;
        case 'stray':
          this.logger.warn({ flow: op.stray.text, error: reason }, 'ovs: could not delete a stray flow');
          this.installed.strays = this.installed.strays.filter((stray) => stray !== op.stray);
          this.scheduleRetry();
          break;
        case 'groupDelete':
          this.logger.warn({ group: op.id, error: reason }, 'ovs: group delete rejected');
          this.desired.dirtyGroups.delete(op.id);
          this.scheduleRetry();
          break;
      }
    }
    this.metrics.setUnprogrammed(this.desired.unprogrammedCount());
    this.metrics.setInstalled(this.installed.flows.size, this.installed.groups.size);
    return true;
  }

  /** Nothing of the batch applied: its prefixes, groups and strays are dirty again. */
  private requeue(plan: Plan, chunk: readonly string[], groups: readonly number[]): void {
    for (const prefix of chunk) this.desired.dirty.add(prefix);
    for (const id of groups) this.desired.dirtyGroups.add(id);
    this.installed.strays.push(...plan.strays);
  }

  /** Groups that neither we nor the bridge have any more: their ids are free. */
  private forgetSettledGroups(plan: Plan): void {
    for (const id of plan.settledGroups)
      if (this.desired.groupFor(id) === null && !this.installed.groups.has(id)) this.desired.forgetGroup(id);
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.requestFullSync();
    }, this.config.retryMs());
    this.retryTimer.unref();
  }

  private nextBundleId(): number {
    const id = this.bundleId;
    this.bundleId = this.bundleId >= 0x7fffffff ? 1 : this.bundleId + 1;
    return id;
  }
}
