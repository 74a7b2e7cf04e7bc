// The programmer against a recorded command sink, with fake timers: dirty
// prefixes become replace/delete messages, 1024 to a datagram and 6 ms to
// a turn, then an acknowledged NOOP marker; a full channel makes it wait;
// error replies keyed by sequence number mark routes FAILED (and the next
// reconcile rewrites them); flush() waits for the marker's ACK.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FAILED, NONE } from '../../src/netlink/desired.js';
import { Programmer } from '../../src/netlink/programmer.js';
import { ESRCH, FamilyComparison } from '../../src/netlink/reconcile.js';
import { NlMsgType } from '../../src/netlink/rtnetlink.js';
import type { KernelWriterMetrics, WriterLog } from '../../src/netlink/types.js';
import { concat, errorReply, RecordingSink } from './helpers/messages.js';
import { want, world } from './helpers/world.js';

const SEQ_V6 = 0x40000000;
const SEQ_MARKER = 0x80000000;
const NLMSG_NOOP = 1;
/** NLM_F_REQUEST | NLM_F_REPLACE | NLM_F_CREATE: no NLM_F_ACK. */
const REPLACE_FLAGS = 0x501;

interface Recorded {
  readonly logs: { level: string; fields: Record<string, unknown>; message: string }[];
  readonly metrics: { batch: number[]; routes: string[]; failed: number[]; repaired: number[] };
}

function setup() {
  const { view, state } = world();
  const recorded: Recorded = { logs: [], metrics: { batch: [], routes: [], failed: [], repaired: [] } };
  const logAt =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      recorded.logs.push({ level, fields, message });
    };
  const log: WriterLog = {
    info: logAt('info'),
    warn: logAt('warn'),
    error: logAt('error'),
    debug: logAt('debug'),
  };
  const metrics: KernelWriterMetrics = {
    routes: (version, installed) => recorded.metrics.routes.push(`v${version}=${installed}`),
    repaired: (count) => recorded.metrics.repaired.push(count),
    failed: (count) => recorded.metrics.failed.push(count),
    batch: (routes) => recorded.metrics.batch.push(routes),
  };
  const sink = new RecordingSink();
  const programmer = new Programmer(state, { table: 254, protocol: 186, metric: 20 }, log, metrics);
  programmer.attach(sink);
  const sets = {
    ok: state.hopSet([{ address: '10.98.0.2' }], false),
    ecmp: state.hopSet([{ address: '10.99.0.2' }, { address: '10.98.0.2' }], false),
    v6: state.hopSet([{ address: 'fd98::2' }], false),
    unresolved: state.hopSet([{ address: '192.0.2.1' }], false),
    blackhole: state.hopSet([], true),
  };
  return { view, state, sink, programmer, sets, recorded };
}

/** Wants n IPv4 /32s (10.200.x.y) via the `ok` set. */
function wantMany(state: ReturnType<typeof setup>['state'], set: number, n: number): void {
  for (let i = 0; i < n; i++) want(state, `10.200.${(i >> 8) & 0xff}.${i & 0xff}/32`, set);
}

