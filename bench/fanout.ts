// Route-reflector fan-out benchmark (a script, not a timed test): one
// injector (bench/injector.ts, case a: N IPv4 /24s in 16 attribute sets)
// feeds the receiver over iBGP; the receiver -- our agent, BIRD 2, FRR
// bgpd, gobgpd, side by side in the same run -- is a route reflector for R
// clients (bench/counting-peer.ts: R sessions from consecutive addresses in
// one namespace, counting NLRI and withdrawals without decoding), all
// Established before the feed. See bench/lib/rr-topology.ts for the wiring.
//
//   npm run build && node dist/bench/fanout.js [--only agent,frr] [--prefixes 100000,1000000]
//        [--clients 1,10,50] [--withdraw [--fib off,on] | --responsiveness] [--repeat N] [--json PATH] [--help]
//
// Modes:
//   fan-out (default)  time from the feed's first UPDATE until the last
//                      client holds every prefix; the receiver's CPU seconds
//                      and peak RSS (VmHWM); the longest silence any client
//                      saw (KEEPALIVEs count as messages).
//   --withdraw         1M prefixes, 10 clients loaded (and, with --fib on, in
//                      the receiver's kernel table: the agent's kernel writer,
//                      BIRD's kernel protocol, FRR's zebra); then the
//                      injector's session drops (no NOTIFICATION: the socket
//                      is destroyed, as by a crash): time until every client
//                      got every withdrawal, until the receiver's Loc-RIB is
//                      empty, and until its kernel table holds none of the
//                      routes (fib_triestat, bench/lib/kernel.ts).
//   --responsiveness   1M prefixes, 10 clients, hold time 9 s towards the
//                      clients (KEEPALIVE every 3 s): during the ingest a
//                      "neighbor show" every 20 ms over the daemon's own
//                      socket (bench/lib/receivers.ts control()), and every
//                      2 s through its CLI program (a process per call);
//                      the worst latency of each, against an idle baseline,
//                      and the longest silence any client saw.
//
// One load at a time (the box has 2 cores, and is shared: the table shows
// the CPU everything else used meanwhile): per load fresh namespaces, a
// fresh receiver, clients and injector, all removed by saved PID afterwards
// and on Ctrl-C. Right before the feed the run waits for a quiet box. Times
// are CLOCK_MONOTONIC in every process (bench/lib/clock.ts): the injector
// stamps the feed's start, the clients stamp each session's last needed
// UPDATE as it is read.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanupStaleRuns, Topology } from '../lab/netns.js';
import type { ManagedProcess } from '../lab/process.js';
import { repositoryRoot } from './lib/agent.js';
import { notableAgentLines } from './lib/agent-log.js';
import { monoMs, sleep } from './lib/clock.js';
import type { InjectorEvent } from './lib/events.js';
import { fixed, formatGrid, median, ratio } from './lib/grid.js';
import { INJECTOR_JS, startInjector, waitReceiverEstablished } from './lib/injector-process.js';
import { JsonLinesTail } from './lib/jsonl.js';
import { kernelPrefixes } from './lib/kernel.js';
import { LatencyPoller, type LatencySummary, pollFor, summarizeLatency } from './lib/latency.js';
import { type GroupSnapshot, snapshotGroups, usedBetween, waitQuiet } from './lib/meter.js';
import { memoryOf } from './lib/proc.js';
import {
  agentRevision,
  RECEIVER_NAMES,
  type Receiver,
  type ReceiverName,
  startReceiver,
} from './lib/receivers.js';
import {
  ASN,
  buildRrTopology,
  CLIENT_FATAL,
  clientAddresses,
  INJECTOR,
  keepLogs,
  RECEIVER,
  startClients,
  waitClientsEstablished,
  waitEvent,
} from './lib/rr-topology.js';

type Mode = 'fanout' | 'withdraw' | 'responsiveness';
const HOLD_SECONDS = 90;
const FAMILY = 'ipv4-unicast';
/** Where the agent serves metrics in its namespace (--withdraw, --responsiveness). */
const AGENT_METRICS = '127.0.0.1:9179';
/** Feed case a: /24s from 16.0.0.0, as the clients track them. */
const track = (prefixes: number) => `16.0.0.0/24x${prefixes}`;

interface Options {
  readonly mode: Mode;
  readonly receivers: readonly ReceiverName[];
  readonly prefixes: readonly number[];
  readonly clients: readonly number[];
  /** withdraw: without and/or with the kernel FIB. */
  readonly fib: readonly boolean[];
  readonly repeat: number;
  readonly json: string | undefined;
  readonly timeoutMs: number;
  readonly clientHoldSeconds: number;
  readonly pollMs: number;
  readonly cliPollMs: number;
  readonly idleMs: number;
  readonly settleMs: number;
  readonly logs: string;
  readonly agentNodeArgs: readonly string[];
  /** agent only: clients in this many update groups (different export policies). */
  readonly clientGroups: number;
  readonly quietWaitMs: number;
  readonly quietCores: number;
}

