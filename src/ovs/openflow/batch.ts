// One batch of modifications as a single transaction: an ONF bundle over
// OpenFlow 1.3 (OPEN, ADD_MESSAGE per message, BARRIER, then COMMIT), so the
// switch applies all of it or none of it; or, for a switch without bundles,
// plain messages closed by a BARRIER (not atomic: each message stands alone).
//
// Why the BARRIER before COMMIT: an ADD_MESSAGE whose embedded message the
// switch cannot decode is answered with an error and simply left out of the
// bundle (OVS ofproto/bundles.c), so committing after such an error would
// apply the rest. Errors carry the xid of the message they refuse (the
// embedded message shares its ADD_MESSAGE's xid), so a refusal is traced back
// to the operation that caused it.
import { ByteWriter } from './buffer.js';
import { describeError, type OpenflowConnection, OpenflowError } from './connection.js';
import { OFPBF_ATOMIC, OFPBF_ORDERED, OfpBundleCtrlType, OfpErrorType } from './constants.js';
import { beginBundleAdd, endBundleAdd, writeBarrierRequest, writeBundleControl } from './messages.js';

export interface BatchResult {
  /**
   * committed: all applied. rejected: nothing applied (bundle), or everything
   * but `failed` applied (plain). closed: the connection went away; unknown.
   * unsupported: the switch refused the bundle itself (no ONF bundle support).
   */
  readonly outcome: 'committed' | 'rejected' | 'closed' | 'unsupported';
  /** Index of each refused message -> the switch's error, e.g. "BAD_ACTION/BAD_OUT_GROUP". */
  readonly failed: ReadonlyMap<number, string>;
  readonly error: string | null;
}

export interface BatchOptions {
  /** true: one atomic ONF bundle; false: plain messages + BARRIER. */
  readonly bundle: boolean;
  /** Bundle id (per connection; must not be open already). */
  readonly bundleId: number;
}

/** Writes the message with index `index` and transaction id `xid` into `w`. */
export type MessageEncoder = (w: ByteWriter, index: number, xid: number) => void;

const FLAGS = OFPBF_ATOMIC | OFPBF_ORDERED;

export async function sendBatch(
  connection: OpenflowConnection,
  count: number,
  encode: MessageEncoder,
  options: BatchOptions,
): Promise<BatchResult> {
  const { bundle, bundleId } = options;
  // A fresh buffer per batch: the socket may still hold it after send() returns.
  const w = new ByteWriter(count * 200 + 64);
  const first = connection.reserveXids(count + 4);
  const openXid = first;
  const opXid = first + 1;
  const barrierXid = opXid + count;
  const commitXid = barrierXid + 1;
  const discardXid = commitXid + 1;
  const collector = connection.collectErrors(opXid, opXid + count - 1);
  const failed = (): Map<number, string> => {
    const map = new Map<number, string>();
    for (const [xid, error] of collector.errors) map.set(xid - opXid, describeError(error));
    return map;
  };
  try {
    if (bundle) writeBundleControl(w, openXid, bundleId, OfpBundleCtrlType.OPEN_REQUEST, FLAGS);
    for (let i = 0; i < count; i++) {
      if (bundle) {
        const start = beginBundleAdd(w, opXid + i, bundleId, FLAGS);
        encode(w, i, opXid + i);
        endBundleAdd(w, start);
      } else {
        encode(w, i, opXid + i);
      }
    }
    writeBarrierRequest(w, barrierXid);
    const opened = bundle ? connection.expect(openXid) : Promise.resolve([]);
    const barrier = connection.expect(barrierXid);
    opened.catch(() => undefined);
    barrier.catch(() => undefined);
    connection.send(w.view());
    try {
      await opened;
    } catch (error) {
      await barrier.catch(() => undefined);
      if (connection.closed) return { outcome: 'closed', failed: new Map(), error: String(error) };
      const refused = error instanceof OpenflowError ? error.ofError : null;
      // A switch without ONF bundles answers the experimenter message with BAD_REQUEST.
      if (refused !== null && refused.errorType === OfpErrorType.BAD_REQUEST)
        return { outcome: 'unsupported', failed: new Map(), error: describeError(refused) };
      return { outcome: 'rejected', failed: failed(), error: String(error) };
    }
    try {
      await barrier;
    } catch (error) {
      if (connection.closed) return { outcome: 'closed', failed: new Map(), error: String(error) };
      return { outcome: 'rejected', failed: failed(), error: String(error) };
    }
    if (!bundle)
      return collector.errors.size === 0
        ? { outcome: 'committed', failed: new Map(), error: null }
        : { outcome: 'rejected', failed: failed(), error: 'some messages were refused' };
    if (collector.errors.size > 0) {
      const discard = new ByteWriter(32);
      writeBundleControl(discard, discardXid, bundleId, OfpBundleCtrlType.DISCARD_REQUEST, FLAGS);
      await connection.request(discardXid, discard.toBuffer()).catch(() => undefined);
      return {
        outcome: 'rejected',
        failed: failed(),
        error: 'the switch refused messages of the bundle; discarded',
      };
    }
    const commit = new ByteWriter(32);
    writeBundleControl(commit, commitXid, bundleId, OfpBundleCtrlType.COMMIT_REQUEST, FLAGS);
    try {
      await connection.request(commitXid, commit.toBuffer());
    } catch (error) {
      if (connection.closed) return { outcome: 'closed', failed: new Map(), error: String(error) };
      // The error naming the failed message arrives before the commit's MSG_FAILED.
      return {
        outcome: 'rejected',
        failed: failed(),
        error: error instanceof OpenflowError && error.ofError ? describeError(error.ofError) : String(error),
      };
    }
    return { outcome: 'committed', failed: new Map(), error: null };
  } finally {
    collector.close();
  }
}
