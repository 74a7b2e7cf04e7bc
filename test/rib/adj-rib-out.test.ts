// Adj-RIB-Out against in-memory sinks: shared outgoing encodings between
// peers that get the same export result, and a full sink that stops the
// drain without losing anything.
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
import { AdjRibOut, type UpdateSink } from '../../src/rib/adj-rib-out.js';
import { AttributeEncodingCache } from '../../src/rib/encoding-cache.js';
import type { ExportTarget } from '../../src/rib/export.js';
import { ACCEPT_ALL } from '../../src/rib/policy.js';
import { Rib } from '../../src/rib/rib.js';

const PER_SET = 7000;
const TOTAL = 3 * PER_SET;

function setup() {
  const rib = new Rib({
    localAsn: 64512,
    routerId: '10.0.0.1',
    clusterId: '10.0.0.1',
    maxPaths: 1,
    alwaysCompareMed: false,
    preferOldestExternal: false,
  });
  const source = rib.addSource({
    address: '192.0.2.1',
    asn: 65001,
    routerId: 1,
    external: true,
    routeReflectorClient: false,
    importPolicy: ACCEPT_ALL,
  });
  // 21,000 prefixes in three attribute sets (more than one drain round of 8,192).
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
  return rib;
}

const exportContext = { localAsn: 64512, localRouterId: 1, clusterId: 1 };

function target(sourceId: number, asn4 = true): ExportTarget {
  return {
    sourceId,
    external: true,
    routeReflectorClient: false,
    asn4,
    nextHopSelf: true,
    localNextHops: { ipv4: '172.18.8.101', ipv6: null, ipv6LinkLocal: null },
    policy: ACCEPT_ALL,
  };
}

/** A sink that takes `budget` octets, then reports itself full until `open()`. */
class Sink implements UpdateSink {
  readonly chunks: Uint8Array[] = [];
  written = 0;
  constructor(private budget = Number.POSITIVE_INFINITY) {}
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
  /** Announced prefixes (text) and whether End-of-RIB came last. */
  decode(
    asn4 = true,
    maxMessageLength = 4096,
  ): { prefixes: string[]; withdrawn: string[]; asPaths: string[]; endOfRibLast: boolean } {
    const framer = new MessageFramer(maxMessageLength);
    const prefixes: string[] = [];
    const withdrawn: string[] = [];
    const asPaths = new Set<string>();
    let endOfRibLast = false;
    for (const chunk of this.chunks) {
      const messages = framer.push(chunk);
      if (!Array.isArray(messages)) throw new Error(messages.reason);
      for (const bytes of messages) {
        const decoded = decodeMessage(bytes, codecContext({ asn4, maxMessageLength }));
        if (!decoded.ok || decoded.value.type !== 'update') throw new Error('not an UPDATE');
        const update = decoded.value;
        endOfRibLast = endOfRibFamily(update) !== null;
        for (let i = 0; i < update.nlri.count; i++) prefixes.push(prefixToString(update.nlri, i));
        for (let i = 0; i < update.withdrawn.count; i++) withdrawn.push(prefixToString(update.withdrawn, i));
        if (update.nlri.count > 0) asPaths.add(JSON.stringify(update.attributes.asPath));
      }
    }
    return {
      prefixes: prefixes.sort(),
      withdrawn: withdrawn.sort(),
      asPaths: [...asPaths].sort(),
      endOfRibLast,
    };
  }
}