function numbers(text: string, what: string): number[] {
  const list = text.split(',').map((s) => Number(s.trim()));
  for (const n of list)
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`--${what}: "${text}" is not a list of positive integers`);
  return list;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      prefixes: { type: 'string' },
      clients: { type: 'string' },
      withdraw: { type: 'boolean', default: false },
      responsiveness: { type: 'boolean', default: false },
      fib: { type: 'string', default: 'off,on' },
      repeat: { type: 'string', default: '1' },
      json: { type: 'string' },
      timeout: { type: 'string', default: '900' },
      'client-hold': { type: 'string' },
      'client-groups': { type: 'string', default: '1' },
      'poll-ms': { type: 'string', default: '20' },
      'cli-poll-ms': { type: 'string', default: '2000' },
      'idle-seconds': { type: 'string', default: '5' },
      settle: { type: 'string', default: '2' },
      logs: { type: 'string' },
      'agent-node-args': { type: 'string' },
      'quiet-wait': { type: 'string', default: '120' },
      'quiet-cores': { type: 'string', default: '0.3' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      `${[
        'usage: node dist/bench/fanout.js [options]',
        `  --only LIST        receivers, comma-separated (default ${RECEIVER_NAMES.join(',')})`,
        '  --prefixes LIST    feed sizes (case a: IPv4 /24s, 16 attribute sets; at most 1048576)',
        '                     (default 100000,1000000; --withdraw, --responsiveness: 1000000)',
        '  --clients LIST     route-reflector clients (default 1,10,50; --withdraw, --responsiveness: 10)',
        '  --withdraw         load, then drop the injector session: time until every client got every',
        '                     withdrawal, the Loc-RIB is empty, the kernel table is empty',
        '  --fib LIST         --withdraw: off and/or on (kernel FIB; gobgpd has none) (default off,on)',
        '  --responsiveness   worst "neighbor show" latency during the load (socket every --poll-ms,',
        '                     CLI process every --cli-poll-ms) and the longest silence any client saw',
        '  --repeat N         loads per receiver and size; the table shows medians (default 1)',
        '  --json PATH        also write every run and the tables as JSON',
        '  --timeout S        give up on one load after S seconds (default 900)',
        '  --client-hold S    hold time of the client sessions (default 90; --responsiveness: 9)',
        '  --client-groups N  agent only: N export policies among the clients (MED i mod N), N update groups (default 1)',
        '  --poll-ms MS       --responsiveness: control socket poll interval (default 20)',
        '  --cli-poll-ms MS   --responsiveness: CLI process poll interval, 0 = none (default 2000)',
        '  --idle-seconds S   --responsiveness: idle baseline before the feed (default 5)',
        '  --settle S         --withdraw: wait after the load before the drop (default 2)',
        '  --logs DIR         copy the configs and logs of failed loads there (default /tmp/bench-fanout-<time>)',
        "  --agent-node-args=ARGS  node options for the agent, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'",
        '  --quiet-wait S     before each feed, wait up to S s (default 120) until other processes',
        '  --quiet-cores C      use at most C cores (default 0.3)',
      ].join('\n')}\n`,
    );
    process.exit(0);
  }
  if (values.withdraw && values.responsiveness) throw new Error('--withdraw and --responsiveness: pick one');
  const mode: Mode = values.withdraw ? 'withdraw' : values.responsiveness ? 'responsiveness' : 'fanout';
  const receivers = (values.only?.split(',') ?? [...RECEIVER_NAMES]).map((s) => s.trim());
  for (const r of receivers)
    if (!RECEIVER_NAMES.includes(r as ReceiverName))
      throw new Error(`--only: "${r}" is not one of ${RECEIVER_NAMES.join(', ')}`);
  const prefixes = numbers(values.prefixes ?? (mode === 'fanout' ? '100000,1000000' : '1000000'), 'prefixes');
  if (prefixes.some((n) => n > 1 << 20)) throw new Error('--prefixes: case a holds at most 1048576');
  const fib = values.fib.split(',').map((s) => s.trim());
  if (fib.some((f) => f !== 'off' && f !== 'on')) throw new Error('--fib must list off and/or on');
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat must be a positive integer');
  return {
    mode,
    receivers: RECEIVER_NAMES.filter((r) => receivers.includes(r)),
    prefixes,
    clients: numbers(values.clients ?? (mode === 'fanout' ? '1,10,50' : '10'), 'clients'),
    fib: mode === 'withdraw' ? [false, true].filter((f) => fib.includes(f ? 'on' : 'off')) : [false],
    repeat,
    json: values.json,
    timeoutMs: Number(values.timeout) * 1000,
    clientHoldSeconds: Number(values['client-hold'] ?? (mode === 'responsiveness' ? 9 : HOLD_SECONDS)),
    clientGroups: Number(values['client-groups']),
    pollMs: Number(values['poll-ms']),
    cliPollMs: Number(values['cli-poll-ms']),
    idleMs: Number(values['idle-seconds']) * 1000,
    settleMs: Number(values.settle) * 1000,
    logs: values.logs ?? `/tmp/bench-fanout-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    agentNodeArgs: (values['agent-node-args'] ?? '').split(/\s+/).filter((a) => a !== ''),
    quietWaitMs: Number(values['quiet-wait']) * 1000,
    quietCores: Number(values['quiet-cores']),
  };
}

interface Scenario {
  readonly mode: Mode;
  readonly prefixes: number;
  readonly clients: number;
  readonly fib: boolean;
}

/** The longest silence between two messages any client saw in a window. */
interface GapReport {
  readonly maxGapMs: number;
  readonly session: number;
  /** When that silence ended, s since the window's origin (feed start or drop). */
  readonly endedAtSeconds: number;
  /** The clients' own worst event-loop delay meanwhile (a silence they caused themselves). */
  readonly clientLoopDelayMaxMs: number;
}

interface WithdrawResult {
  /** Drop until every client held none of the prefixes, s. */
  readonly clientsSeconds: number;
  readonly firstClientSeconds: number;
  /** Drop until the receiver's Loc-RIB was empty (emptiness() read 0), s. */
  readonly ribEmptySeconds: number;
  /** Drop until the kernel table was back to its size before the feed, s (FIB on). */
  readonly kernelEmptySeconds?: number;
  readonly receiverCpuSeconds: number;
  readonly clientsCpuSeconds: number;
  readonly otherCores: number;
  readonly backgroundCoresBefore: number;
  readonly gap?: GapReport;
  /** agent: the longest event-loop turn from the drop until all of the above, ms. */
  readonly longestTurnMs?: number;
}

interface Responsiveness {
  readonly controlText: string;
  readonly idle: LatencySummary;
  readonly load: LatencySummary;
  readonly cliIdle?: LatencySummary;
  readonly cliLoad?: LatencySummary;
  /** [ms since feed start, latency ms] of every control command during the load. */
  readonly samples: readonly [number, number][];
  readonly failures: readonly string[];
}

interface FanoutResult extends Scenario {
  readonly receiver: ReceiverName;
  readonly repetition: number;
  readonly version: string;
  readonly ok: boolean;
  readonly error?: string;
  /** A load that timed out: after how long, and the share of the prefixes the slowest client held. */
  readonly timeout?: { readonly seconds: number; readonly heldFraction: number };
  /** Feed start until the last client held every prefix, s. */
  readonly seconds?: number;
  readonly firstClientSeconds?: number;
  /** Feed start until the first UPDATE with a prefix reached any client, s. */
  readonly firstUpdateSeconds?: number;
  /** FIB on: feed start until the kernel table held every route, s. */
  readonly kernelLoadedSeconds?: number;
  /** Feed start until both of the above, s. */
  readonly loadedSeconds?: number;
  readonly receiverCpuSeconds?: number;
  readonly injectorCpuSeconds?: number;
  readonly clientsCpuSeconds?: number;
  readonly otherCores?: number;
  readonly backgroundCoresBefore?: number;
  readonly rssIdleKb?: number;
  readonly rssLoadedKb?: number;
  /** VmHWM of the receiver's main process (FRR: bgpd) after the load. */
  readonly peakKb?: number;
  /** Sum of VmHWM over the receiver's processes (FRR: bgpd + zebra). */
  readonly peakKbAllProcesses?: number;
  readonly gap?: GapReport;
  /** agent, --withdraw and --responsiveness: the longest event-loop turn during the load, ms. */
  readonly longestTurnMs?: number;
  readonly withdraw?: WithdrawResult;
  readonly responsiveness?: Responsiveness;
  /** [ms since feed start, prefixes held by all clients together] once a second. */
  readonly progress?: readonly [number, number][];
  readonly logLines?: readonly string[];
}

/** The load did not finish in time: how far the slowest client got, and what was measured until then. */
class LoadTimeout extends Error {
  constructor(
    message: string,
    readonly seconds: number,
    readonly heldFraction: number,
    readonly partial: Pick<FanoutResult, 'responsiveness' | 'gap' | 'receiverCpuSeconds' | 'peakKb'>,
  ) {
    super(message);
  }
}

let current: Topology | null = null;
let interrupted = false;

function log(message: string): void {
  process.stderr.write(`[fanout ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

const INJECTOR_FATAL = new Set(['error', 'closed', 'notification-received', 'notification-sent']);

function receiverPids(receiver: Receiver): readonly number[] {
  return receiver.processes?.() ?? [receiver.pid];
}

function peakOf(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      sum += memoryOf(pid).hwmKb;
    } catch {
      // a process that is gone
    }
  }
  return sum;
}

