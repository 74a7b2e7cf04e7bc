// The benchmark's route-reflector clients: N cheap iBGP speakers in one
// process (bench/fanout.ts, bench/churn.ts), each a session from its own
// address (--local and the N-1 IPv4 addresses after it). They connect, speak
// just enough BGP (OPEN with 4-octet AS and IPv4/IPv6 unicast, KEEPALIVEs at
// a third of the negotiated hold time), announce nothing, and count what
// they receive: UPDATEs are walked, not decoded (bench/lib/nlri-count.ts),
// and the prefixes of one tracked range are kept as bits, so "holds every
// prefix" and "got every withdrawal" are exact.
//
// lab/scripted-peer.ts --sessions N would do, but decodes every UPDATE into
// values and prints a line per session five times a second: at 50 sessions
// x 1M prefixes that is the clients, not the daemon, being measured.
//
//   node dist/bench/counting-peer.js --connect 10.80.0.1 --local 10.80.1.1 --sessions 50 \
//     --asn 64512 --hold 90 --track 16.0.0.0/24x1000000 [--expect 1000000]
//
// Reports on stdout, one JSON object per line; t is CLOCK_MONOTONIC ms
// (bench/lib/clock.ts), comparable with the injector's and the harness's:
//   established {session}        the session is up (KEEPALIVE after OPEN)
//   first-update {session}       the first UPDATE announcing something after the last mark
//   complete {session}           it holds all --expect tracked prefixes (once per session)
//   empty {session}              it holds none again, after holding some (every withdrawal arrived)
//   progress (every second)      totals, sessions complete/empty, worst gap since the mark
//   closed / notification-received {session}
// SIGUSR1 marks the start of a measurement window (gap and event-loop
// delay statistics restart; answered with "mark"); SIGUSR2 asks for the
// window's report ("window": per session the longest silence between two
// messages, KEEPALIVEs included, and when it ended). A session's window
// closes when it reaches what the window waits for (complete, or empty
// after a withdrawal): the quiet after its last route is not a stall.

import { once } from 'node:events';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  decodeMessage,
  encodeMessage,
  KEEPALIVE,
  MessageFramer,
  MessageType,
} from '../src/bgp/codec/index.js';
import { buildOpen, isNotification, type LocalOpenConfig, negotiate } from '../src/bgp/negotiation.js';
import { formatIpv4, parseIpv4 } from '../src/net/ip.js';
import { monoMs, sleep } from './lib/clock.js';
import { PrefixCounter, parseTrackedRange, type TrackedRange } from './lib/nlri-count.js';