function messagesPerDatagram(sink: RecordingSink): number[] {
  return sink.sent.map((datagram) => {
    const b = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    let count = 0;
    for (let at = 0; at + 16 <= b.length; at += (b.readUInt32LE(at) + 3) & ~3) count++;
    return count;
  });
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('programming batches', () => {
  it('writes replace messages, 1024 to a datagram, then an acknowledged NOOP marker', () => {
    const { state, sink, programmer, sets, recorded } = setup();
    wantMany(state, sets.ok, 2500);
    programmer.schedule();
    programmer.schedule(); // once per turn, however often asked
    expect(sink.sent).toHaveLength(0);
    vi.runOnlyPendingTimers();
    expect(messagesPerDatagram(sink)).toEqual([1024, 1024, 452, 1]);
    const messages = sink.take();
    const routes = messages.slice(0, -1);
    expect(routes.every((m) => m.type === NlMsgType.newRoute && m.flags === REPLACE_FLAGS)).toBe(true);
    expect(routes[0]).toMatchObject({ seq: 0, route: '10.200.0.0/32 via 10.98.0.2@2' });
    expect(routes[2499]?.seq).toBe(2499);
    const marker = messages.at(-1);
    expect(marker?.type).toBe(NLMSG_NOOP);
    expect(marker?.flags).toBe(0x5); // NLM_F_REQUEST | NLM_F_ACK
    expect((marker?.seq ?? 0) & SEQ_MARKER).not.toBe(0);
    expect(recorded.metrics.batch).toEqual([2500]);
    expect(recorded.metrics.routes).toEqual(['v4=2500', 'v6=0']);
    // Nothing dirty, nothing written: the next run sends only a marker.
    programmer.schedule();
    vi.runOnlyPendingTimers();
    expect(sink.take().map((m) => m.type)).toEqual([NLMSG_NOOP]);
  });

  it('records write times only when the kernel does not filter the echoes of our writes', () => {
    for (const filtered of [false, true]) {
      const { state, programmer, sets } = setup();
      programmer.echoesFiltered = () => filtered;
      vi.advanceTimersByTime(5000);
      const p = want(state, '10.233.1.0/24', sets.ok);
      programmer.schedule();
      vi.runOnlyPendingTimers();
      expect(state.v4.programmedOf(p)).toBe(sets.ok);
      // Unfiltered, a notification within a second of this write is taken for its echo (notificationMatters).
      expect(state.v4.writtenSeconds[p]).toBe(filtered ? 0 : 5);
    }
  });

  it('stops when its time slice is spent and goes on at the next turn', () => {
    const { state, sink, programmer, sets, recorded } = setup();
    wantMany(state, sets.ok, 20_000);
    // A clock that moves 1 ms each time it is read: the slice (6 ms) runs
    // out at the sixth look, which comes every 256 routes.
    let nowMs = 0;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => nowMs++);
    try {
      programmer.schedule();
      vi.advanceTimersToNextTimer();
      expect(messagesPerDatagram(sink)).toEqual([1024, 512]);
      expect(state.pending).toBe(20_000 - 1536);
      sink.take();
      for (let turn = 0; turn < 20 && state.pending > 0; turn++) vi.advanceTimersToNextTimer();
      expect(state.pending).toBe(0);
      expect(recorded.metrics.batch.reduce((sum, n) => sum + n, 0)).toBe(20_000);
      expect(recorded.metrics.batch[1]).toBe(1536);
    } finally {
      clock.mockRestore();
    }
  });

  it('waits while the channel is full and goes on when it says it is writable', () => {
    const { state, sink, programmer, sets } = setup();
    wantMany(state, sets.ok, 3000);
    sink.canSend = false;
    programmer.schedule();
    vi.runAllTimers();
    expect(sink.sent).toHaveLength(0);
    expect(state.pending).toBe(3000);
    sink.canSend = true;
    programmer.schedule(); // the channel's `writable`
    vi.runAllTimers();
    expect(messagesPerDatagram(sink)).toEqual([1024, 1024, 952, 1]);
  });

  it('writes deletes, blackholes, ECMP and IPv6 (sequence numbers say which family)', () => {
    const { state, sink, programmer, sets } = setup();
    const gone = want(state, '10.233.1.0/24', sets.ok);
    state.v4.setProgrammed(gone, sets.ok);
    want(state, '10.233.1.0/24', NONE);
    want(state, '10.233.3.0/24', sets.ecmp);
    want(state, '10.233.4.0/24', sets.blackhole);
    const v6 = want(state, 'fd00:233:2::/64', sets.v6);
    programmer.schedule();
    vi.runOnlyPendingTimers();
    const messages = sink.take();
    expect(messages.map((m) => m.route)).toEqual([
      'del 10.233.1.0/24',
      '10.233.3.0/24 via 10.99.0.2@3,10.98.0.2@2', // in the set's order: the kernel keeps it
      'blackhole 10.233.4.0/24',
      'fd00:233:2::/64 via fd98::2@2',
      null,
    ]);
    expect(messages[0]?.type).toBe(NlMsgType.delRoute);
    expect(messages[3]?.seq).toBe((SEQ_V6 | v6) >>> 0);
  });

  it('writes no route for unresolved next hops, and deletes the one it had', () => {
    const { state, sink, programmer, sets, recorded } = setup();
    const had = want(state, '10.233.1.0/24', sets.unresolved);
    state.v4.setProgrammed(had, sets.ok);
    want(state, '10.233.2.0/24', sets.unresolved);
    programmer.schedule();
    vi.runOnlyPendingTimers();
    expect(sink.take().map((m) => m.route)).toEqual(['del 10.233.1.0/24', null]);
    expect(recorded.logs.filter((l) => l.level === 'debug').map((l) => l.fields.prefix)).toEqual([
      '10.233.1.0/24',
      '10.233.2.0/24',
    ]);
    expect(recorded.metrics.batch).toEqual([1]);
  });

  it('stamps each write with the writer clock (echoes of our own writes are told by it)', () => {
    const { state, programmer, sets } = setup();
    vi.advanceTimersByTime(3500);
    const p = want(state, '10.233.2.0/24', sets.ok);
    programmer.schedule();
    vi.runOnlyPendingTimers();
    expect(programmer.nowSeconds()).toBe(3);
    expect(state.v4.writtenSeconds[p]).toBe(3);
  });
});

