// Update groups against in-memory sinks that decode what they get: one
// encoding shared by a group's members, a full socket that stops one member
// alone, the send budget (a set too large for 4096 octets), split horizon
// for a group of one, a member whose policy changes (it moves group and
// gets exactly the difference), a slow member resynced from the table
// instead of buffered, a late joiner, a ROUTE-REFRESH for one member, and
// a round cut short by its turn's deadline.
import { describe, expect, it } from 'vitest';
import {
  codecContext,
  decodeMessage,
  endOfRibFamily,
  MessageFramer,
  type PathAttributes,
  prefixesFromStrings,
  prefixToString,
} from '../../src/bgp/codec/index.js';
import { AttributeEncodingCache } from '../../src/rib/encoding-cache.js';
import type { ExportTarget } from '../../src/rib/export.js';
import { Baseline, GroupMember, type UpdateSink } from '../../src/rib/group-member.js';
import { ACCEPT_ALL, compilePolicy, type Policy } from '../../src/rib/policy.js';
import { finish, Rib, type Source } from '../../src/rib/rib.js';
import { serveInTurn } from '../../src/rib/serve-in-turn.js';
import { UpdateGroup } from '../../src/rib/update-group.js';

const PER_SET = 7000;
const TOTAL = 3 * PER_SET;

function newRib(): Rib {
  return new Rib({
    localAsn: 64512,
    routerId: '10.0.0.1',
    clusterId: '10.0.0.1',
    maxPaths: 1,
    alwaysCompareMed: false,
    preferOldestExternal: false,
  });
}

function addSource(rib: Rib, address: string, asn: number): Source {
  return rib.addSource({
    address,
    asn,
    routerId: Number(address.split('.').at(-1)),
    external: asn !== 64512,
    routeReflectorClient: false,
    importPolicy: ACCEPT_ALL,
  });
}

/** 21,000 prefixes in three attribute sets (more than two rounds of 8,192). */
function loaded(): { rib: Rib; source: Source } {
  const rib = newRib();
  const source = addSource(rib, '192.0.2.1', 65001);
  for (let set = 0; set < 3; set++) {
    const attributes: PathAttributes = {
      origin: 0,
      asPath: [{ type: 2, asns: [65001, 65100 + set] }],
      med: set,
    };
    const prefixes = prefixesFromStrings(
      1,
      Array.from({ length: PER_SET }, (_, i) => `10.${set * 30 + (i >> 8)}.${i & 0xff}.0/24`),
    );
    rib.announce(source.id, 'ipv4-unicast', prefixes, attributes, '192.0.2.1');
  }
  return { rib, source };
}

function target(policy: Policy = ACCEPT_ALL, asn4 = true): ExportTarget {
  return {
    sourceId: 0,
    external: true,
    routeReflectorClient: false,
    asn4,
    nextHopSelf: true,
    localNextHops: { ipv4: '172.18.8.101', ipv6: null, ipv6LinkLocal: null },
    policy,
  };
}

function newGroup(
  rib: Rib,
  options: {
    policy?: Policy;
    asn4?: boolean;
    maxMessageLength?: number;
    logLimitOctets?: number;
    encodings?: AttributeEncodingCache;
  } = {},
) {
  const refused: string[] = [];
  const group = new UpdateGroup({
    rib,
    target: target(options.policy, options.asn4),
    exportContext: { localAsn: 64512, localRouterId: 1, clusterId: 1 },
    sendContext: codecContext({
      asn4: options.asn4 ?? true,
      maxMessageLength: options.maxMessageLength ?? 4096,
    }),
    families: ['ipv4-unicast'],
    encodings: options.encodings ?? new AttributeEncodingCache(),
    onPending: () => {},
    onRefused: (family, prefix, error) => refused.push(`${family} ${prefix} ${error.kind}`),
    ...(options.logLimitOctets !== undefined ? { logLimitOctets: options.logLimitOctets } : {}),
  });
  return { group, refused };
}

