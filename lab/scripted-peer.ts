// A scripted BGP speaker for tests, as its own process in a lab namespace:
// it does what no real daemon can be told to do on cue. It connects,
// speaks just enough BGP (OPEN with 4-octet AS and IPv4/IPv6 unicast,
// KEEPALIVEs), announces a generated table, and can stop reading from its
// socket (a slow or stuck peer) until SIGUSR2. It reports on stdout, one
// JSON object per line ({"event": ...}); tests read them from its log.
//
//   node dist/lab/scripted-peer.js --connect 10.95.0.1 --local 10.95.0.2 --asn 65300 \
//     --peer-asn 65100 [--announce 200000] [--distinct-sets] [--stop-reading]
//
// --announce N: N IPv4 /24s from 20.0.0.0 with next hop --local, then
// End-of-RIB; --distinct-sets gives every prefix its own MED, so every
// prefix is one UPDATE (the most octets per prefix a peer can cost).
// --stop-reading: once Established, the socket is paused (KEEPALIVEs still
// go out), so the other side's writes back up; SIGUSR2 resumes reading.
// --sessions N: N sessions from --local and the N-1 IPv4 addresses after it
// (each its own router ID); events then carry "session": index.

import { once } from 'node:events';
import net from 'node:net';
import { parseArgs } from 'node:util';
import {
  decodeMessage,
  encodeMessage,
  expectPacked,
  KEEPALIVE,
  MessageFramer,
  type PathAttributes,
  type Prefixes,
  packAnnouncements,
} from '../src/bgp/codec/index.js';
import { endOfRib, endOfRibFamily } from '../src/bgp/codec/update.js';
import { buildOpen, isNotification, negotiate } from '../src/bgp/negotiation.js';
import { formatIpv4, parseIpv4 } from '../src/net/ip.js';