/** Asks the clients for their window report (SIGUSR2) and reduces it to the worst session. */
async function gapReport(clients: ManagedProcess, tail: JsonLinesTail, origin: number): Promise<GapReport> {
  tail.read();
  const from = tail.events.length;
  process.kill(clients.pid, 'SIGUSR2');
  const window = await waitEvent(tail, 'window', 10_000, from);
  let worst = { maxGapMs: 0, session: -1, endedAt: origin };
  const sessions = Array.isArray(window.sessions) ? window.sessions : [];
  for (const s of sessions) {
    const gap = Number(Reflect.get(s as object, 'maxGapMs'));
    if (gap > worst.maxGapMs)
      worst = {
        maxGapMs: gap,
        session: Number(Reflect.get(s as object, 'session')),
        endedAt: Number(Reflect.get(s as object, 'endedAt')),
      };
  }
  return {
    maxGapMs: Math.round(worst.maxGapMs),
    session: worst.session,
    endedAtSeconds: Math.round(worst.endedAt - origin) / 1000,
    clientLoopDelayMaxMs: Math.round(Number(window.loopDelayMaxMs)),
  };
}

/** Sessions that reported `name` at or after `since` (the latest report of each). */
function sessionsWith(tail: JsonLinesTail, name: string, since: number): Map<number, number> {
  const found = new Map<number, number>();
  for (const e of tail.all(name))
    if (e.t >= since && typeof e.session === 'number') found.set(e.session, e.t);
  return found;
}