/** A sink that takes `budget` octets, then is full until open(); it decodes everything. */
class Sink implements UpdateSink {
  readonly chunks: Uint8Array[] = [];
  written = 0;
  constructor(
    private budget = Number.POSITIVE_INFINITY,
    private readonly maxMessageLength = 4096,
    private readonly asn4 = true,
  ) {}
  get canWrite(): boolean {
    return this.written < this.budget;
  }
  write(bytes: Uint8Array): boolean {
    this.chunks.push(bytes);
    this.written += bytes.length;
    return this.canWrite;
  }
  open(): void {
    this.budget = Number.POSITIVE_INFINITY;
  }
  /** Full from now on (a peer that stopped reading). */
  stop(): void {
    this.budget = this.written;
  }
  /** What it was told, in order: "+prefix", "-prefix", "eor", "borr", "eorr"; and the table it ends with. */
  decode(): { events: string[]; table: Map<string, string>; endOfRibLast: boolean } {
    const framer = new MessageFramer(this.maxMessageLength);
    const events: string[] = [];
    const table = new Map<string, string>();
    for (const chunk of this.chunks) {
      const messages = framer.push(chunk);
      if (!Array.isArray(messages)) throw new Error(messages.reason);
      for (const bytes of messages) {
        const decoded = decodeMessage(
          bytes,
          codecContext({ asn4: this.asn4, maxMessageLength: this.maxMessageLength }),
        );
        if (!decoded.ok) throw new Error(decoded.error.reason);
        const message = decoded.value;
        if (message.type === 'routeRefresh') {
          events.push(message.subtype === 1 ? 'borr' : 'eorr');
          continue;
        }
        if (message.type !== 'update') continue;
        if (endOfRibFamily(message) !== null) {
          events.push('eor');
          continue;
        }
        for (let i = 0; i < message.withdrawn.count; i++) {
          const prefix = prefixToString(message.withdrawn, i);
          events.push(`-${prefix}`);
          table.delete(prefix);
        }
        for (let i = 0; i < message.nlri.count; i++) {
          const prefix = prefixToString(message.nlri, i);
          events.push(`+${prefix}`);
          table.set(prefix, JSON.stringify(message.attributes.asPath));
        }
      }
    }
    return { events, table, endOfRibLast: events.at(-1) === 'eor' };
  }
  clear(): void {
    this.chunks.length = 0;
  }
}

function member(name: string, sink: Sink, sourceId = 100, enhancedRouteRefresh = false): GroupMember {
  return new GroupMember({ name, sourceId, sink, enhancedRouteRefresh });
}

/** Runs the groups' work as the daemon's turns would, until nothing moves. */
function drive(...groups: UpdateGroup[]): void {
  for (let turn = 0; turn < 10_000; turn++) {
    let busy = false;
    for (const group of groups) {
      group.process(Number.POSITIVE_INFINITY);
      serveInTurn(group.members, 0, Number.POSITIVE_INFINITY, () => 0);
      group.trimLog();
      if (group.families.some((f) => f.queue.size > 0 || f.remarkFrom >= 0)) busy = true;
      if (group.members.some((m) => m.hasWork && m.writable)) busy = true;
    }
    if (!busy) return;
  }
  throw new Error('the groups never settled');
}