describe('Adj-RIB-Out', () => {
  it('peers with the same export result share one encoding per outgoing set', () => {
    const rib = setup();
    const encodings = new AttributeEncodingCache();
    const sinks = [new Sink(), new Sink(), new Sink()];
    const outs = [
      new AdjRibOut({
        rib,
        target: target(11),
        exportContext,
        sendContext: codecContext(),
        families: ['ipv4-unicast'],
        sink: sinks[0] as Sink,
        onPending: () => {},
        encodings,
      }),
      new AdjRibOut({
        rib,
        target: target(12),
        exportContext,
        sendContext: codecContext(),
        families: ['ipv4-unicast'],
        sink: sinks[1] as Sink,
        onPending: () => {},
        encodings,
      }),
    ];
    for (const out of outs) {
      out.queueFullTable();
      expect(out.drain()).toBe(true);
    }
    // Three outgoing sets, encoded once for both peers; identical bytes.
    expect(encodings.encodes).toBe(3);
    expect(Buffer.concat(sinks[0]?.chunks ?? [])).toEqual(Buffer.concat(sinks[1]?.chunks ?? []));
    const got = sinks[0]?.decode();
    expect(got?.prefixes).toHaveLength(TOTAL);
    expect(got?.asPaths).toHaveLength(3);
    expect(got?.endOfRibLast).toBe(true);

    // A 2-octet-AS session encodes differently: its own three encodes.
    const old = new AdjRibOut({
      rib,
      target: target(13, false),
      exportContext,
      sendContext: codecContext({ asn4: false }),
      families: ['ipv4-unicast'],
      sink: sinks[2] as Sink,
      onPending: () => {},
      encodings,
    });
    old.queueFullTable();
    expect(old.drain()).toBe(true);
    expect(encodings.encodes).toBe(6);
    expect(sinks[2]?.decode(false).prefixes).toEqual(got?.prefixes);
  });

  it('a full sink stops the drain; opened again, everything arrives once, End-of-RIB last', () => {
    const rib = setup();
    const sink = new Sink(100);
    const out = new AdjRibOut({
      rib,
      target: target(11),
      exportContext,
      sendContext: codecContext(),
      families: ['ipv4-unicast'],
      sink: sink,
      onPending: () => {},
    });
    out.queueFullTable();
    expect(out.drain()).toBe(false);
    const partial = sink.decode().prefixes.length;
    expect(partial).toBeLessThan(TOTAL);
    sink.open();
    expect(out.drain()).toBe(true);
    const all = sink.decode();
    expect(all.prefixes).toHaveLength(TOTAL);
    expect(new Set(all.prefixes).size).toBe(TOTAL);
    expect(all.endOfRibLast).toBe(true);
  });

  it('a set too large for a 4096-octet peer is refused for that peer alone: no throw, reported once, withdrawn if it was sent', () => {
    // The crash case: a route learned over an Extended Message session
    // (RFC 8654) whose attributes make an UPDATE larger than 4096 octets.
    const rib = setup();
    const big = rib.addSource({
      address: '192.0.2.9',
      asn: 65009,
      routerId: 9,
      external: true,
      routeReflectorClient: false,
      importPolicy: ACCEPT_ALL,
    });
    const attributes = (communities: number, med = 0): PathAttributes => ({
      origin: 0,
      asPath: [{ type: 2, asns: [65009] }],
      med,
      communities: Array.from({ length: communities }, (_, i) => (65009 * 65536 + i) >>> 0),
    });
    const prefix = prefixesFromStrings(1, ['10.200.0.0/24']);
    rib.announce(big.id, 'ipv4-unicast', prefix, attributes(1100), '192.0.2.9');

    const refused: string[] = [];
    const open = (maxMessageLength: number, sink: Sink) =>
      new AdjRibOut({
        rib,
        target: target(11),
        exportContext,
        sendContext: codecContext({ maxMessageLength }),
        families: ['ipv4-unicast'],
        sink,
        onPending: () => {},
        onRefused: (family, text, error) =>
          refused.push(`${maxMessageLength} ${family} ${text} ${error.kind}`),
      });
    const small = new Sink();
    const standard = open(4096, small);
    standard.queueFullTable();
    expect(standard.drain()).toBe(true);
    const got = small.decode();
    expect(got.prefixes).toHaveLength(TOTAL);
    expect(got.prefixes).not.toContain('10.200.0.0/24');
    expect(got.endOfRibLast).toBe(true);
    expect(refused).toEqual(['4096 ipv4-unicast 10.200.0.0/24 message-too-long']);
    const refusals = standard.refusals('ipv4-unicast');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]?.[1].error.reason).toMatch(/maximum of 4096/);

    // An Extended Message peer gets it.
    const large = new Sink();
    const extended = open(65_535, large);
    extended.queueFullTable();
    expect(extended.drain()).toBe(true);
    expect(large.decode(true, 65_535).prefixes).toHaveLength(TOTAL + 1);

    // It shrinks: now sent. It grows again: withdrawn, reported once more
    // (it had been sent in between). Changed but still too large: nothing new.
    rib.announce(big.id, 'ipv4-unicast', prefix, attributes(10), '192.0.2.9');
    small.chunks.length = 0;
    expect(standard.drain()).toBe(true);
    expect(small.decode().prefixes).toEqual(['10.200.0.0/24']);
    expect(standard.refusals('ipv4-unicast')).toHaveLength(0);
    rib.announce(big.id, 'ipv4-unicast', prefix, attributes(1200), '192.0.2.9');
    small.chunks.length = 0;
    expect(standard.drain()).toBe(true);
    expect(small.decode().withdrawn).toEqual(['10.200.0.0/24']);
    rib.announce(big.id, 'ipv4-unicast', prefix, attributes(1300, 7), '192.0.2.9');
    small.chunks.length = 0;
    expect(standard.drain()).toBe(true);
    expect(small.chunks).toHaveLength(0);
    expect(refused).toHaveLength(2);
    expect(standard.stats.refused).toBe(2);
  });
});
