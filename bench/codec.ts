// Codec benchmark: decode and encode rates for UPDATEs carrying 1 prefix and
// ~500 prefixes, in messages/s and prefixes/s. A script, not a timed test:
//   npm run build && node dist/bench/codec.js [--seconds 2]
import {
  codecContext,
  decodeMessage,
  encodeMessage,
  expectPacked,
  MessageFramer,
  type PathAttributes,
  packAnnouncements,
  prefixesFromStrings,
  type UpdateMessage,
} from '../src/bgp/codec/index.js';
import { emptyPrefixes } from '../src/bgp/codec/nlri.js';

const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 2;
const context = codecContext({ peerType: 'ebgp' });

const attributes: PathAttributes = {
  origin: 0,
  asPath: [{ type: 2, asns: [64512, 65001, 4200000001] }],
  nextHop: '172.18.8.102',
  med: 20,
  communities: [0xfc000064, 0xffff029a],
};

function prefixes(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`);
}

function update(count: number): UpdateMessage {
  return {
    type: 'update',
    withdrawn: emptyPrefixes(1),
    attributes,
    nlri: prefixesFromStrings(1, prefixes(count)),
  };
}

/** Runs `work` repeatedly for `seconds`; returns calls per second. */
function rate(work: () => void): number {
  for (let i = 0; i < 2000; i++) work(); // warm up the JIT
  let calls = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 100; i++) work();
    calls += 100;
  }
  return calls / ((performance.now() - started) / 1000);
}

const rows: [string, number, number][] = [];
for (const count of [1, 500]) {
  const message = encodeMessage(update(count), context);
  const perMessage =
    count === 1 ? 1 : (decodeMessage(message, context) as { value: UpdateMessage }).value.nlri.count;
  let sink = 0;
  const decodeRate = rate(() => {
    const result = decodeMessage(message, context);
    if (result.ok && result.value.type === 'update') sink += result.value.nlri.count;
  });
  rows.push([
    `decode UPDATE, ${perMessage} prefix(es), ${message.length} octets`,
    decodeRate,
    decodeRate * perMessage,
  ]);
  const list = update(count).nlri;
  const encodeRate = rate(() => {
    sink += expectPacked(packAnnouncements(list, attributes, context)).messageCount;
  });
  rows.push([`encode (pack) ${count} prefix(es) into UPDATEs`, encodeRate, encodeRate * count]);
  if (sink < 0) console.log(sink);
}

// The framer plus decoder over a stream of 500-prefix UPDATEs in 64 KiB chunks.
const stream = Buffer.concat(Array.from({ length: 64 }, () => encodeMessage(update(500), context)));
const framerRate = rate(() => {
  const framer = new MessageFramer();
  for (let at = 0; at < stream.length; at += 65536) {
    const messages = framer.push(stream.subarray(at, at + 65536));
    if (Array.isArray(messages)) for (const m of messages) decodeMessage(m, context);
  }
});
rows.push(['frame + decode a stream of 500-prefix UPDATEs', framerRate * 64, framerRate * 64 * 500]);

const pad = (text: string, width: number) => text.padEnd(width);
console.log(`codec benchmark, node ${process.version}, ${seconds}s per row`);
console.log(`${pad('case', 52)} ${'messages/s'.padStart(12)} ${'prefixes/s'.padStart(14)}`);
for (const [name, messages, prefixesPerSecond] of rows) {
  console.log(
    `${pad(name, 52)} ${Math.round(messages).toLocaleString('en-US').padStart(12)} ${Math.round(prefixesPerSecond).toLocaleString('en-US').padStart(14)}`,
  );
}