function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, t: Math.round(monoMs() * 1000) / 1000, ...fields })}\n`);
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
    sessions: { type: 'string', default: '1' },
    asn: { type: 'string', default: '64512' },
    'peer-asn': { type: 'string' },
    hold: { type: 'string', default: '90' },
    track: { type: 'string' },
    expect: { type: 'string' },
    'connect-timeout': { type: 'string', default: '60' },
  },
  strict: true,
});

const host = values.connect ?? fail('--connect ADDRESS is required');
const firstAddress = parseIpv4(values.local ?? fail('--local ADDRESS is required'));
if (firstAddress === null) fail('--local must be an IPv4 address (sessions count up from it)');
const sessionCount = Number(values.sessions);
if (!Number.isInteger(sessionCount) || sessionCount < 1) fail('--sessions must be a positive integer');
const asn = Number(values.asn);
const range: TrackedRange | null =
  values.track === undefined
    ? null
    : (parseTrackedRange(values.track) ?? fail('--track must look like 16.0.0.0/24x1000000'));
const expected = values.expect === undefined ? (range?.count ?? 0) : Number(values.expect);

const keepaliveBytes = encodeMessage(KEEPALIVE);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let markAt = monoMs();

class CountingSession {
  readonly counter = new PrefixCounter(range);
  private readonly framer = new MessageFramer();
  private readonly local: LocalOpenConfig;
  private state: 'opensent' | 'openconfirm' | 'established' | 'closed' = 'opensent';
  private socket: net.Socket | null = null;
  keepalives = 0;
  completeAt: number | null = null;
  emptyAt: number | null = null;
  firstUpdateAt: number | null = null;
  /** Time of the last message, and the longest silence since the mark (and when it ended). */
  lastMessageAt = monoMs();
  maxGapMs = 0;
  maxGapEndedAt = 0;
  messagesSinceMark = 0;
  /** When this session became complete or empty since the mark: its silences stop counting. */
  settledAt: number | null = null;

  constructor(
    readonly index: number,
    readonly address: string,
  ) {
    this.local = {
      asn,
      routerId: address,
      holdTimeSeconds: Number(values.hold),
      families: ['ipv4-unicast', 'ipv6-unicast'],
      addPath: null,
      gracefulRestart: null,
      extendedMessage: false,
      hostname: null,
      peerAsn: values['peer-asn'] === undefined ? asn : Number(values['peer-asn']),
    };
  }

  get established(): boolean {
    return this.state === 'established';
  }

  mark(now: number): void {
    this.maxGapMs = 0;
    this.maxGapEndedAt = now;
    this.lastMessageAt = now;
    this.messagesSinceMark = 0;
    this.firstUpdateAt = null;
    this.settledAt = null;
  }

  async run(): Promise<void> {
    const deadline = monoMs() + Number(values['connect-timeout']) * 1000;
    let socket: net.Socket;
    for (;;) {
      socket = net.connect({ host, port: Number(values.port), localAddress: this.address });
      try {
        await once(socket, 'connect');
        break;
      } catch (error) {
        socket.destroy();
        if (monoMs() > deadline) fail(`session ${this.index}: cannot connect from ${this.address}: ${error}`);
        await sleep(250);
      }
    }
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      if (this.state === 'closed') return;
      this.state = 'closed';
      emit('closed', { session: this.index, ...this.totals() });
    });
    socket.write(encodeMessage(buildOpen(this.local)));
  }

  totals() {
    const c = this.counter;
    return {
      held: c.held,
      announced: c.announced,
      withdrawn: c.withdrawn,
      untracked: c.untracked,
      updates: c.updates,
      malformed: c.malformed,
    };
  }

  private onData(chunk: Buffer): void {
    const messages = this.framer.push(chunk);
    if (!Array.isArray(messages)) fail(`session ${this.index}: framing: ${messages.reason}`);
    if (messages.length === 0) return;
    const now = monoMs();
    const gap = now - this.lastMessageAt;
    if (this.settledAt === null && gap > this.maxGapMs) {
      this.maxGapMs = gap;
      this.maxGapEndedAt = now;
    }
    this.lastMessageAt = now;
    this.messagesSinceMark += messages.length;
    for (const message of messages) {
      const type = message[18];
      if (type === MessageType.update) this.onUpdate(message, now);
      else if (type === MessageType.keepalive) {
        this.keepalives++;
        if (this.state === 'openconfirm') this.onEstablished();
      } else this.onOther(message);
    }
  }

  private onUpdate(message: Uint8Array, now: number): void {
    const counter = this.counter;
    const heldBefore = counter.held;
    const announcedBefore = counter.announced;
    counter.countUpdate(message);
    if (this.firstUpdateAt === null && counter.announced > announcedBefore) {
      this.firstUpdateAt = now;
      emit('first-update', { session: this.index, t: now });
    }
    if (this.completeAt === null && expected > 0 && counter.held >= expected) {
      this.completeAt = now;
      this.settledAt ??= now;
      emit('complete', { session: this.index, t: now, ...this.totals() });
    }
    if (counter.held === 0 && heldBefore > 0) {
      this.emptyAt = now;
      this.settledAt ??= now;
      emit('empty', { session: this.index, t: now, ...this.totals() });
    }
  }

  private onEstablished(): void {
    this.state = 'established';
    emit('established', { session: this.index, address: this.address });
  }

  private onOther(bytes: Uint8Array): void {
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) fail(`session ${this.index}: undecodable message: ${decoded.error.reason}`);
    const message = decoded.value;
    if (message.type === 'open') {
      const outcome = negotiate(this.local, message);
      if (isNotification(outcome)) fail(`session ${this.index}: OPEN refused: ${outcome.reason}`);
      this.socket?.write(keepaliveBytes);
      this.state = 'openconfirm';
      if (outcome.keepaliveSeconds > 0) {
        setInterval(() => {
          if (this.state === 'established' || this.state === 'openconfirm')
            this.socket?.write(keepaliveBytes);
        }, outcome.keepaliveSeconds * 1000);
      }
    } else if (message.type === 'notification') {
      emit('notification-received', { session: this.index, code: message.code, subcode: message.subcode });
    }
  }

  destroy(): void {
    this.state = 'closed';
    this.socket?.destroy();
  }
}

const sessions = Array.from(
  { length: sessionCount },
  (_, i) => new CountingSession(i, formatIpv4(((firstAddress as number) + i) >>> 0)),
);

function progress(): void {
  let held = 0;
  let minHeld = Number.POSITIVE_INFINITY;
  let announced = 0;
  let withdrawn = 0;
  let updates = 0;
  let malformed = 0;
  let maxGapMs = 0;
  for (const s of sessions) {
    held += s.counter.held;
    minHeld = Math.min(minHeld, s.counter.held);
    announced += s.counter.announced;
    withdrawn += s.counter.withdrawn;
    updates += s.counter.updates;
    malformed += s.counter.malformed;
    maxGapMs = Math.max(maxGapMs, s.maxGapMs);
  }
  emit('progress', {
    established: sessions.filter((s) => s.established).length,
    complete: sessions.filter((s) => s.completeAt !== null).length,
    empty: sessions.filter((s) => s.emptyAt !== null).length,
    held,
    minHeld,
    announced,
    withdrawn,
    updates,
    malformed,
    maxGapMs: Math.round(maxGapMs),
  });
}

process.on('SIGUSR1', () => {
  const now = monoMs();
  markAt = now;
  for (const s of sessions) s.mark(now);
  loopDelay.reset();
  emit('mark', { t: now });
});

process.on('SIGUSR2', () => {
  const now = monoMs();
  emit('window', {
    fromT: markAt,
    toT: now,
    // The silence still running counts too: a session quiet since its last
    // message, unless it has everything the window waits for.
    sessions: sessions.map((s) => {
      const open = s.settledAt === null ? now - s.lastMessageAt : 0;
      return open > s.maxGapMs
        ? { session: s.index, maxGapMs: open, endedAt: now, running: true, messages: s.messagesSinceMark }
        : { session: s.index, maxGapMs: s.maxGapMs, endedAt: s.maxGapEndedAt, messages: s.messagesSinceMark };
    }),
    // This process's own event-loop delay (a late timer here is a gap the daemon did not cause).
    loopDelayMaxMs: loopDelay.max / 1e6,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
  });
});

process.on('SIGTERM', () => {
  progress();
  for (const s of sessions) s.destroy();
  process.exit(0);
});

emit('ready', { sessions: sessionCount, track: values.track ?? null, expect: expected });
await Promise.all(sessions.map((s) => s.run()));
setInterval(progress, 1000);