async function runOne(
  scenario: Scenario,
  receiverName: ReceiverName,
  repetition: number,
  options: Options,
): Promise<FanoutResult> {
  const { prefixes, clients: clientCount, fib, mode } = scenario;
  const base = { ...scenario, receiver: receiverName, repetition };
  const topology = Topology.create();
  current = topology;
  let receiver: Receiver | undefined;
  try {
    const ns = await buildRrTopology(topology, clientCount);
    // State dirs in stop order: injector (Cease) and clients before the receiver.
    const injectorDir = topology.stateDir('injector');
    const clientsDir = topology.stateDir('clients');
    receiver = await startReceiver(receiverName, {
      namespace: ns.receiver,
      stateDir: topology.stateDir(receiverName),
      asn: ASN,
      routerId: RECEIVER.v4,
      neighbor: INJECTOR.v4,
      holdTimeSeconds: HOLD_SECONDS,
      installFib: fib,
      clients: clientAddresses(clientCount),
      clientHoldTimeSeconds: options.clientHoldSeconds,
      clientGroups: options.clientGroups,
      agentNodeArgs: options.agentNodeArgs,
      // The longest event-loop turn is read from the agent's metrics; the
      // fan-out mode leaves them off (prom-client would count in its RSS).
      ...(mode !== 'fanout' ? { agentMetricsListen: AGENT_METRICS } : {}),
    });
    const live = receiver;
    const clients = await startClients({
      namespace: ns.clients,
      stateDir: clientsDir,
      count: clientCount,
      holdSeconds: options.clientHoldSeconds,
      track: track(prefixes),
      expect: prefixes,
    });
    const injector = await startInjector({
      caseName: 'a',
      prefixes,
      local: INJECTOR,
      receiver: RECEIVER.v4,
      asn: ASN,
      holdSeconds: HOLD_SECONDS,
      namespace: ns.injector,
      stateDir: injectorDir,
    });
    const clientLog = new JsonLinesTail(clients.logFile);
    const injectorLog = new JsonLinesTail(injector.logFile);
    await waitClientsEstablished(clientLog, clients, clientCount, 120_000);
    await waitEvent(injectorLog, 'ready', 180_000);
    await waitEvent(injectorLog, 'established', 60_000);
    await waitReceiverEstablished(receiver, 20_000);
    await sleep(1000); // let the receiver finish whatever it does at Established
    const before = await receiver.count(FAMILY);
    if (before !== 0) throw new Error(`${receiverName} has ${before} routes before the feed`);
    const kernelBaseline = fib ? kernelPrefixes(receiver.pid) : 0;

    const groups = () => ({
      receiver: receiverPids(live),
      injector: [injector.pid],
      clients: [clients.pid],
    });
    const quietBefore = await waitQuiet(
      [...receiverPids(live), injector.pid, clients.pid],
      { waitMs: options.quietWaitMs, cores: options.quietCores },
      log,
      () => interrupted,
    );
    let idleControl: LatencySummary | undefined;
    let idleCli: LatencySummary | undefined;
    if (mode === 'responsiveness') {
      const [control, cli] = await Promise.all([
        pollFor(() => live.control(), options.pollMs, options.idleMs),
        options.cliPollMs > 0 ? pollFor(() => live.cli(), options.cliPollMs, options.idleMs) : undefined,
      ]);
      idleControl = summarizeLatency(control);
      idleCli = cli === undefined ? undefined : summarizeLatency(cli);
    }
    const idle = memoryOf(receiver.pid);
    await live.eventLoopDelayMaxMs?.(); // restarts the gauge's window
    const cpuBefore = snapshotGroups(groups());

    clientLog.read();
    process.kill(clients.pid, 'SIGUSR1'); // gap window starts
    process.kill(injector.pid, 'SIGUSR1'); // feed starts
    const t0 = (await waitEvent(injectorLog, 'feed-start', 10_000)).t;
    const controlPoller =
      mode === 'responsiveness' ? new LatencyPoller(() => live.control(), options.pollMs, t0) : undefined;
    const cliPoller =
      mode === 'responsiveness' && options.cliPollMs > 0
        ? new LatencyPoller(() => live.cli(), options.cliPollMs, t0)
        : undefined;

    async function stopPolling(): Promise<Responsiveness | undefined> {
      if (controlPoller === undefined || idleControl === undefined) return undefined;
      const [control, cli] = await Promise.all([controlPoller.stop(), cliPoller?.stop()]);
      return {
        controlText: live.controlText,
        idle: idleControl,
        load: summarizeLatency(control),
        ...(idleCli !== undefined ? { cliIdle: idleCli } : {}),
        ...(cli !== undefined ? { cliLoad: summarizeLatency(cli) } : {}),
        samples: control.samples,
        failures: [...control.failures, ...(cli?.failures ?? [])].slice(0, 20),
      };
    }

    const check = (phase: 'load' | 'withdraw') => {
      const clientFatal = clientLog.events.find((e) => CLIENT_FATAL.has(e.event));
      if (clientFatal) throw new Error(`a client session failed: ${JSON.stringify(clientFatal)}`);
      if (phase === 'load') {
        const fatal = injectorLog.events.find((e) => INJECTOR_FATAL.has(e.event));
        if (fatal) throw new Error(`injector session failed: ${JSON.stringify(fatal)}`);
        if (!injector.running()) throw new Error('injector exited during the load');
      }
      if (!clients.running()) throw new Error('clients exited');
      if (!live.running()) throw new Error(`${receiverName} exited`);
      if (interrupted) throw new Error('interrupted');
    };

    // Load: every client complete (and, FIB on, every route in the kernel).
    let kernelLoadedAt: number | null = null;
    let lastKernelPoll = 0;
    for (;;) {
      clientLog.read();
      injectorLog.read();
      const complete = sessionsWith(clientLog, 'complete', t0);
      if (fib && kernelLoadedAt === null && monoMs() - lastKernelPoll >= 200) {
        lastKernelPoll = monoMs();
        if (kernelPrefixes(live.pid) >= kernelBaseline + prefixes) kernelLoadedAt = monoMs();
      }
      if (complete.size >= clientCount && (!fib || kernelLoadedAt !== null)) break;
      check('load');
      if (monoMs() - t0 > options.timeoutMs) {
        // Still worth keeping: the latencies and silences up to here (gobgpd needs far longer).
        const minHeld = Number(clientLog.last('progress')?.minHeld ?? 0);
        const cpuNow = usedBetween(cpuBefore, snapshotGroups(groups()), monoMs() - t0);
        const partialGap = await gapReport(clients, clientLog, t0);
        const partialResponsiveness = await stopPolling();
        throw new LoadTimeout(
          `not loaded after ${options.timeoutMs / 1000} s: ${complete.size} of ${clientCount} clients complete, ` +
            `the slowest holds ${minHeld} of ${prefixes}`,
          options.timeoutMs / 1000,
          minHeld / prefixes,
          {
            gap: partialGap,
            receiverCpuSeconds: cpuNow.seconds.receiver,
            peakKb: memoryOf(live.pid).hwmKb,
            ...(partialResponsiveness !== undefined ? { responsiveness: partialResponsiveness } : {}),
          },
        );
      }
      await sleep(50);
    }
    const doneObservedAt = monoMs();
    const longestTurnMs = await live.eventLoopDelayMaxMs?.();
    const cpuLoaded = snapshotGroups(groups());
    const rssLoaded = memoryOf(live.pid);
    const peakLoaded = peakOf(receiverPids(live));
    const completeTimes = [...sessionsWith(clientLog, 'complete', t0).values()];
    const clientsDoneAt = Math.max(...completeTimes);
    const loadedAt = Math.max(clientsDoneAt, kernelLoadedAt ?? 0);
    const firstUpdates = [...sessionsWith(clientLog, 'first-update', t0).values()];
    const cpu = usedBetween(cpuBefore, cpuLoaded, doneObservedAt - t0);
    const gap = await gapReport(clients, clientLog, t0);
    const responsiveness = await stopPolling();
    log(
      `${label(scenario)}/${receiverName}: every client holds ${prefixes} prefixes after ${((clientsDoneAt - t0) / 1000).toFixed(2)} s` +
        (kernelLoadedAt !== null ? `, kernel after ${((kernelLoadedAt - t0) / 1000).toFixed(2)} s` : ''),
    );
    const count = await live.count(FAMILY);
    if (count !== prefixes)
      throw new Error(`${receiverName} counts ${count} routes after the load, not ${prefixes}`);

    let withdraw: WithdrawResult | undefined;
    if (mode === 'withdraw') withdraw = await dropAndWait();

    async function dropAndWait(): Promise<WithdrawResult> {
      await sleep(options.settleMs);
      const quiet = await waitQuiet(
        [...receiverPids(live), injector.pid, clients.pid],
        { waitMs: options.quietWaitMs, cores: options.quietCores },
        log,
        () => interrupted,
      );
      await live.eventLoopDelayMaxMs?.();
      const cpuBeforeDrop: GroupSnapshot<'receiver' | 'injector' | 'clients'> = snapshotGroups(groups());
      clientLog.read();
      process.kill(clients.pid, 'SIGUSR1');
      injectorLog.read();
      const from = injectorLog.events.length;
      process.kill(injector.pid, 'SIGUSR2');
      const t1 = (await waitEvent(injectorLog, 'dropped', 10_000, from)).t;
      let ribEmptyAt: number | null = null;
      let kernelEmptyAt: number | null = null;
      let stop = false;
      // The Loc-RIB: cheap to ask every 50 ms, except gobgpd (a walk of its table: every second).
      const ribPoll = (async () => {
        const interval = receiverName === 'gobgp' ? 1000 : 50;
        while (!stop) {
          const sent = monoMs();
          const left = await live.emptiness(FAMILY).catch(() => -1);
          if (left === 0) {
            ribEmptyAt = monoMs();
            return;
          }
          await sleep(Math.max(0, interval - (monoMs() - sent)));
        }
      })();
      for (;;) {
        clientLog.read();
        if (fib && kernelEmptyAt === null && kernelPrefixes(live.pid) <= kernelBaseline)
          kernelEmptyAt = monoMs();
        const empty = sessionsWith(clientLog, 'empty', t1);
        if (empty.size >= clientCount && ribEmptyAt !== null && (!fib || kernelEmptyAt !== null)) break;
        check('withdraw');
        if (monoMs() - t1 > options.timeoutMs) {
          stop = true;
          throw new Error(
            `withdrawals not done after ${options.timeoutMs / 1000} s: ${empty.size} of ${clientCount} clients empty, ` +
              `Loc-RIB ${ribEmptyAt === null ? 'not ' : ''}empty, kernel ${kernelEmptyAt === null ? 'not ' : ''}empty`,
          );
        }
        await sleep(fib ? 200 : 50);
      }
      stop = true;
      await ribPoll;
      const observed = monoMs();
      const withdrawLongestTurnMs = await live.eventLoopDelayMaxMs?.();
      const used = usedBetween(cpuBeforeDrop, snapshotGroups(groups()), observed - t1);
      const emptyTimes = [...sessionsWith(clientLog, 'empty', t1).values()];
      const withdrawGap = await gapReport(clients, clientLog, t1);
      const result: WithdrawResult = {
        clientsSeconds: (Math.max(...emptyTimes) - t1) / 1000,
        firstClientSeconds: (Math.min(...emptyTimes) - t1) / 1000,
        ribEmptySeconds: ((ribEmptyAt ?? observed) - t1) / 1000,
        ...(kernelEmptyAt !== null ? { kernelEmptySeconds: (kernelEmptyAt - t1) / 1000 } : {}),
        receiverCpuSeconds: used.seconds.receiver,
        clientsCpuSeconds: used.seconds.clients,
        otherCores: used.otherCores,
        backgroundCoresBefore: quiet,
        gap: withdrawGap,
        ...(withdrawLongestTurnMs !== undefined ? { longestTurnMs: withdrawLongestTurnMs } : {}),
      };
      log(
        `${label(scenario)}/${receiverName}: withdrawn at every client after ${result.clientsSeconds.toFixed(2)} s, ` +
          `Loc-RIB empty after ${result.ribEmptySeconds.toFixed(2)} s` +
          (result.kernelEmptySeconds !== undefined
            ? `, kernel after ${result.kernelEmptySeconds.toFixed(2)} s`
            : ''),
      );
      return result;
    }

    const progress = clientLog
      .all('progress')
      .filter((e: InjectorEvent) => e.t >= t0)
      .map((e): [number, number] => [Math.round(e.t - t0), Number(e.held)]);
    const logLines = receiverName === 'agent' ? notableAgentLines(await live.logText()) : [];
    return {
      ...base,
      version: live.version,
      ok: true,
      seconds: (clientsDoneAt - t0) / 1000,
      firstClientSeconds: (Math.min(...completeTimes) - t0) / 1000,
      ...(firstUpdates.length > 0 ? { firstUpdateSeconds: (Math.min(...firstUpdates) - t0) / 1000 } : {}),
      ...(kernelLoadedAt !== null ? { kernelLoadedSeconds: (kernelLoadedAt - t0) / 1000 } : {}),
      loadedSeconds: (loadedAt - t0) / 1000,
      receiverCpuSeconds: cpu.seconds.receiver,
      injectorCpuSeconds: cpu.seconds.injector,
      clientsCpuSeconds: cpu.seconds.clients,
      otherCores: cpu.otherCores,
      backgroundCoresBefore: quietBefore,
      rssIdleKb: idle.rssKb,
      rssLoadedKb: rssLoaded.rssKb,
      peakKb: rssLoaded.hwmKb,
      peakKbAllProcesses: peakLoaded,
      gap,
      ...(longestTurnMs !== undefined ? { longestTurnMs } : {}),
      ...(withdraw !== undefined ? { withdraw } : {}),
      ...(responsiveness !== undefined ? { responsiveness } : {}),
      progress,
      ...(logLines.length > 0 ? { logLines: logLines.slice(0, 50) } : {}),
    };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const message =
      receiver === undefined || receiver.running()
        ? why
        : `${why} (${receiverName} PID ${receiver.pid} is no longer running)`;
    let logLines: string[] = [];
    if (receiver !== undefined) {
      const text = await receiver.logText().catch(() => '');
      logLines = receiverName === 'agent' ? notableAgentLines(text) : text.split('\n');
      logLines = logLines.filter((l) => l.trim() !== '').slice(-40);
    }
    const kept = join(options.logs, `${label(scenario)}-${receiverName}-${repetition}`);
    keepLogs(topology, kept, log);
    log(`${label(scenario)}/${receiverName}: FAILED: ${message} (logs in ${kept})`);
    for (const line of logLines.slice(-15)) log(`  ${receiverName}: ${line.slice(0, 400)}`);
    return {
      ...base,
      version: receiver?.version ?? receiverName,
      ok: false,
      error: message,
      ...(error instanceof LoadTimeout
        ? { timeout: { seconds: error.seconds, heldFraction: error.heldFraction }, ...error.partial }
        : {}),
      ...(logLines.length > 0 ? { logLines } : {}),
    };
  } finally {
    await topology.destroy().catch((e: unknown) => log(`cleanup: ${String(e)}`));
    current = null;
  }
}

