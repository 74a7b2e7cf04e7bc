// The benchmark's route injector: its own process, normally in its own
// network namespace. It pre-encodes a whole feed (bench/lib/feed.ts), then
// connects to the receiver, speaks just enough BGP (OPEN with 4-octet AS and
// MP IPv4/IPv6 unicast, KEEPALIVEs both ways), and once Established writes
// the feed as fast as the socket takes it, then End-of-RIB for both
// families, and keeps the session up until SIGTERM (Cease/Administrative
// Shutdown) or the peer closes it.
//
// It reports on stdout, one JSON object per line ({"event": ...}); times are
// CLOCK_MONOTONIC milliseconds (bench/lib/clock.ts), comparable with the
// orchestrator's.
//
//   node dist/bench/injector.js --case a --connect 10.77.0.2 --local 10.77.0.1 \
//     --next-hop 10.77.0.1 --next-hop6 fd77::1 --asn 64512 --router-id 10.77.0.1 [--wait-go]
//
// With --wait-go the feed starts on SIGUSR1 (so the orchestrator can read the
// receiver's idle RSS first); without it, right at Established.
//
// SIGUSR2 drops the session the way a crashed peer does (bench/fanout.ts
// --withdraw): the socket is destroyed with no NOTIFICATION, "dropped" is
// reported with the time, and the injector exits.
//
// --churn (bench/churn.ts): instead of a feed, an endless slide over ever
// new prefixes (bench/lib/churn-feed.ts) for --seconds S: every --batch-ms
// the prefixes due at --rate per second are announced and the ones that fell
// out of the --window (the newest W stay alive) are withdrawn first, encoded
// batch by batch from columns. "cycle" is reported each time another W
// prefixes were announced (and handed to the kernel), "churn-done" at the
// end; the session then stays up until SIGTERM.

import { once } from 'node:events';
import net from 'node:net';
import { parseArgs } from 'node:util';
import {
  CeaseSubcode,
  decodeMessage,
  ErrorCode,
  encodeMessage,
  KEEPALIVE,
  MessageFramer,
  MessageType,
  type NotificationMessage,
} from '../src/bgp/codec/index.js';
import { buildOpen, isNotification, type LocalOpenConfig, negotiate } from '../src/bgp/negotiation.js';
import { ChurnFeed } from './lib/churn-feed.js';
import { monoMs, sleep } from './lib/clock.js';
import { buildFeed, CASE_NAMES, type CaseName, type Feed } from './lib/feed.js';

