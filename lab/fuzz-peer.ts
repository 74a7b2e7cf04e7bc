// A BGP speaker that sends mutated input over live sessions, for the wire
// fuzz test: it connects, sends an OPEN (now and then a mutated one), and
// once Established sends UPDATEs, most of them mutated from valid seeds
// (bits flipped, octets set to edge values, cut or grown with the length
// fixed up, spliced, attribute flags and lengths rewritten, and now and then
// a broken header). When the other side resets the session it connects
// again, until the time budget is spent. Deterministic for a given --seed.
// It reports on stdout, one JSON object per line; the last one is "done".
//
//   node dist/lab/fuzz-peer.js --connect 10.97.1.1 --local 10.97.1.2 --asn 65066 \
//     --peer-asn 65100 --seconds 20 [--seed 1]

import net from 'node:net';
import { parseArgs } from 'node:util';
import {
  type CodecContext,
  codecContext,
  decodeMessage,
  encodeMessage,
  KEEPALIVE,
  MessageFramer,
  type PathAttributes,
  prefixesFromStrings,
  type UpdateMessage,
} from '../src/bgp/codec/index.js';
import { emptyPrefixes } from '../src/bgp/codec/nlri.js';
import { endOfRib } from '../src/bgp/codec/update.js';
import { buildOpen, isNotification, negotiate } from '../src/bgp/negotiation.js';