function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, t: Date.now(), ...fields })}\n`);
}

function fail(message: string): never {
  emit('error', { message });
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    connect: { type: 'string' },
    port: { type: 'string', default: '179' },
    local: { type: 'string' },
    asn: { type: 'string' },
    'peer-asn': { type: 'string' },
    'router-id': { type: 'string' },
    hold: { type: 'string', default: '30' },
    announce: { type: 'string', default: '0' },
    'distinct-sets': { type: 'boolean', default: false },
    'stop-reading': { type: 'boolean', default: false },
    sessions: { type: 'string', default: '1' },
  },
  strict: true,
});

const host = values.connect ?? fail('--connect ADDRESS is required');
const localAddress = values.local ?? fail('--local ADDRESS is required');
const asn = Number(values.asn ?? fail('--asn N is required'));
const peerAsn = Number(values['peer-asn'] ?? fail('--peer-asn N is required'));
const announceCount = Number(values.announce);
const external = asn !== peerAsn;

const local = {
  asn,
  routerId: values['router-id'] ?? localAddress,
  holdTimeSeconds: Number(values.hold),
  families: ['ipv4-unicast', 'ipv6-unicast'] as const,
  addPath: null,
  gracefulRestart: null,
  extendedMessage: false,
  hostname: null,
  peerAsn,
};

/** The announcements, encoded before connecting: one buffer per attribute set. */
function buildTable(): Uint8Array[] {
  if (announceCount <= 0) return [];
  const attributes = (med: number): PathAttributes => ({
    origin: 0,
    asPath: external ? [{ type: 2, asns: [asn] }] : [],
    nextHop: localAddress,
    med,
    ...(external ? {} : { localPref: 100 }),
  });
  const context = {
    asn4: true,
    addPathIpv4: false,
    addPathIpv6: false,
    maxMessageLength: 4096,
    peerType: 'unknown' as const,
  };
  const words = new Uint32Array(announceCount);
  for (let i = 0; i < announceCount; i++) words[i] = ((20 << 24) + (i << 8)) >>> 0;
  const all: Prefixes = {
    afi: 1,
    count: announceCount,
    lengths: new Uint8Array(announceCount).fill(24),
    words,
    pathIds: null,
  };
  if (!values['distinct-sets']) return [expectPacked(packAnnouncements(all, attributes(0), context)).bytes];
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < announceCount; i++) {
    const one: Prefixes = {
      afi: 1,
      count: 1,
      lengths: all.lengths.subarray(i, i + 1),
      words: words.subarray(i, i + 1),
      pathIds: null,
    };
    chunks.push(expectPacked(packAnnouncements(one, attributes(i), context)).bytes);
  }
  return chunks;
}

const table = buildTable();
const sessionCount = Number(values.sessions);
const firstAddress = parseIpv4(localAddress);
if (sessionCount > 1 && firstAddress === null)
  fail('--sessions N needs an IPv4 --local (addresses count up from it)');

/** One BGP session from one local address. */
class ScriptedSession {
  private readonly framer = new MessageFramer();
  readonly received = { updates: 0, prefixes: 0, withdrawn: 0, endOfRib: 0 };
  private lastReport = 0;
  private state: 'openSent' | 'openConfirm' | 'established' = 'openSent';
  private keepaliveSeconds = 0;
  private socket: net.Socket | null = null;

  constructor(
    private readonly index: number,
    private readonly address: string,
  ) {}

  private emit(event: string, fields: Record<string, unknown> = {}): void {
    emit(event, sessionCount > 1 ? { session: this.index, ...fields } : fields);
  }

  report(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastReport < 200) return;
    this.lastReport = now;
    this.emit('received', { ...this.received });
  }

  private async connect(): Promise<net.Socket> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const socket = net.connect({ host, port: Number(values.port), localAddress: this.address });
      try {
        await once(socket, 'connect');
        return socket;
      } catch (error) {
        socket.destroy();
        if (Date.now() > deadline)
          fail(`could not connect to ${host} from ${this.address}: ${String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  private async announce(socket: net.Socket): Promise<void> {
    for (const chunk of table) if (!socket.write(chunk)) await once(socket, 'drain');
    socket.write(encodeMessage(endOfRib(1, 1)));
    socket.write(encodeMessage(endOfRib(2, 1)));
    this.emit('announced', { prefixes: announceCount, messages: table.length });
  }

  private onEstablished(socket: net.Socket): void {
    this.state = 'established';
    this.emit('established');
    if (this.keepaliveSeconds > 0)
      setInterval(() => socket.write(encodeMessage(KEEPALIVE)), this.keepaliveSeconds * 1000);
    if (values['stop-reading']) {
      socket.pause();
      this.emit('reading-stopped');
      process.on('SIGUSR2', () => {
        socket.resume();
        this.emit('reading-resumed');
      });
    }
    void this.announce(socket);
  }

  async run(): Promise<void> {
    const socket = await this.connect();
    this.socket = socket;
    this.emit('connected');
    const open = { ...local, routerId: values['router-id'] ?? this.address };
    socket.write(encodeMessage(buildOpen(open)));
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk, open));
    socket.on('close', () => {
      this.report(true);
      this.emit('closed');
      if (sessionCount === 1) process.exit(0);
    });
  }

  private onData(socket: net.Socket, chunk: Buffer, open: typeof local): void {
    const messages = this.framer.push(chunk);
    if (!Array.isArray(messages)) fail(`bad stream: ${messages.reason}`);
    for (const bytes of messages) {
      const decoded = decodeMessage(bytes);
      if (!decoded.ok) fail(`undecodable message: ${decoded.error.reason}`);
      const message = decoded.value;
      switch (message.type) {
        case 'open': {
          const outcome = negotiate(open, message);
          if (isNotification(outcome)) fail(`OPEN refused: ${outcome.reason}`);
          socket.write(encodeMessage(KEEPALIVE));
          this.state = 'openConfirm';
          this.keepaliveSeconds = outcome.keepaliveSeconds;
          break;
        }
        case 'keepalive':
          if (this.state === 'openConfirm') this.onEstablished(socket);
          break;
        case 'update': {
          const received = this.received;
          received.updates++;
          if (endOfRibFamily(message) !== null) received.endOfRib++;
          const mpReach = message.attributes.mpReach?.prefixes?.count ?? 0;
          const mpUnreach = message.attributes.mpUnreach?.prefixes?.count ?? 0;
          received.prefixes += message.nlri.count + mpReach;
          received.withdrawn += message.withdrawn.count + mpUnreach;
          this.report(received.endOfRib > 0);
          break;
        }
        case 'notification':
          this.emit('notification-received', { code: message.code, subcode: message.subcode });
          break;
        default:
          break;
      }
    }
  }

  destroy(): void {
    this.socket?.destroy();
  }
}

const sessions = Array.from(
  { length: sessionCount },
  (_, i) => new ScriptedSession(i, i === 0 ? localAddress : formatIpv4(((firstAddress as number) + i) >>> 0)),
);
await Promise.all(sessions.map((session) => session.run()));
setInterval(() => {
  for (const session of sessions) session.report(true);
}, 1000);
process.on('SIGTERM', () => {
  for (const session of sessions) session.destroy();
  process.exit(0);
});