describe('replies', () => {
  it('marks the routes whose writes failed, by sequence number, and counts them', () => {
    const { state, programmer, sets, recorded } = setup();
    const a = want(state, '10.233.1.0/24', sets.ok);
    const b = want(state, '10.233.2.0/24', sets.ok);
    const v6 = want(state, 'fd00:233:2::/64', sets.v6);
    const withdrawn = want(state, '10.233.9.0/24', sets.ok);
    want(state, '10.233.9.0/24', NONE);
    programmer.schedule();
    vi.runOnlyPendingTimers();
    programmer.receive(
      concat(
        errorReply(b, -101), // ENETUNREACH
        errorReply(SEQ_V6 | v6, -22), // EINVAL
        errorReply(withdrawn, ESRCH), // deleting what was already gone: fine
        errorReply(a, 0), // an ACK
      ),
    );
    expect(state.v4.programmedOf(a)).toBe(sets.ok);
    expect(state.v4.programmedOf(b)).toBe(FAILED);
    expect(state.v6.programmedOf(v6)).toBe(FAILED);
    expect(recorded.metrics.failed).toEqual([2]);
    expect(recorded.logs.filter((l) => l.level === 'warn').map((l) => l.fields)).toEqual([
      { prefix: '10.233.2.0/24', errno: 101 },
      { prefix: 'fd00:233:2::/64', errno: 22 },
    ]);
  });

  it('logs the first hundred failures one by one and then only counts them', () => {
    const { state, programmer, sets, recorded } = setup();
    wantMany(state, sets.ok, 150);
    programmer.receive(concat(...Array.from({ length: 150 }, (_, p) => errorReply(p, -101))));
    expect(recorded.metrics.failed).toEqual([150]);
    expect(recorded.logs.filter((l) => l.level === 'warn')).toHaveLength(100);
  });

  it('retries a failed write at the next reconcile', () => {
    const { state, sink, programmer, sets } = setup();
    const p = want(state, '10.233.2.0/24', sets.ok);
    programmer.schedule();
    vi.runOnlyPendingTimers();
    sink.take();
    programmer.receive(errorReply(p, -101));
    programmer.schedule();
    vi.runOnlyPendingTimers();
    expect(sink.take().map((m) => m.route)).toEqual([null]); // not retried at once: only a marker
    const comparison = new FamilyComparison(state, state.v4);
    comparison.finish(); // a dump without it
    expect(comparison.repaired).toBe(1);
    programmer.schedule();
    vi.runOnlyPendingTimers();
    expect(sink.take().map((m) => m.route)).toEqual(['10.233.2.0/24 via 10.98.0.2@2', null]);
  });
});

describe('flush', () => {
  it('resolves once the kernel acknowledged the marker after the last batch', async () => {
    const { state, sink, programmer, sets } = setup();
    want(state, '10.233.2.0/24', sets.ok);
    programmer.schedule();
    let flushed = false;
    void programmer.flush().then(() => {
      flushed = true;
    });
    await vi.advanceTimersByTimeAsync(50);
    expect(flushed).toBe(false);
    const marker = sink.take().at(-1);
    programmer.receive(errorReply(marker?.seq ?? 0, 0));
    await vi.advanceTimersByTimeAsync(10);
    expect(flushed).toBe(true);
  });

  it('resolves at once when stopped', async () => {
    const { programmer } = setup();
    programmer.attach(null);
    await expect(programmer.flush()).resolves.toBeUndefined();
  });
});