function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, t: Date.now(), ...fields })}\n`);
}

const { values } = parseArgs({
  options: {
    connect: { type: 'string' },
    port: { type: 'string', default: '179' },
    local: { type: 'string' },
    asn: { type: 'string' },
    'peer-asn': { type: 'string' },
    seconds: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    'updates-per-session': { type: 'string', default: '300' },
  },
  strict: true,
});

const host = values.connect ?? '';
const localAddress = values.local ?? '';
const asn = Number(values.asn);
const peerAsn = Number(values['peer-asn']);
if (host === '' || localAddress === '' || !Number.isInteger(asn) || !Number.isInteger(peerAsn)) {
  emit('error', { message: '--connect, --local, --asn and --peer-asn are required' });
  process.exit(2);
}
const deadline = Date.now() + Number(values.seconds) * 1000;
const updatesPerSession = Number(values['updates-per-session']);

// xorshift32: the same seed gives the same run.
let rngState = (Number(values.seed) * 2654435761) >>> 0 || 1;
function random(): number {
  rngState ^= rngState << 13;
  rngState >>>= 0;
  rngState ^= rngState >>> 17;
  rngState ^= rngState << 5;
  rngState >>>= 0;
  return rngState / 0x100000000;
}
const below = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[below(items.length)] as T;

/** Valid UPDATEs covering every attribute the codec knows, and then some. */
function seeds(context: CodecContext): Uint8Array[] {
  const base: PathAttributes = {
    origin: 0,
    asPath: [{ type: 2, asns: [asn, 65200, 4_200_000_001] }],
    nextHop: localAddress,
  };
  const v4 = (...prefixes: string[]) => prefixesFromStrings(1, prefixes);
  const v6 = (...prefixes: string[]) => prefixesFromStrings(2, prefixes);
  const updates: UpdateMessage[] = [
    { type: 'update', withdrawn: emptyPrefixes(1), attributes: base, nlri: v4('20.1.0.0/24', '20.1.1.0/24') },
    {
      type: 'update',
      withdrawn: emptyPrefixes(1),
      attributes: {
        ...base,
        asPath: [
          { type: 2, asns: [asn] },
          { type: 1, asns: [65001, 65002] },
        ],
        med: 10,
        localPref: 200,
        atomicAggregate: true,
        aggregator: { asn: 65001, address: '192.0.2.9' },
        communities: [0xfde80001, 0xffffff01, 0xffff029a],
        largeCommunities: [{ globalAdmin: asn, localData1: 1, localData2: 2 }],
        extendedCommunities: [0x0002fde800000001n],
        originatorId: '192.0.2.7',
        clusterList: ['192.0.2.8'],
      },
      nlri: v4('20.2.0.0/16', '20.3.0.0/32', '0.0.0.0/0'),
    },
    {
      type: 'update',
      withdrawn: emptyPrefixes(1),
      attributes: {
        ...base,
        asPath: [{ type: 2, asns: [asn, 23456] }],
        as4Path: [{ type: 2, asns: [4_200_000_002] }],
        aggregator: { asn: 23456, address: '192.0.2.9' },
        as4Aggregator: { asn: 4_200_000_003, address: '192.0.2.9' },
        unknown: [
          { code: 99, flags: 0xc0, data: Uint8Array.of(1, 2, 3, 4) },
          { code: 35, flags: 0xc0, data: Uint8Array.of(0, 0, 0xfd, 0xe8) },
        ],
      },
      nlri: v4('20.4.0.0/24'),
    },
    {
      type: 'update',
      withdrawn: emptyPrefixes(1),
      attributes: {
        origin: 2,
        asPath: [{ type: 2, asns: [asn] }],
        mpReach: {
          afi: 2,
          safi: 1,
          nextHops: ['2001:db8::2', 'fe80::2'],
          prefixes: v6('2001:db8:20::/48', '2001:db8:21::/64', '::/0'),
          opaque: null,
        },
        communities: [0xfde80002],
      },
      nlri: emptyPrefixes(1),
    },
    {
      type: 'update',
      withdrawn: v4('20.1.0.0/24', '20.9.0.0/24'),
      attributes: { mpUnreach: { afi: 2, safi: 1, prefixes: v6('2001:db8:20::/48'), opaque: null } },
      nlri: emptyPrefixes(1),
    },
    {
      type: 'update',
      withdrawn: emptyPrefixes(1),
      attributes: { ...base, communities: Array.from({ length: 200 }, (_, i) => (0xfde80000 + i) >>> 0) },
      nlri: v4(...Array.from({ length: 100 }, (_, i) => `21.${i}.0.0/16`)),
    },
    endOfRib(1, 1),
    endOfRib(2, 1),
  ];
  return updates.map((update) => encodeMessage(update, context));
}

/** Sets the header's length field to the message's length. */
function fixLength(message: Uint8Array): Uint8Array {
  if (message.length >= 19) {
    message[16] = (message.length >> 8) & 0xff;
    message[17] = message.length & 0xff;
  }
  return message;
}

const edgeOctets = [0x00, 0x01, 0x02, 0x03, 0x04, 0x10, 0x40, 0x7f, 0x80, 0xc0, 0xe0, 0xf0, 0xff];

/** One mutation of `message` (a copy), the header length fixed up unless the header itself is the target. */
function mutate(message: Uint8Array, others: readonly Uint8Array[], maxLength: number): Uint8Array {
  let bytes = Uint8Array.from(message);
  const body = 19;
  const mutations = 1 + below(3);
  for (let m = 0; m < mutations; m++) {
    const at = body + below(Math.max(1, bytes.length - body));
    switch (below(8)) {
      case 0: // flip a few bits
        for (let i = 0; i < 1 + below(4); i++) {
          const where = body + below(Math.max(1, bytes.length - body));
          if (where < bytes.length) bytes[where] = (bytes[where] as number) ^ (1 << below(8));
        }
        break;
      case 1: // an edge value
        if (at < bytes.length) bytes[at] = pick(edgeOctets);
        break;
      case 2: // a 16-bit length-like field
        if (at + 1 < bytes.length) {
          const value = pick([0, 1, 2, 3, 4, 0xff, 0x100, 0x7fff, 0xffff, below(0x10000)]);
          bytes[at] = value >> 8;
          bytes[at + 1] = value & 0xff;
        }
        break;
      case 3: // cut short
        bytes = bytes.slice(0, Math.max(body, at));
        break;
      case 4: {
        // grow: random or repeated octets in the middle
        const extra = new Uint8Array(1 + below(64)).map(() => (random() < 0.5 ? below(256) : 0));
        const grown = new Uint8Array(bytes.length + extra.length);
        grown.set(bytes.subarray(0, at));
        grown.set(extra, at);
        grown.set(bytes.subarray(at), at + extra.length);
        bytes = grown;
        break;
      }
      case 5: {
        // splice the tail of another seed
        const other = pick(others);
        const from = body + below(Math.max(1, other.length - body));
        const spliced = new Uint8Array(at + (other.length - from));
        spliced.set(bytes.subarray(0, at));
        spliced.set(other.subarray(from), at);
        bytes = spliced;
        break;
      }
      case 6: // attribute flags: set or clear Optional, Transitive, Partial, Extended Length
        if (at < bytes.length) bytes[at] = (bytes[at] as number) ^ pick([0x80, 0x40, 0x20, 0x10]);
        break;
      default: {
        // duplicate a run (a repeated attribute, a repeated prefix)
        const length = 1 + below(16);
        const run = bytes.slice(at, at + length);
        const grown = new Uint8Array(bytes.length + run.length);
        grown.set(bytes.subarray(0, at + run.length));
        grown.set(run, at + run.length);
        grown.set(bytes.subarray(at + run.length), at + 2 * run.length);
        bytes = grown;
        break;
      }
    }
  }
  if (bytes.length > maxLength) bytes = bytes.slice(0, maxLength);
  if (random() < 0.03) {
    // A broken header: marker, length or type (RFC 4271 §6.1).
    const choice = below(3);
    if (choice === 0) bytes[below(16)] = 0;
    else if (choice === 1) {
      bytes[16] = below(256);
      bytes[17] = below(256);
      return bytes;
    } else bytes[18] = pick([0, 6, 7, 255]);
  }
  return fixLength(bytes);
}

const stats = {
  sessions: 0,
  established: 0,
  opensMutated: 0,
  updatesSent: 0,
  updatesMutated: 0,
  notifications: {} as Record<string, number>,
  messagesReceived: 0,
};

/** One session: resolves when it ends (closed by either side). */
function session(): Promise<void> {
  return new Promise((resolve) => {
    stats.sessions++;
    const extended = random() < 0.3;
    const local = {
      asn,
      routerId: localAddress,
      holdTimeSeconds: 30,
      families: ['ipv4-unicast', 'ipv6-unicast'] as const,
      addPath: null,
      gracefulRestart:
        random() < 0.5 ? { restartTimeSeconds: 5, restarting: false, forwardingPreserved: true } : null,
      extendedMessage: extended,
      hostname: null,
      peerAsn,
    };
    const socket = net.connect({ host, port: Number(values.port), localAddress });
    const framer = new MessageFramer(65_535);
    let context: CodecContext = codecContext();
    let established = false;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      socket.destroy();
      resolve();
    };
    socket.setNoDelay(true);
    socket.on('error', finish);
    socket.on('close', finish);
    // A session that never gets anywhere (refused OPEN, half-open) ends on its own.
    setTimeout(finish, 5000).unref();
    const sendUpdates = (): void => {
      const all = seeds(context);
      // First the valid table (now and then with time for the other side to
      // pass it on): the mutations then meet routes in its RIB and Adj-RIB-Outs.
      for (const seed of all) socket.write(seed);
      stats.updatesSent += all.length;
      let sent = 0;
      const burst = (): void => {
        if (finished) return;
        if (Date.now() > deadline || sent >= updatesPerSession) {
          finish();
          return;
        }
        for (let i = 0; i < 20 && sent < updatesPerSession; i++, sent++) {
          const seed = pick(all);
          const mutated = random() < 0.85;
          const message = mutated ? mutate(seed, all, context.maxMessageLength) : seed;
          if (mutated) stats.updatesMutated++;
          stats.updatesSent++;
          socket.write(message);
        }
        socket.write(encodeMessage(KEEPALIVE));
        // Now and then a pause longer than the advertisement interval, so that
        // what the mutations changed goes out to the other peers too.
        setTimeout(burst, random() < 0.1 ? 60 : 0);
      };
      setTimeout(burst, random() < 0.25 ? 150 : 0);
    };
    socket.on('connect', () => {
      let open = encodeMessage(buildOpen(local));
      if (random() < 0.15) {
        stats.opensMutated++;
        open = mutate(open, [open], 4096);
      }
      socket.write(open);
    });
    socket.on('data', (chunk: Buffer) => {
      const messages = framer.push(chunk);
      if (!Array.isArray(messages)) {
        finish();
        return;
      }
      for (const bytes of messages) {
        stats.messagesReceived++;
        const decoded = decodeMessage(bytes, context);
        if (!decoded.ok) continue;
        const message = decoded.value;
        if (message.type === 'open') {
          const outcome = negotiate(local, message);
          if (isNotification(outcome)) {
            finish();
            return;
          }
          context = outcome.sendContext;
          socket.write(encodeMessage(KEEPALIVE));
        } else if (message.type === 'keepalive' && !established) {
          established = true;
          stats.established++;
          sendUpdates();
        } else if (message.type === 'notification') {
          const key = `${message.code}/${message.subcode}`;
          stats.notifications[key] = (stats.notifications[key] ?? 0) + 1;
        }
      }
    });
  });
}

while (Date.now() < deadline) {
  await session();
  // The other side needs a moment to take the reset in before we come back.
  await new Promise((resolve) => setTimeout(resolve, 20));
}
emit('done', stats);
process.exit(0);
