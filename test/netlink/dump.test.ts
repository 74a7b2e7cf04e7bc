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

  it('finds nothing without a socket (stopped)', async () => {
    const dumps = new RouteDumps();
    await expect(dumps.dump(AF_INET, collector(() => true).visitor)).resolves.toBe(true);
  });
});