function label(s: Scenario): string {
  return `${s.mode}-${s.prefixes}x${s.clients}${s.mode === 'withdraw' ? `-fib-${s.fib ? 'on' : 'off'}` : ''}`;
}

// ---------------------------------------------------------------- tables

interface Group {
  readonly scenario: Scenario;
  readonly receiver: ReceiverName;
  readonly version: string;
  readonly runs: readonly FanoutResult[];
  readonly good: readonly FanoutResult[];
}

function groupResults(results: readonly FanoutResult[]): Group[] {
  const groups = new Map<string, FanoutResult[]>();
  for (const r of results) {
    const key = `${label(r)}\0${r.receiver}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((runs) => {
    const first = runs[0] as FanoutResult;
    return {
      scenario: { mode: first.mode, prefixes: first.prefixes, clients: first.clients, fib: first.fib },
      receiver: first.receiver,
      version: runs.find((r) => r.ok)?.version ?? first.version,
      runs,
      good: runs.filter((r) => r.ok),
    };
  });
}

/** Median of `pick` over a group's successful runs. */
/**
 * Median of `pick` over a group's successful runs; if none succeeded, over
 * its loads that timed out (what they measured until then: a lower bound).
 */
function med(group: Group | undefined, pick: (r: FanoutResult) => number | undefined): number | null {
  if (group === undefined) return null;
  const runs = group.good.length > 0 ? group.good : group.runs.filter((r) => r.timeout !== undefined);
  return median(runs.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v)));
}

/** The worst (largest) of `pick` over a group's successful runs, as whole ms; '-' if none measured it. */
function maxOf(group: Group, pick: (r: FanoutResult) => number | undefined): string {
  const values = group.good.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
  return values.length === 0 ? '-' : fixed(Math.max(...values), 0);
}

function frrOf(groups: readonly Group[], g: Group): Group | undefined {
  return groups.find((o) => o.receiver === 'frr' && label(o.scenario) === label(g.scenario));
}

/** A failed group's seconds cell: '>900 (37%)' when its loads timed out, else FAIL. */
function failedSeconds(g: Group): string {
  const timeout = g.runs.find((r) => r.timeout !== undefined)?.timeout;
  return timeout === undefined
    ? 'FAIL'
    : `>${timeout.seconds.toFixed(0)} (${(timeout.heldFraction * 100).toFixed(0)}%)`;
}

function runsText(g: Group): string {
  return g.good.length === g.runs.length ? String(g.runs.length) : `${g.good.length}/${g.runs.length}`;
}

function fanoutTable(groups: readonly Group[]): string {
  const header = [
    'prefixes',
    'clients',
    'receiver',
    'seconds',
    'x FRR',
    'first client s',
    'first UPDATE s',
    'CPU s',
    'x FRR',
    'peak MB',
    'x FRR',
    'max gap s',
    'clients CPU s',
    'runs',
    'other load',
    'version',
  ];
  const rows = groups.map((g) => {
    const frr = frrOf(groups, g);
    const seconds = med(g, (r) => r.seconds);
    const cpu = med(g, (r) => r.receiverCpuSeconds);
    const peak = med(g, (r) => (r.peakKb === undefined ? undefined : r.peakKb / 1024));
    return [
      String(g.scenario.prefixes),
      String(g.scenario.clients),
      g.receiver,
      seconds === null ? failedSeconds(g) : fixed(seconds, 2),
      fixed(
        ratio(
          seconds,
          med(frr, (r) => r.seconds),
        ),
        2,
      ),
      fixed(
        med(g, (r) => r.firstClientSeconds),
        2,
      ),
      fixed(
        med(g, (r) => r.firstUpdateSeconds),
        2,
      ),
      fixed(cpu, 2),
      fixed(
        ratio(
          cpu,
          med(frr, (r) => r.receiverCpuSeconds),
        ),
        2,
      ),
      fixed(peak, 0),
      fixed(
        ratio(
          peak,
          med(frr, (r) => (r.peakKb === undefined ? undefined : r.peakKb / 1024)),
        ),
        2,
      ),
      fixed(
        med(g, (r) => (r.gap === undefined ? undefined : r.gap.maxGapMs / 1000)),
        2,
      ),
      fixed(
        med(g, (r) => r.clientsCpuSeconds),
        2,
      ),
      runsText(g),
      fixed(
        med(g, (r) => r.otherCores),
        2,
      ),
      g.version,
    ];
  });
  return [
    formatGrid(header, rows),
    '',
    "seconds: the feed's first UPDATE (injector clock) until the last client held every prefix (its clock, same",
    '         CLOCK_MONOTONIC); first client s: until the first did; first UPDATE s: until any client got a prefix',
    'CPU s: CPU time of the receiver over that time (FRR: bgpd + zebra; zebra installs nothing here)',
    'peak MB: VmHWM of the receiver (FRR: bgpd) when the last client was done',
    'x FRR: this receiver / FRR for the same prefixes and clients',
    'max gap s: the longest silence between two messages (KEEPALIVEs count) any client saw, feed start to done',
    '>T (P%): the load timed out after T s with the slowest client holding P % of the prefixes; the other',
    '         columns of such a row show what was measured until then',
    "clients CPU s: the counting clients' CPU (they share the 2 cores); other load: cores used by everything",
    '         else meanwhile (0 = a quiet box)',
  ].join('\n');
}

function withdrawTable(groups: readonly Group[]): string {
  const header = [
    'receiver',
    'fib',
    'loaded s',
    'clients withdrawn s',
    'x FRR',
    'first client s',
    'Loc-RIB empty s',
    'kernel empty s',
    'x FRR',
    'CPU s',
    'max gap s',
    'longest turn ms',
    'runs',
    'other load',
    'version',
  ];
  const rows = groups.map((g) => {
    const frr = frrOf(groups, g);
    const clients = med(g, (r) => r.withdraw?.clientsSeconds);
    const kernel = med(g, (r) => r.withdraw?.kernelEmptySeconds);
    return [
      g.receiver,
      g.scenario.fib ? 'on' : 'off',
      fixed(
        med(g, (r) => r.loadedSeconds),
        2,
      ),
      clients === null ? 'FAIL' : fixed(clients, 2),
      fixed(
        ratio(
          clients,
          med(frr, (r) => r.withdraw?.clientsSeconds),
        ),
        2,
      ),
      fixed(
        med(g, (r) => r.withdraw?.firstClientSeconds),
        2,
      ),
      fixed(
        med(g, (r) => r.withdraw?.ribEmptySeconds),
        2,
      ),
      fixed(kernel, 2),
      fixed(
        ratio(
          kernel,
          med(frr, (r) => r.withdraw?.kernelEmptySeconds),
        ),
        2,
      ),
      fixed(
        med(g, (r) => r.withdraw?.receiverCpuSeconds),
        2,
      ),
      fixed(
        med(g, (r) => (r.withdraw?.gap === undefined ? undefined : r.withdraw.gap.maxGapMs / 1000)),
        2,
      ),
      maxOf(g, (r) => r.withdraw?.longestTurnMs),
      runsText(g),
      fixed(
        med(g, (r) => r.withdraw?.otherCores),
        2,
      ),
      g.version,
    ];
  });
  const first = groups[0]?.scenario;
  return [
    formatGrid(header, rows),
    '',
    `${first?.prefixes ?? '?'} prefixes reflected to ${first?.clients ?? '?'} clients, then the injector's socket is destroyed (no NOTIFICATION)`,
    'loaded s: feed start until every client held every prefix (fib on: and the kernel table every route)',
    'clients withdrawn s: the drop until the last client held none; first client s: until the first did',
    "Loc-RIB empty s: the drop until the receiver's table was empty (polled every 50 ms; gobgpd: every second)",
    "kernel empty s: the drop until the receiver's kernel table was back to its size before the feed",
    '         (fib_triestat, every 200 ms); x FRR: this receiver / FRR',
    'CPU s: receiver CPU from the drop until all of that (FRR: bgpd + zebra); max gap s: the longest silence',
    '         any client saw from the drop until it held none; other load: cores used by everything else meanwhile',
    "longest turn ms: the agent's longest event-loop turn from the drop until all of that, worst of the runs",
  ].join('\n');
}

