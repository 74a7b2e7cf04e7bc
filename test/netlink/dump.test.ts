// Route dumps over a recorded command sink, fed the kernel's own replies
// (fixtures/kernel-routes.ts): one dump at a time, only wanted routes
// parsed, interrupted dumps repeated, refused ones rejected.
import { describe, expect, it } from 'vitest';
import { RouteDumps } from '../../src/netlink/dump.js';
import { bytesToAddress } from '../../src/netlink/kernel-view.js';
import { AF_INET, AF_INET6, type KernelRoute, type RoutePeek } from '../../src/netlink/rtnetlink.js';
import { D0, dumpV4, dumpV6 } from './fixtures/kernel-routes.js';
import { done, errorReply, RecordingSink, withSeq } from './helpers/messages.js';

const NLM_F_DUMP_INTR = 0x10;

/** Lets queued promise callbacks run (the next dump starts in one). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The sequence number of the dump request sent last. */
function lastRequestSeq(sink: RecordingSink): number {
  const datagram = sink.sent.at(-1);
  if (datagram === undefined) throw new Error('no request sent');
  return Buffer.from(datagram).readUInt32LE(8);
}

function text(route: KernelRoute): string {
  const hops = route.nextHops.map(
    (h) => `${h.gateway === null ? '-' : bytesToAddress(h.gateway)}@${h.ifindex}`,
  );
  return `${bytesToAddress(route.destination)}/${route.prefixLength} p${route.protocol} t${route.table} ${hops.join(',')}`;
}

function collector(wants: (peek: RoutePeek) => boolean) {
  const routes: string[] = [];
  const peeked: string[] = [];
  return {
    routes,
    peeked,
    visitor: {
      wants: (peek: RoutePeek) => {
        peeked.push(`${peek.protocol}/${peek.table}/${peek.type}`);
        return wants(peek);
      },
      route: (route: KernelRoute) => routes.push(text(route)),
    },
  };
}

/** Each message of a datagram as a datagram of its own. */
function messagesOf(datagram: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 16 <= datagram.length; ) {
    const length = datagram.readUInt32LE(at);
    out.push(datagram.subarray(at, at + length));
    at += (length + 3) & ~3;
  }
  return out;
}