describe('update groups', () => {
  it('members of a group get the same bytes, encoded once; a 2-octet-AS group encodes its own', () => {
    const { rib } = loaded();
    const encodings = new AttributeEncodingCache();
    const { group } = newGroup(rib, { encodings });
    const sinks = [new Sink(), new Sink()];
    const members = sinks.map((sink, i) => member(`192.0.2.${10 + i}`, sink, 10 + i));
    for (const m of members) m.join(group);
    drive(group);
    // Three outgoing sets, encoded once for both members (and the group).
    expect(encodings.encodes).toBe(3);
    const [a, b] = sinks.map((sink) => sink.decode());
    expect(a?.table.size).toBe(TOTAL);
    expect(a?.endOfRibLast).toBe(true);
    expect(b?.table).toEqual(a?.table);
    expect(members.map((m) => m.advertised)).toEqual([TOTAL, TOTAL]);
    // Later changes go out once per group, as one shared chunk.
    const source = addSource(rib, '192.0.2.2', 65002);
    rib.announce(
      source.id,
      'ipv4-unicast',
      prefixesFromStrings(1, ['10.200.0.0/24']),
      { origin: 0, asPath: [{ type: 2, asns: [65002] }] },
      '192.0.2.2',
    );
    for (const sink of sinks) sink.clear();
    drive(group);
    expect(sinks[0]?.chunks[0]).toBe(sinks[1]?.chunks[0]);
    expect(sinks[0]?.decode().events).toEqual(['+10.200.0.0/24']);

    const old = new Sink(Number.POSITIVE_INFINITY, 4096, false);
    const { group: twoOctet } = newGroup(rib, { asn4: false, encodings });
    member('192.0.2.20', old, 20).join(twoOctet);
    drive(twoOctet);
    expect(encodings.encodes).toBe(3 + 1 + 4);
    expect(old.decode().table.size).toBe(TOTAL + 1);
  });

  it('a full socket stops that member alone; opened again, it gets everything once, End-of-RIB last', () => {
    const { rib } = loaded();
    const { group } = newGroup(rib);
    const slow = new Sink(100);
    const fast = new Sink();
    member('192.0.2.10', slow, 10).join(group);
    member('192.0.2.11', fast, 11).join(group);
    drive(group);
    expect(fast.decode().table.size).toBe(TOTAL);
    expect(slow.decode().table.size).toBeLessThan(TOTAL);
    slow.open();
    drive(group);
    const all = slow.decode();
    expect(all.table.size).toBe(TOTAL);
    expect(all.events.filter((e) => e.startsWith('+'))).toHaveLength(TOTAL);
    expect(all.endOfRibLast).toBe(true);
  });

  it('a set too large for 4096 octets is refused by its group alone: withdrawn if sent, reported once', () => {
    const { rib } = loaded();
    const big = addSource(rib, '192.0.2.9', 65009);
    const attributes = (communities: number): PathAttributes => ({
      origin: 0,
      asPath: [{ type: 2, asns: [65009] }],
      communities: Array.from({ length: communities }, (_, i) => (65009 * 65536 + i) >>> 0),
    });
    const prefix = prefixesFromStrings(1, ['10.250.0.0/24']);
    rib.announce(big.id, 'ipv4-unicast', prefix, attributes(10), '192.0.2.9');
    const standard = newGroup(rib);
    const extended = newGroup(rib, { maxMessageLength: 65_535 });
    const small = new Sink();
    const large = new Sink(Number.POSITIVE_INFINITY, 65_535);
    member('192.0.2.10', small, 10).join(standard.group);
    member('192.0.2.11', large, 11).join(extended.group);
    drive(standard.group, extended.group);
    expect(small.decode().table.has('10.250.0.0/24')).toBe(true);
    small.clear();
    rib.announce(big.id, 'ipv4-unicast', prefix, attributes(1100), '192.0.2.9');
    drive(standard.group, extended.group);
    expect(small.decode().events).toEqual(['-10.250.0.0/24']);
    expect(standard.refused).toEqual(['ipv4-unicast 10.250.0.0/24 message-too-long']);
    expect(large.decode().table.has('10.250.0.0/24')).toBe(true);
    expect(extended.refused).toEqual([]);
    // Still too large with other attributes: nothing new is said.
    rib.announce(big.id, 'ipv4-unicast', prefix, attributes(1200), '192.0.2.9');
    small.clear();
    drive(standard.group, extended.group);
    expect(small.chunks).toHaveLength(0);
    expect(standard.refused).toHaveLength(1);
    expect(standard.group.familyOf('ipv4-unicast')?.refused.size).toBe(1);
  });

  it("a group of one leaves its member's own routes out; with two, the routes reach both", () => {
    const rib = newRib();
    const a = addSource(rib, '192.0.2.1', 65001);
    rib.announce(
      a.id,
      'ipv4-unicast',
      prefixesFromStrings(1, ['10.1.0.0/24']),
      { origin: 0, asPath: [{ type: 2, asns: [65001] }] },
      '192.0.2.1',
    );
    const { group } = newGroup(rib);
    const sinkA = new Sink();
    const memberA = member('192.0.2.1', sinkA, a.id);
    memberA.join(group);
    drive(group);
    expect(sinkA.decode().table.size).toBe(0);
    const sinkB = new Sink();
    const memberB = member('192.0.2.2', sinkB, 99);
    memberB.join(group);
    drive(group);
    expect([...sinkB.decode().table.keys()]).toEqual(['10.1.0.0/24']);
    // As FRR's update groups do: the receiver drops its own route (AS loop).
    expect([...sinkA.decode().table.keys()]).toEqual(['10.1.0.0/24']);
    // Back to one: its own route is withdrawn from it again.
    memberB.leave();
    sinkA.clear();
    drive(group);
    expect(sinkA.decode().events).toEqual(['-10.1.0.0/24']);
    expect(memberA.advertised).toBe(0);
  });

  it('a member whose export policy changes moves group and gets exactly the difference', () => {
    const { rib } = loaded();
    const before = newGroup(rib);
    const sink = new Sink();
    const m = member('192.0.2.10', sink, 10);
    const other = member('192.0.2.11', new Sink(), 11);
    m.join(before.group);
    other.join(before.group);
    drive(before.group);
    expect(sink.decode().table.size).toBe(TOTAL);
    sink.clear();
    // The new policy rejects the first set's prefixes and rewrites the MED of the others.
    const tighter = compilePolicy([
      // 10.0.0.0 to 10.27.255.255: the first set's prefixes exactly.
      { prefixes: ['10.0.0.0/12 le 32', '10.16.0.0/13 le 32', '10.24.0.0/14 le 32'], action: 'reject' },
      { action: 'accept', set: { med: 7 } },
    ]);
    const after = newGroup(rib, { policy: tighter });
    const baseline = Baseline.of(before.group, m.knownSeq);
    m.leave();
    m.join(after.group, baseline);
    drive(before.group, after.group);
    const got = sink.decode();
    const withdrawals = got.events.filter((e) => e.startsWith('-'));
    const announcements = got.events.filter((e) => e.startsWith('+'));
    expect(withdrawals).toHaveLength(PER_SET);
    expect(withdrawals.every((e) => e.startsWith('-10.') && Number(e.split('.')[1]) < 30)).toBe(true);
    expect(announcements).toHaveLength(2 * PER_SET);
    expect(got.events).not.toContain('eor');
    expect(m.advertised).toBe(2 * PER_SET);
    // The same policy again: no group change, nothing sent.
    const same = newGroup(rib, { policy: tighter });
    sink.clear();
    const again = Baseline.of(after.group, m.knownSeq);
    m.leave();
    m.join(same.group, again);
    drive(same.group);
    expect(sink.chunks).toHaveLength(0);
  });

  it('a slow member that falls behind the bounded log is resynced from the table, not buffered', () => {
    const rib = newRib();
    const source = addSource(rib, '192.0.2.1', 65001);
    const { group } = newGroup(rib, { logLimitOctets: 20_000 });
    const slow = new Sink(0);
    const fast = new Sink();
    member('192.0.2.10', slow, 10).join(group);
    member('192.0.2.11', fast, 11).join(group);
    drive(group);
    // Churn: announcements and withdrawals well past the log's limit.
    for (let round = 0; round < 20; round++) {
      const prefixes = prefixesFromStrings(
        1,
        Array.from({ length: 1000 }, (_, i) => `20.${round}.${i >> 8}.${i & 0xff}/32`),
      );
      rib.announce(
        source.id,
        'ipv4-unicast',
        prefixes,
        { origin: 0, asPath: [{ type: 2, asns: [65001, round] }] },
        '192.0.2.1',
      );
      drive(group);
      if (round % 2 === 1) rib.withdraw(source.id, 'ipv4-unicast', prefixes);
      drive(group);
    }
    let logOctets = 0;
    for (const chunk of group.log) logOctets += chunk.bytes.length;
    expect(logOctets).toBeLessThanOrEqual(20_000);
    slow.open();
    drive(group);
    // It ends with exactly what the fast one has, without every step between.
    const final = fast.decode().table;
    const caughtUp = slow.decode();
    expect(caughtUp.table).toEqual(final);
    expect(final.size).toBe(10_000);
    expect(caughtUp.events).toHaveLength(10_001);
    expect(fast.decode().events).toHaveLength(30_001);
  });

  it('a late joiner gets the table and End-of-RIB; a ROUTE-REFRESH re-sends one member its family framed by BoRR/EoRR', () => {
    const { rib } = loaded();
    const { group } = newGroup(rib);
    const first = new Sink();
    member('192.0.2.10', first, 10).join(group);
    drive(group);
    const late = new Sink();
    const lateMember = member('192.0.2.11', late, 11, true);
    lateMember.join(group);
    drive(group);
    expect(late.decode().table.size).toBe(TOTAL);
    expect(late.decode().endOfRibLast).toBe(true);
    late.clear();
    first.clear();
    lateMember.refresh('ipv4-unicast');
    drive(group);
    const refreshed = late.decode();
    expect(refreshed.events[0]).toBe('borr');
    expect(refreshed.events.at(-1)).toBe('eorr');
    expect(refreshed.table.size).toBe(TOTAL);
    expect(first.chunks).toHaveLength(0);
  });

  it('a round ends early once its deadline has passed; the rest waits in the queue and arrives complete', () => {
    const { rib } = loaded();
    const { group } = newGroup(rib);
    const sink = new Sink();
    member('192.0.2.10', sink, 10).join(group);
    const f = group.families[0];
    if (f === undefined) throw new Error('no family');
    expect(f.remarkFrom).toBe(0);
    // A deadline already passed: one clock check's worth (512 prefixes), not a whole round of 8192.
    expect(group.process(performance.now() - 1)).toBe(true);
    expect(TOTAL - f.queue.size).toBe(512);
    drive(group);
    const all = sink.decode();
    expect(all.table.size).toBe(TOTAL);
    expect(all.events.filter((e) => e.startsWith('+'))).toHaveLength(TOTAL);
  });

  it('lets go of every outgoing set it held once closed', () => {
    const { rib } = loaded();
    const setsBefore = rib.attrs.size;
    const { group } = newGroup(rib);
    member('192.0.2.10', new Sink(), 10).join(group);
    drive(group);
    expect(rib.attrs.size).toBe(setsBefore + 3);
    const release = group.close();
    expect(release.step(1000)).toBe(false);
    expect(rib.attrs.size).toBe(setsBefore + 3);
    expect(finish(release)).toBe(TOTAL);
    expect(rib.attrs.size).toBe(setsBefore);
  });

  it('prefix ids of withdrawn prefixes are reused once every member has the withdrawal; the id space stops growing', () => {
    const rib = newRib();
    const source = addSource(rib, '192.0.2.1', 65001);
    const { group } = newGroup(rib);
    const slow = new Sink(Number.POSITIVE_INFINITY);
    const m = member('192.0.2.10', slow, 10);
    m.join(group);
    drive(group);
    const table = rib.family('ipv4-unicast').prefixes;
    const cycle = (n: number) =>
      prefixesFromStrings(
        1,
        Array.from({ length: 1000 }, (_, i) => `30.${n & 0xff}.${i >> 8}.${i & 0xff}/32`),
      );
    const attributes: PathAttributes = { origin: 0, asPath: [{ type: 2, asns: [65001] }] };
    for (let n = 0; n < 20; n++) {
      rib.announce(source.id, 'ipv4-unicast', cycle(n), attributes, '192.0.2.1');
      drive(group);
      rib.withdraw(source.id, 'ipv4-unicast', cycle(n));
      drive(group);
      finish(rib.reclaimPrefixes([group]));
    }
    // 20,000 distinct prefixes went through; no more than one cycle's ids exist.
    expect(table.capacity).toBeLessThanOrEqual(1000);
    expect(table.count).toBe(0);

    // A member that had the announcements but not yet the withdrawals keeps the ids from reuse.
    const stuck = new Sink();
    const behind = member('192.0.2.11', stuck, 11);
    behind.join(group);
    drive(group);
    rib.announce(source.id, 'ipv4-unicast', cycle(100), attributes, '192.0.2.1');
    drive(group);
    expect(stuck.decode().table.size).toBe(1000);
    stuck.stop();
    rib.withdraw(source.id, 'ipv4-unicast', cycle(100));
    drive(group);
    expect(finish(rib.reclaimPrefixes([group]))).toBe(0);
    stuck.open();
    drive(group);
    expect(finish(rib.reclaimPrefixes([group]))).toBe(1000);
    expect(stuck.decode().table.size).toBe(0);
  });
});