function responsivenessTable(groups: readonly Group[], options: Options): string {
  const header = [
    'receiver',
    'loaded s',
    'idle ms',
    'median ms',
    'p99 ms',
    'worst ms',
    'x FRR',
    'CLI idle ms',
    'CLI worst ms',
    'longest turn ms',
    'max gap s',
    'client lag ms',
    'CPU s',
    'runs',
    'other load',
    'command',
  ];
  const rows = groups.map((g) => {
    const frr = frrOf(groups, g);
    const worst = med(g, (r) => r.responsiveness?.load.worstMs ?? undefined);
    const loaded = med(g, (r) => r.loadedSeconds);
    return [
      g.receiver,
      loaded === null ? failedSeconds(g) : fixed(loaded, 2),
      fixed(
        med(g, (r) => r.responsiveness?.idle.medianMs ?? undefined),
        1,
      ),
      fixed(
        med(g, (r) => r.responsiveness?.load.medianMs ?? undefined),
        1,
      ),
      fixed(
        med(g, (r) => r.responsiveness?.load.p99Ms ?? undefined),
        0,
      ),
      worst === null ? 'FAIL' : fixed(worst, 0),
      fixed(
        ratio(
          worst,
          med(frr, (r) => r.responsiveness?.load.worstMs ?? undefined),
        ),
        2,
      ),
      fixed(
        med(g, (r) => r.responsiveness?.cliIdle?.medianMs ?? undefined),
        0,
      ),
      fixed(
        med(g, (r) => r.responsiveness?.cliLoad?.worstMs ?? undefined),
        0,
      ),
      maxOf(g, (r) => r.longestTurnMs),
      fixed(
        med(g, (r) => (r.gap === undefined ? undefined : r.gap.maxGapMs / 1000)),
        2,
      ),
      fixed(
        med(g, (r) => r.gap?.clientLoopDelayMaxMs),
        0,
      ),
      fixed(
        med(g, (r) => r.receiverCpuSeconds),
        2,
      ),
      runsText(g),
      fixed(
        med(g, (r) => r.otherCores),
        2,
      ),
      g.runs.find((r) => r.responsiveness !== undefined)?.responsiveness?.controlText ?? '',
    ];
  });
  const first = groups[0]?.scenario;
  return [
    formatGrid(header, rows),
    '',
    `during the load of ${first?.prefixes ?? '?'} prefixes reflected to ${first?.clients ?? '?'} clients (hold time ${options.clientHoldSeconds} s towards them)`,
    `idle/median/p99/worst ms: latency of the command shown, one at a time every ${options.pollMs} ms over the daemon's`,
    '         own socket (no process per call); idle: the median before the feed; worst: during the load',
    `CLI idle/worst ms: the same through agentctl, birdc, vtysh, gobgp (a process per call, every ${options.cliPollMs} ms)`,
    "longest turn ms: the agent's longest event-loop turn during the load, worst of the runs",
    '         (agent_event_loop_delay_max_seconds, sampled every 1 ms)',
    `max gap s: the longest silence between two messages any client saw (KEEPALIVEs count; a daemon keeping its`,
    `         timers sends one at least every ${Math.floor(options.clientHoldSeconds / 3)} s); client lag ms: the clients' own worst event-loop delay`,
    'CPU s: receiver CPU over the load; other load: cores used by everything else meanwhile',
    '>T (P%): the load timed out after T s with the slowest client holding P % of the prefixes; the row',
    '         shows what was measured until then',
  ].join('\n');
}