function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, t: monoMs(), ...fields })}\n`);
}

function fail(message: string, code = 1): never {
  emit('error', { message });
  process.exit(code);
}

const { values } = parseArgs({
  options: {
    case: { type: 'string' },
    connect: { type: 'string' },
    port: { type: 'string', default: '179' },
    local: { type: 'string' },
    asn: { type: 'string', default: '64512' },
    'peer-asn': { type: 'string' },
    'router-id': { type: 'string' },
    'next-hop': { type: 'string' },
    'next-hop6': { type: 'string' },
    hold: { type: 'string', default: '90' },
    prefixes: { type: 'string' },
    'wait-go': { type: 'boolean', default: false },
    'connect-timeout': { type: 'string', default: '60' },
    churn: { type: 'boolean', default: false },
    window: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '27778' },
    seconds: { type: 'string', default: '1800' },
    'batch-ms': { type: 'string', default: '100' },
  },
  strict: true,
});

const churnMode = values.churn;
const caseName = values.case as CaseName | undefined;
if (!churnMode && (caseName === undefined || !CASE_NAMES.includes(caseName)))
  fail(`--case must be one of ${CASE_NAMES.join(', ')}`);
const host = values.connect ?? fail('--connect ADDRESS is required');
const localAddress = values.local ?? fail('--local ADDRESS is required');
const nextHop = values['next-hop'] ?? localAddress;
const nextHop6 = values['next-hop6'] ?? fail('--next-hop6 ADDRESS is required');
const asn = Number(values.asn);
const local: LocalOpenConfig = {
  asn,
  routerId: values['router-id'] ?? localAddress,
  holdTimeSeconds: Number(values.hold),
  families: ['ipv4-unicast', 'ipv6-unicast'],
  addPath: null,
  gracefulRestart: null,
  extendedMessage: false,
  hostname: null,
  peerAsn: values['peer-asn'] === undefined ? asn : Number(values['peer-asn']),
};

const churn = {
  window: Number(values.window),
  rate: Number(values.rate),
  seconds: Number(values.seconds),
  batchMs: Number(values['batch-ms']),
};
const buildStarted = monoMs();
let feed: Feed | undefined;
let churnFeed: ChurnFeed | undefined;
if (churnMode) {
  if (!(churn.window >= 1 && churn.rate > 0 && churn.seconds > 0 && churn.batchMs >= 1))
    fail('--window, --rate, --seconds and --batch-ms must be positive');
  churnFeed = new ChurnFeed(nextHop);
  emit('ready', { churn, buildMs: Math.round(monoMs() - buildStarted) });
} else {
  feed = buildFeed({
    name: caseName as CaseName,
    ...(values.prefixes !== undefined ? { prefixes: Number(values.prefixes) } : {}),
    nextHop,
    nextHop6,
  });
  emit('ready', {
    case: feed.name,
    family: feed.family,
    prefixes: feed.prefixes,
    attributeSets: feed.attributeSets,
    messages: feed.messages,
    bytes: feed.bytes,
    lastPrefix: feed.lastPrefix,
    buildMs: Math.round(monoMs() - buildStarted),
  });
}

const keepaliveBytes = encodeMessage(KEEPALIVE);
let socket: net.Socket;
let state: 'opensent' | 'openconfirm' | 'established' = 'opensent';
let holdMs = local.holdTimeSeconds * 1000;
let lastReceived = monoMs();
let keepaliveTimer: NodeJS.Timeout | undefined;
let connected = false;
let feedStarted = false;
let goRequested = false;
let stopping = false;
const received = { updates: 0, keepalives: 0, bytes: 0 };

async function connect(): Promise<net.Socket> {
  const deadline = monoMs() + Number(values['connect-timeout']) * 1000;
  let lastError = '';
  while (monoMs() < deadline) {
    const s = net.connect({ host, port: Number(values.port), localAddress });
    try {
      await once(s, 'connect');
      return s;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      s.destroy();
      await sleep(250);
    }
  }
  return fail(`could not connect to ${host}:${values.port}: ${lastError}`, 2);
}

function sendNotification(code: number, subcode: number, reason: string): void {
  const message: NotificationMessage = { type: 'notification', code, subcode, data: new Uint8Array(0) };
  emit('notification-sent', { code, subcode, reason });
  socket.write(encodeMessage(message));
}

async function sendFeed(): Promise<void> {
  if (feedStarted) return;
  feedStarted = true;
  if (churnFeed !== undefined) return sendChurn(churnFeed);
  const whole = feed as Feed;
  const started = monoMs();
  emit('feed-start');
  for (const chunk of whole.chunks) {
    if (stopping) return;
    if (!socket.write(chunk)) await once(socket, 'drain');
  }
  socket.write(whole.endOfRib, () => {
    emit('feed-written', { ms: Math.round(monoMs() - started), bytes: whole.bytes });
  });
}

/** Writes `bytes`; resolves once the socket takes more (at once unless its buffer is full). */
async function write(bytes: Uint8Array, done?: () => void): Promise<void> {
  if (bytes.length === 0) return;
  if (!socket.write(bytes, done)) await once(socket, 'drain');
}

/**
 * The churn slide: every batchMs, the prefixes due by now at `rate` per
 * second are announced, after withdrawing those that leave the window. A
 * batch never crosses a cycle boundary (a multiple of the window), so
 * "cycle" marks exactly W more announcements. A receiver slower than the
 * rate holds the writes back (drain), and the slide catches up with bigger
 * batches, at most a second's worth each.
 */
async function sendChurn(source: ChurnFeed): Promise<void> {
  const { window, rate, seconds, batchMs } = churn;
  const started = monoMs();
  emit('feed-start');
  let announced = 0;
  let withdrawn = 0;
  let bytes = 0;
  const maxBatch = Math.max(1, Math.ceil(rate));
  for (;;) {
    if (stopping) return;
    const tick = monoMs();
    const elapsed = tick - started;
    if (elapsed >= seconds * 1000) break;
    const due = Math.floor((rate * elapsed) / 1000);
    const to = Math.min(due, announced + maxBatch, (Math.floor(announced / window) + 1) * window);
    if (to > announced) {
      const gone = Math.max(0, to - window);
      if (gone > withdrawn) {
        const out = source.withdrawals(withdrawn, gone);
        bytes += out.length;
        withdrawn = gone;
        await write(out);
      }
      const out = source.announcements(announced, to);
      bytes += out.length;
      const cycleDone = to % window === 0 ? to / window : 0;
      announced = to;
      const counts = { announced, withdrawn };
      await write(
        out,
        cycleDone > 0
          ? () => emit('cycle', { cycle: cycleDone, ...counts, ms: Math.round(monoMs() - started) })
          : undefined,
      );
    }
    const spent = monoMs() - tick;
    if (Math.floor((rate * (monoMs() - started)) / 1000) <= announced)
      await sleep(Math.max(0, batchMs - spent));
    else await new Promise((resolve) => setImmediate(resolve)); // behind: catch up, but let timers and reads run
  }
  const ms = monoMs() - started;
  if (socket.writableLength > 0) await once(socket, 'drain');
  emit('churn-done', {
    announced,
    withdrawn,
    alive: announced - withdrawn,
    bytes,
    ms: Math.round(ms),
    ratePerSecond: Math.round(announced / (ms / 1000)),
    drainedMs: Math.round(monoMs() - started - ms),
  });
}

function established(keepaliveSeconds: number): void {
  state = 'established';
  emit('established');
  if (keepaliveSeconds > 0) {
    keepaliveTimer = setInterval(() => socket.write(keepaliveBytes), keepaliveSeconds * 1000);
    setInterval(() => {
      if (monoMs() - lastReceived > holdMs) {
        sendNotification(ErrorCode.holdTimerExpired, 0, 'hold timer expired');
        emit('closed', { reason: 'hold timer expired', received });
        socket.end(() => process.exit(5));
      }
    }, 1000).unref();
  }
  if (!values['wait-go'] || goRequested) void sendFeed();
}

function onMessage(bytes: Uint8Array): void {
  const type = bytes[18];
  if (type === MessageType.update) {
    received.updates++;
    return;
  }
  if (type === MessageType.keepalive) {
    received.keepalives++;
    if (state === 'openconfirm') established(Math.floor(holdMs / 3000));
    return;
  }
  const decoded = decodeMessage(bytes);
  if (!decoded.ok) {
    sendNotification(decoded.error.code, decoded.error.subcode, decoded.error.reason);
    fail(`bad message from peer: ${decoded.error.reason}`, 3);
  }
  const message = decoded.value;
  if (message.type === 'open') {
    if (state !== 'opensent') fail('OPEN in the wrong state', 3);
    const session = negotiate(local, message);
    if (isNotification(session)) {
      sendNotification(session.code, session.subcode, session.reason);
      fail(`OPEN refused: ${session.reason}`, 3);
    }
    holdMs = session.holdTimeSeconds * 1000;
    emit('open-received', {
      peerRouterId: session.peerRouterId,
      holdTimeSeconds: session.holdTimeSeconds,
      families: session.families,
    });
    socket.write(keepaliveBytes);
    state = 'openconfirm';
  } else if (message.type === 'notification') {
    emit('notification-received', {
      code: message.code,
      subcode: message.subcode,
      data: Buffer.from(message.data).toString('hex'),
      shutdownMessage: message.shutdownMessage,
    });
    process.exit(3);
  }
}

process.on('SIGUSR1', () => {
  goRequested = true;
  if (state === 'established') void sendFeed();
});

process.on('SIGUSR2', () => {
  // A crashed peer: no NOTIFICATION, the kernel closes the connection.
  stopping = true;
  if (keepaliveTimer) clearInterval(keepaliveTimer);
  if (connected) socket.destroy();
  emit('dropped', { received });
  setTimeout(() => process.exit(0), 200);
});

process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  if (keepaliveTimer) clearInterval(keepaliveTimer);
  emit('stopping', { received });
  if (!connected || socket.destroyed) process.exit(0);
  sendNotification(ErrorCode.cease, CeaseSubcode.administrativeShutdown, 'benchmark done');
  socket.end(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});

socket = await connect();
connected = true;
socket.setNoDelay(true);
emit('connected', { local: socket.localAddress, remote: socket.remoteAddress });
const framer = new MessageFramer();
socket.on('data', (chunk: Buffer) => {
  lastReceived = monoMs();
  received.bytes += chunk.length;
  const messages = framer.push(chunk);
  if (!Array.isArray(messages)) fail(`framing: ${messages.reason}`, 3);
  for (const message of messages) onMessage(message);
});
socket.on('error', (error) => emit('socket-error', { message: error.message }));
socket.on('close', () => {
  if (stopping) return;
  emit('closed', { reason: 'peer closed the connection', state, received });
  process.exit(4);
});
socket.write(encodeMessage(buildOpen(local)));