describe('route dumps', () => {
  it('asks the kernel for one family and parses only the routes the visitor wants', async () => {
    const sink = new RecordingSink();
    const dumps = new RouteDumps();
    dumps.attach(sink);
    const ours = collector((peek) => peek.protocol === 186 && peek.table === 254);
    const result = dumps.dump(AF_INET, ours.visitor);
    await settle();
    const request = Buffer.from(sink.sent[0] ?? []);
    expect(request.readUInt16LE(4)).toBe(26); // RTM_GETROUTE
    expect(request.readUInt16LE(6) & 0x301).toBe(0x301); // NLM_F_REQUEST | NLM_F_DUMP
    expect(request[16]).toBe(AF_INET);
    const seq = lastRequestSeq(sink);
    for (const datagram of dumpV4) expect(dumps.receive(withSeq(datagram, seq))).toBe(true);
    await expect(result).resolves.toBe(true);
    expect(ours.peeked).toHaveLength(10);
    expect(ours.routes).toEqual([
      `10.233.2.0/24 p186 t254 10.98.0.2@${D0}`,
      `10.233.3.0/24 p186 t254 10.98.0.3@${D0},10.98.0.2@${D0}`,
      '10.233.4.0/24 p186 t254 ',
    ]);
  });

  it('runs one dump at a time (the kernel answers a second one with EBUSY)', async () => {
    const sink = new RecordingSink();
    const dumps = new RouteDumps();
    dumps.attach(sink);
    const v4 = collector(() => true);
    const v6 = collector((peek) => peek.protocol === 186);
    const first = dumps.dump(AF_INET, v4.visitor);
    const second = dumps.dump(AF_INET6, v6.visitor);
    await settle();
    expect(sink.sent).toHaveLength(1);
    const seq = lastRequestSeq(sink);
    for (const datagram of dumpV4) dumps.receive(withSeq(datagram, seq));
    await first;
    await settle();
    expect(sink.sent).toHaveLength(2);
    const seq6 = lastRequestSeq(sink);
    expect(seq6).not.toBe(seq);
    // A late reply to the finished dump is not taken for the new one.
    expect(dumps.receive(withSeq(dumpV4[0] as Buffer, seq))).toBe(false);
    for (const datagram of dumpV6) dumps.receive(withSeq(datagram, seq6));
    await expect(second).resolves.toBe(true);
    expect(v4.routes).toHaveLength(10);
    expect(v6.routes).toEqual([`fd00:233:2::/64 p186 t254 fd98::2@${D0}`]);
  });

  it('says an interrupted dump is not consistent, and repeats it up to three times', async () => {
    const sink = new RecordingSink();
    const dumps = new RouteDumps();
    dumps.attach(sink);
    const seen = collector((peek) => peek.protocol === 186);
    let starts = 0;
    const result = dumps.consistent(
      AF_INET,
      () => {
        starts++;
        seen.routes.length = 0;
      },
      seen.visitor,
    );
    for (let attempt = 1; attempt <= 3; attempt++) {
      await settle();
      const seq = lastRequestSeq(sink);
      // NLM_F_DUMP_INTR: the table changed while it was dumped.
      for (const datagram of dumpV4) dumps.receive(withSeq(datagram, seq, NLM_F_DUMP_INTR));
    }
    await result;
    expect(starts).toBe(3);
    expect(sink.sent).toHaveLength(3);
    expect(seen.routes).toHaveLength(3);
  });

  it('stops repeating once a dump is consistent', async () => {
    const sink = new RecordingSink();
    const dumps = new RouteDumps();
    dumps.attach(sink);
    let starts = 0;
    const result = dumps.consistent(AF_INET, () => starts++, collector(() => false).visitor);
    await settle();
    for (const datagram of dumpV4) dumps.receive(withSeq(datagram, lastRequestSeq(sink), NLM_F_DUMP_INTR));
    await settle();
    for (const datagram of dumpV4) dumps.receive(withSeq(datagram, lastRequestSeq(sink)));
    await result;
    expect(starts).toBe(2);
  });

  it('rejects a refused dump, and the next one still runs', async () => {
    const sink = new RecordingSink();
    const dumps = new RouteDumps();
    dumps.attach(sink);
    const refused = dumps.dump(AF_INET, collector(() => true).visitor);
    const next = dumps.dump(AF_INET6, collector(() => true).visitor);
    await settle();
    dumps.receive(errorReply(lastRequestSeq(sink), -16)); // EBUSY
    await expect(refused).rejects.toThrow('route dump refused: errno 16');
    await settle();
    dumps.receive(done(lastRequestSeq(sink)));
    await expect(next).resolves.toBe(true);
  });

  it('leaves replies that are not a dump’s to the programmer', () => {
    const dumps = new RouteDumps();
    dumps.attach(new RecordingSink());
    expect(dumps.receive(errorReply(0x80000001, 0))).toBe(false);
    expect(dumps.receive(Buffer.alloc(4))).toBe(false);
  });

  it('asks the kernel for one table, protocol and type (strict checking), any table id', async () => {
    const sink = new RecordingSink();
    const dumps = new RouteDumps();
    dumps.attach(sink);
    void dumps.dump(AF_INET6, collector(() => true).visitor, { table: 1000, protocol: 186, type: 0 });
    await settle();
    const request = Buffer.from(sink.sent[0] ?? []);
    expect(request.readUInt32LE(0)).toBe(16 + 12 + 8);
    // rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags (strict: zero but the filter).
    expect([...request.subarray(16, 28)]).toEqual([AF_INET6, 0, 0, 0, 0, 186, 0, 0, 0, 0, 0, 0]);
    // RTA_TABLE, u32.
    expect([request.readUInt16LE(28), request.readUInt16LE(30), request.readUInt32LE(32)]).toEqual([
      8, 15, 1000,
    ]);
    void dumps.dump(AF_INET, collector(() => true).visitor, { table: 254, protocol: 0, type: 1 });
    dumps.receive(done(lastRequestSeq(sink)));
    await settle();
    const second = Buffer.from(sink.sent[1] ?? []);
    expect([second[16], second[21], second[23], second.readUInt32LE(32)]).toEqual([AF_INET, 0, 1, 254]);
  });

  it('takes a missing table for an empty one, and any other error at the end for a refusal', async () => {
    const sink = new RecordingSink();
    const dumps = new RouteDumps();
    dumps.attach(sink);
    const filter = { table: 100, protocol: 186, type: 0 };
    const missing = dumps.dump(AF_INET, collector(() => true).visitor, filter);
    await settle();
    dumps.receive(done(lastRequestSeq(sink), -2)); // ENOENT: "FIB table does not exist"
    await expect(missing).resolves.toBe(true);
    const invalid = dumps.dump(AF_INET, collector(() => true).visitor, filter);
    await settle();
    dumps.receive(done(lastRequestSeq(sink), -22)); // EINVAL
    await expect(invalid).rejects.toThrow('route dump refused: errno 22');
  });

  it('reads a long dump a few milliseconds per turn, so that other work gets the loop in between', async () => {
    let clockMs = 0;
    const sink = new RecordingSink();
    const dumps = new RouteDumps(() => clockMs);
    dumps.attach(sink);
    const seen: string[] = [];
    const result = dumps.dump(AF_INET, {
      wants: () => true,
      route: (route) => {
        seen.push(text(route));
        clockMs += 2; // two routes fill a slice
      },
    });
    await settle();
    const seq = lastRequestSeq(sink);
    // The ten routes of the capture, one datagram each, all handed over at once.
    for (const message of messagesOf(dumpV4[0] as Buffer)) dumps.receive(withSeq(message, seq));
    dumps.receive(withSeq(dumpV4[1] as Buffer, seq));
    const between: number[] = [];
    for (let turn = 0; turn < 6; turn++) {
      await settle();
      between.push(seen.length);
    }
    expect(between).toEqual([2, 4, 6, 8, 10, 10]);
    await expect(result).resolves.toBe(true);
  });

  it('finds nothing without a socket (stopped)', async () => {
    const dumps = new RouteDumps();
    await expect(dumps.dump(AF_INET, collector(() => true).visitor)).resolves.toBe(true);
  });
});