async function main(): Promise<number> {
  const options = parseOptions();
  if (!existsSync(INJECTOR_JS) || !existsSync(`${repositoryRoot()}/dist/src/daemon/main.js`))
    throw new Error('build first: npm run build (dist/bench/injector.js and bin/agent are needed)');
  if (process.getuid?.() !== 0) throw new Error('run as root (network namespaces)');
  log(`agent: ${await agentRevision()}`);
  const stale = await cleanupStaleRuns();
  if (stale.length > 0) log(`removed leftovers of crashed runs: ${stale.join(', ')}`);
  const started = monoMs();
  const results: FanoutResult[] = [];
  for (const prefixes of options.prefixes) {
    for (const clients of options.clients) {
      for (const fib of options.fib) {
        const scenario: Scenario = { mode: options.mode, prefixes, clients, fib };
        for (let repetition = 1; repetition <= options.repeat; repetition++) {
          for (const receiverName of options.receivers) {
            if (interrupted) break;
            if (fib && receiverName === 'gobgp') continue; // gobgpd has no FIB code
            log(`${label(scenario)}/${receiverName} (${repetition}/${options.repeat}) ...`);
            results.push(await runOne(scenario, receiverName, repetition, options));
          }
        }
      }
    }
  }
  const groups = groupResults(results);
  const table =
    options.mode === 'fanout'
      ? fanoutTable(groups)
      : options.mode === 'withdraw'
        ? withdrawTable(groups)
        : responsivenessTable(groups, options);
  process.stdout.write(`${table}\n`);
  const totalSeconds = (monoMs() - started) / 1000;
  log(`done in ${totalSeconds.toFixed(0)} s`);
  if (options.json !== undefined) {
    const report = {
      date: new Date().toISOString(),
      options: { ...options, json: undefined },
      totalSeconds,
      table,
      runs: results,
    };
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${options.json}`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (interrupted) return;
  interrupted = true;
  log(`${signal}: cleaning up`);
  await current?.destroy().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', (s) => void onSignal(s));
process.on('SIGTERM', (s) => void onSignal(s));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
