// In-process RIB load: decode + RIB insert of a pre-encoded 1M-prefix feed,
// without sockets. For profiling the hot path; bench/rib.ts measures the real
// thing over TCP against gobgpd, BIRD and FRR.
//   npm run build && node dist/bench/rib-inprocess.js [--sets 16|250000] [--prefixes N]
//   node dist/bench/rib-inprocess.js --case a|b    (bench:rib's own feed, byte for byte)
import {
  codecContext,
  decodeMessage,
  expectPacked,
  type PathAttributes,
  type Prefixes,
  packAnnouncements,
} from '../src/bgp/codec/index.js';
import { ACCEPT_ALL } from '../src/rib/policy.js';
import { Rib } from '../src/rib/rib.js';
import { buildFeed, CASE_NAMES, type CaseName } from './lib/feed.js';

const argument = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const total = argument('--prefixes', 1_000_000);
const sets = argument('--sets', 16);
const context = codecContext({ peerType: 'ibgp' });

const caseIndex = process.argv.indexOf('--case');
const caseName = caseIndex > 0 ? (process.argv[caseIndex + 1] as CaseName) : undefined;
if (caseName !== undefined && (caseName === 'v6' || !CASE_NAMES.includes(caseName)))
  throw new Error('--case: a or b (IPv4 feeds)');

const chunks: Uint8Array[] =
  caseName === undefined
    ? syntheticFeed()
    : [...buildFeed({ name: caseName, nextHop: '10.0.0.1', nextHop6: 'fd00::1' }).chunks];

function syntheticFeed(): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  const perSet = Math.ceil(total / sets);
  for (let s = 0; s < sets; s++) {
    const count = Math.min(perSet, total - s * perSet);
    if (count <= 0) break;
    const words = new Uint32Array(count);
    for (let i = 0; i < count; i++) words[i] = ((s * perSet + i) << 8) >>> 0;
    const prefixes: Prefixes = {
      afi: 1,
      count,
      lengths: new Uint8Array(count).fill(24),
      words,
      pathIds: null,
    };
    const attributes: PathAttributes = {
      origin: 0,
      asPath: [{ type: 2, asns: [65001, 65002 + (s % 1000), 65003 + (s >> 10)] }],
      nextHop: '10.0.0.1',
      localPref: 100,
      med: s,
      communities: [0xfc000000 + (s & 0xffff)],
    };
    chunks.push(expectPacked(packAnnouncements(prefixes, attributes, context)).bytes);
  }
  return chunks;
}
const stream = Buffer.concat(chunks);
const rib = new Rib({
  localAsn: 64512,
  routerId: '1.1.1.1',
  clusterId: '1.1.1.1',
  maxPaths: 1,
  alwaysCompareMed: false,
  preferOldestExternal: false,
});
const source = rib.addSource({
  address: '10.0.0.2',
  asn: 64512,
  routerId: 2,
  external: false,
  routeReflectorClient: false,
  importPolicy: ACCEPT_ALL,
});
const consumer = rib.subscribe('ipv4-unicast');
global.gc?.();
const before = process.memoryUsage();
const started = performance.now();
let at = 0;
let updates = 0;
while (at < stream.length) {
  const length = stream.readUInt16BE(at + 16);
  const decoded = decodeMessage(stream.subarray(at, at + length), context);
  if (!decoded.ok || decoded.value.type !== 'update') throw new Error('bad feed');
  rib.announce(
    source.id,
    'ipv4-unicast',
    decoded.value.nlri,
    decoded.value.attributes,
    decoded.value.attributes.nextHop ?? null,
    null,
    decoded.value.attributesKey,
  );
  at += length;
  updates++;
}
const elapsed = performance.now() - started;
global.gc?.();
const after = process.memoryUsage();
const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
console.log(
  `${caseName === undefined ? `${total} prefixes, ${sets} attribute sets` : `case ${caseName}`}, ${updates} UPDATEs: ${elapsed.toFixed(0)} ms, ${(grown / rib.locRibCount('ipv4-unicast')).toFixed(1)} B/route (heap+buffers), RSS ${(after.rss / 1e6).toFixed(0)} MB, Loc-RIB ${rib.locRibCount('ipv4-unicast')}, queued ${consumer.size}`,
);
