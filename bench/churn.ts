// Churn soak (a script, not a timed test): does the receiver's memory stop
// growing once its table turns over? The injector (bench/injector.ts
// --churn) slides a window of alive prefixes over an endless sequence of
// new ones (bench/lib/churn-feed.ts): every 100 ms it announces the
// prefixes due at --rate per second and first withdraws those that fell
// out of the --window. With the defaults (1M alive, 27,778 per second) 50M
// distinct prefixes pass in 30 minutes, one cycle (a window's worth of new
// prefixes) every 36 s. The receiver is a route reflector for --clients
// counting clients (bench/counting-peer.ts), so its Adj-RIB-Out churns too
// (--clients 0: the Loc-RIB alone). Wiring: bench/lib/rr-topology.ts.
//
//   npm run build && node dist/bench/churn.js [--minutes 30] [--only agent,bird,frr,gobgp]
//        [--window 1000000] [--rate 27778] [--clients 1] [--json PATH] [--help]
//
// The receiver's RSS (and VmHWM, CPU) is sampled every --sample-seconds,
// and read again each time the injector reports the end of a cycle. At the
// end the run waits until the receiver and every client hold exactly the
// alive window (so a receiver that fell behind is caught), then reports per
// receiver the RSS after each cycle and whether it stopped growing after
// the first (the fill): "flat" when no cycle of the second half of the run
// ends more than 5 % (and 5 MB) above the highest cycle end of the first half.
//
// The agent by default; BIRD, FRR and gobgpd with --only. One receiver at a
// time in fresh namespaces, everything removed by saved PID afterwards.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanupStaleRuns, Topology } from '../lab/netns.js';
import { type ManagedProcess, startProcess } from '../lab/process.js';
import { repositoryRoot } from './lib/agent.js';
import { notableAgentLines } from './lib/agent-log.js';
import { CHURN_TRACK } from './lib/churn-feed.js';
import { monoMs, sleep } from './lib/clock.js';
import { fixed, formatGrid, median } from './lib/grid.js';
import { INJECTOR_JS, waitReceiverEstablished } from './lib/injector-process.js';
import { JsonLinesTail } from './lib/jsonl.js';
import { snapshotGroups, usedBetween, waitQuiet } from './lib/meter.js';
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

const HOLD_SECONDS = 90;
const FAMILY = 'ipv4-unicast';
/** A cycle end more than this fraction (and this many MB) above the first half's highest means "still growing". */
const GROWTH_TOLERANCE = 0.05;
const GROWTH_TOLERANCE_MB = 5;

interface Options {
  readonly receivers: readonly ReceiverName[];
  readonly minutes: number;
  readonly window: number;
  readonly rate: number;
  readonly clients: number;
  readonly sampleMs: number;
  readonly drainMs: number;
  readonly settleMs: number;
  readonly repeat: number;
  readonly json: string | undefined;
  readonly logs: string;
  readonly agentNodeArgs: readonly string[];
  readonly quietWaitMs: number;
  readonly quietCores: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', default: 'agent' },
      minutes: { type: 'string', default: '30' },
      window: { type: 'string', default: '1000000' },
      rate: { type: 'string', default: '27778' },
      clients: { type: 'string', default: '1' },
      'sample-seconds': { type: 'string', default: '5' },
      drain: { type: 'string', default: '600' },
      settle: { type: 'string', default: '5' },
      repeat: { type: 'string', default: '1' },
      json: { type: 'string' },
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
        'usage: node dist/bench/churn.js [options]',
        `  --only LIST        receivers, comma-separated (default agent; any of ${RECEIVER_NAMES.join(',')})`,
        '  --minutes M        how long the injector churns (default 30)',
        '  --window W         alive prefixes; a cycle = W new prefixes announced (default 1000000)',
        '  --rate R           new prefixes per second, as many withdrawn once the window is full',
        '                     (default 27778: 50M distinct prefixes in 30 minutes)',
        '  --clients N        route-reflector clients of the receiver (default 1; 0 = none)',
        '  --sample-seconds S RSS sample interval (default 5)',
        '  --drain S          after the churn, wait up to S s for the receiver and clients to catch up (default 600)',
        '  --settle S         then wait S s before the final RSS (default 5)',
        '  --repeat N         soaks per receiver (default 1)',
        '  --json PATH        also write every sample and the tables as JSON',
        '  --logs DIR         copy the configs and logs of failed runs there (default /tmp/bench-churn-<time>)',
        "  --agent-node-args=ARGS  node options for the agent, e.g. '--heapsnapshot-signal=SIGUSR2'",
        '  --quiet-wait S     before the churn, wait up to S s (default 120) until other processes',
        '  --quiet-cores C      use at most C cores (default 0.3)',
      ].join('\n')}\n`,
    );
    process.exit(0);
  }
  const receivers = values.only.split(',').map((s) => s.trim());
  for (const r of receivers)
    if (!RECEIVER_NAMES.includes(r as ReceiverName))
      throw new Error(`--only: "${r}" is not one of ${RECEIVER_NAMES.join(', ')}`);
  const options: Options = {
    receivers: RECEIVER_NAMES.filter((r) => receivers.includes(r)),
    minutes: Number(values.minutes),
    window: Number(values.window),
    rate: Number(values.rate),
    clients: Number(values.clients),
    sampleMs: Number(values['sample-seconds']) * 1000,
    drainMs: Number(values.drain) * 1000,
    settleMs: Number(values.settle) * 1000,
    repeat: Number(values.repeat),
    json: values.json,
    logs: values.logs ?? `/tmp/bench-churn-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    agentNodeArgs: (values['agent-node-args'] ?? '').split(/\s+/).filter((a) => a !== ''),
    quietWaitMs: Number(values['quiet-wait']) * 1000,
    quietCores: Number(values['quiet-cores']),
  };
  if (!(options.minutes > 0 && options.window >= 1 && options.rate > 0))
    throw new Error('--minutes, --window and --rate must be positive');
  if (!Number.isInteger(options.clients) || options.clients < 0)
    throw new Error('--clients must be 0 or more');
  return options;
}

interface CycleEnd {
  readonly cycle: number;
  /** s since the churn started (injector clock). */
  readonly seconds: number;
  readonly rssKb: number;
}

interface ChurnResult {
  readonly receiver: ReceiverName;
  readonly repetition: number;
  readonly version: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly announced?: number;
  readonly withdrawn?: number;
  readonly alive?: number;
  /** Prefixes announced per second, achieved. */
  readonly ratePerSecond?: number;
  readonly churnSeconds?: number;
  /** End of the churn until the receiver's Loc-RIB and every client held exactly the alive window, s. */
  readonly catchUpSeconds?: number;
  readonly rssIdleKb?: number;
  readonly cycles?: readonly CycleEnd[];
  /** RSS `settle` s after catching up. */
  readonly rssFinalKb?: number;
  readonly peakKb?: number;
  readonly receiverCpuSeconds?: number;
  readonly clientsCpuSeconds?: number;
  readonly otherCores?: number;
  readonly backgroundCoresBefore?: number;
  /** [s since the churn started, RSS kB, VmHWM kB] every sample. */
  readonly samples?: readonly [number, number, number][];
  readonly logLines?: readonly string[];
}

let current: Topology | null = null;
let interrupted = false;

function log(message: string): void {
  process.stderr.write(`[churn ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

const INJECTOR_FATAL = new Set(['error', 'closed', 'notification-received', 'notification-sent']);

function startChurnInjector(namespace: string, stateDir: string, options: Options): Promise<ManagedProcess> {
  return startProcess({
    name: 'injector',
    argv: [
      process.execPath,
      INJECTOR_JS,
      '--churn',
      ...['--window', String(options.window), '--rate', String(options.rate)],
      ...['--seconds', String(Math.round(options.minutes * 60))],
      ...['--connect', RECEIVER.v4, '--local', INJECTOR.v4],
      ...['--next-hop', INJECTOR.v4, '--next-hop6', INJECTOR.v6],
      ...['--asn', String(ASN), '--router-id', INJECTOR.v4, '--hold', String(HOLD_SECONDS)],
      '--wait-go',
    ],
    stateDir,
    namespace,
  });
}

async function runOne(
  receiverName: ReceiverName,
  repetition: number,
  options: Options,
): Promise<ChurnResult> {
  const base = { receiver: receiverName, repetition };
  const topology = Topology.create();
  current = topology;
  let receiver: Receiver | undefined;
  try {
    const ns = await buildRrTopology(topology, options.clients);
    const injectorDir = topology.stateDir('injector');
    const clientsDir = topology.stateDir('clients');
    receiver = await startReceiver(receiverName, {
      namespace: ns.receiver,
      stateDir: topology.stateDir(receiverName),
      asn: ASN,
      routerId: RECEIVER.v4,
      neighbor: INJECTOR.v4,
      holdTimeSeconds: HOLD_SECONDS,
      clients: clientAddresses(options.clients),
      clientHoldTimeSeconds: HOLD_SECONDS,
      agentNodeArgs: options.agentNodeArgs,
    });
    const live = receiver;
    const clients =
      options.clients > 0
        ? await startClients({
            namespace: ns.clients,
            stateDir: clientsDir,
            count: options.clients,
            holdSeconds: HOLD_SECONDS,
            track: CHURN_TRACK,
            expect: 0,
          })
        : undefined;
    const injector = await startChurnInjector(ns.injector, injectorDir, options);
    const clientLog = clients === undefined ? undefined : new JsonLinesTail(clients.logFile);
    const injectorLog = new JsonLinesTail(injector.logFile);
    if (clients !== undefined && clientLog !== undefined)
      await waitClientsEstablished(clientLog, clients, options.clients, 120_000);
    await waitEvent(injectorLog, 'ready', 60_000);
    await waitEvent(injectorLog, 'established', 60_000);
    await waitReceiverEstablished(receiver, 20_000);
    await sleep(1000);
    const groups = () => ({
      receiver: live.processes?.() ?? [live.pid],
      injector: [injector.pid],
      clients: clients === undefined ? [] : [clients.pid],
    });
    const ours = () => Object.values(groups()).flat();
    const quiet = await waitQuiet(
      ours(),
      { waitMs: options.quietWaitMs, cores: options.quietCores },
      log,
      () => interrupted,
    );
    const idle = memoryOf(live.pid);
    const cpuBefore = snapshotGroups(groups());
    process.kill(injector.pid, 'SIGUSR1');
    const t0 = (await waitEvent(injectorLog, 'feed-start', 10_000)).t;

    const samples: [number, number, number][] = [];
    const cycles: CycleEnd[] = [];
    let lastSample = 0;
    const check = () => {
      const fatal = injectorLog.events.find((e) => INJECTOR_FATAL.has(e.event));
      if (fatal) throw new Error(`injector session failed: ${JSON.stringify(fatal)}`);
      const clientFatal = clientLog?.events.find((e) => CLIENT_FATAL.has(e.event));
      if (clientFatal) throw new Error(`a client session failed: ${JSON.stringify(clientFatal)}`);
      if (!injector.running()) throw new Error('injector exited');
      if (clients !== undefined && !clients.running()) throw new Error('clients exited');
      if (!live.running()) throw new Error(`${receiverName} exited`);
      if (interrupted) throw new Error('interrupted');
    };
    const sample = () => {
      const memory = memoryOf(live.pid);
      samples.push([Math.round(monoMs() - t0) / 1000, memory.rssKb, memory.hwmKb]);
      lastSample = monoMs();
      return memory;
    };
    const churnLimitMs = options.minutes * 60_000 + options.drainMs + 60_000;
    for (;;) {
      injectorLog.read();
      clientLog?.read();
      for (const e of injectorLog.all('cycle')) {
        const cycle = Number(e.cycle);
        if (cycles.some((c) => c.cycle === cycle)) continue;
        const memory = sample();
        cycles.push({ cycle, seconds: Math.round(e.t - t0) / 1000, rssKb: memory.rssKb });
        log(
          `${receiverName}: cycle ${cycle} (${e.announced} announced) RSS ${(memory.rssKb / 1024).toFixed(0)} MB`,
        );
      }
      if (injectorLog.last('churn-done') !== undefined) break;
      check();
      if (monoMs() - lastSample >= options.sampleMs) sample();
      if (monoMs() - t0 > churnLimitMs) throw new Error('the churn did not end in time');
      await sleep(250);
    }
    const done = injectorLog.last('churn-done') as Record<string, unknown> & { t: number };
    const alive = Number(done.alive);
    log(
      `${receiverName}: churn done: ${done.announced} announced, ${done.withdrawn} withdrawn ` +
        `(${done.ratePerSecond}/s); waiting for ${alive} alive in the Loc-RIB${clients ? ' and at every client' : ''}`,
    );
    // Catch up: the Loc-RIB (and every client) holds exactly the alive window.
    const doneAt = done.t;
    for (;;) {
      clientLog?.read();
      const count = await live.count(FAMILY).catch(() => -1);
      const progress = clientLog?.last('progress');
      const clientsOk =
        clientLog === undefined ||
        (progress !== undefined &&
          progress.t > doneAt &&
          Number(progress.minHeld) === alive &&
          Number(progress.held) === alive * options.clients);
      if (count === alive && clientsOk) break;
      check();
      if (monoMs() - lastSample >= options.sampleMs) sample();
      if (monoMs() - doneAt > options.drainMs)
        throw new Error(
          `not caught up ${options.drainMs / 1000} s after the churn: Loc-RIB ${count}, clients ` +
            `${progress?.minHeld ?? '?'}..${progress?.held ?? '?'} of ${alive}`,
        );
      await sleep(receiverName === 'gobgp' ? 2000 : 500);
    }
    const caughtUpAt = monoMs();
    const cpu = usedBetween(cpuBefore, snapshotGroups(groups()), caughtUpAt - t0);
    await sleep(options.settleMs);
    const final = sample();
    const logLines = receiverName === 'agent' ? notableAgentLines(await live.logText()) : [];
    return {
      ...base,
      version: live.version,
      ok: true,
      announced: Number(done.announced),
      withdrawn: Number(done.withdrawn),
      alive,
      ratePerSecond: Number(done.ratePerSecond),
      churnSeconds: Number(done.ms) / 1000,
      catchUpSeconds: (caughtUpAt - doneAt) / 1000,
      rssIdleKb: idle.rssKb,
      cycles,
      rssFinalKb: final.rssKb,
      peakKb: final.hwmKb,
      receiverCpuSeconds: cpu.seconds.receiver,
      clientsCpuSeconds: cpu.seconds.clients,
      otherCores: cpu.otherCores,
      backgroundCoresBefore: quiet,
      samples,
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
    const kept = join(options.logs, `${receiverName}-${repetition}`);
    keepLogs(topology, kept, log);
    log(`${receiverName}: FAILED: ${message} (logs in ${kept})`);
    for (const line of logLines.slice(-15)) log(`  ${receiverName}: ${line.slice(0, 400)}`);
    return {
      ...base,
      version: receiver?.version ?? receiverName,
      ok: false,
      error: message,
      ...(logLines.length > 0 ? { logLines } : {}),
    };
  } finally {
    await topology.destroy().catch((e: unknown) => log(`cleanup: ${String(e)}`));
    current = null;
  }
}

interface Verdict {
  readonly flat: boolean | null;
  /** Least-squares slope of the cycle-end RSS from cycle 2 on, MB per cycle. */
  readonly slopeMbPerCycle: number | null;
  readonly text: string;
}

/** Whether the RSS stopped growing after the first cycle (see the header comment). */
function verdict(cycles: readonly CycleEnd[]): Verdict {
  const steady = cycles.filter((c) => c.cycle >= 2);
  let slope: number | null = null;
  if (steady.length >= 2) {
    const n = steady.length;
    const mx = steady.reduce((s, c) => s + c.cycle, 0) / n;
    const my = steady.reduce((s, c) => s + c.rssKb / 1024, 0) / n;
    let num = 0;
    let den = 0;
    for (const c of steady) {
      num += (c.cycle - mx) * (c.rssKb / 1024 - my);
      den += (c.cycle - mx) ** 2;
    }
    slope = den > 0 ? num / den : null;
  }
  if (cycles.length < 4) return { flat: null, slopeMbPerCycle: slope, text: 'too few cycles (< 4)' };
  const half = Math.ceil(cycles.length / 2);
  const firstPeak = Math.max(...cycles.slice(0, half).map((c) => c.rssKb));
  const secondPeak = Math.max(...cycles.slice(half).map((c) => c.rssKb));
  const flat =
    secondPeak <= Math.max(firstPeak * (1 + GROWTH_TOLERANCE), firstPeak + GROWTH_TOLERANCE_MB * 1024);
  const over = ((secondPeak / firstPeak - 1) * 100).toFixed(0);
  return {
    flat,
    slopeMbPerCycle: slope,
    text: flat ? 'flat after cycle 1' : `still growing (2nd half peak +${over} %)`,
  };
}

function tables(results: readonly ChurnResult[], options: Options): string {
  const byReceiver = options.receivers.map((name) => ({
    name,
    runs: results.filter((r) => r.receiver === name),
  }));
  const mb = (kb: number | undefined) => (kb === undefined ? null : kb / 1024);
  const header = [
    'receiver',
    'cycles',
    'announced',
    'rate/s',
    'catch-up s',
    'RSS idle MB',
    'RSS c1 MB',
    'RSS c2 MB',
    'RSS last MB',
    'final MB',
    'peak MB',
    'growth after c1 MB',
    'MB/cycle',
    'verdict',
    'CPU cores',
    'runs',
    'other load',
    'version',
  ];
  const rows = byReceiver.map(({ name, runs }) => {
    const good = runs.filter((r) => r.ok);
    const last = good[good.length - 1];
    const m = (pick: (r: ChurnResult) => number | null | undefined) =>
      median(good.map(pick).filter((v): v is number => v !== null && v !== undefined));
    const cycles = last?.cycles ?? [];
    const v = verdict(cycles);
    const c1 = cycles.find((c) => c.cycle === 1)?.rssKb;
    const c2 = cycles.find((c) => c.cycle === 2)?.rssKb;
    const cl = cycles[cycles.length - 1]?.rssKb;
    return [
      name,
      String(cycles.length),
      fixed(
        m((r) => r.announced),
        0,
      ),
      fixed(
        m((r) => r.ratePerSecond),
        0,
      ),
      fixed(
        m((r) => r.catchUpSeconds),
        1,
      ),
      fixed(
        m((r) => mb(r.rssIdleKb)),
        0,
      ),
      fixed(mb(c1), 0),
      fixed(mb(c2), 0),
      fixed(mb(cl), 0),
      fixed(
        m((r) => mb(r.rssFinalKb)),
        0,
      ),
      fixed(
        m((r) => mb(r.peakKb)),
        0,
      ),
      c1 !== undefined && cl !== undefined ? fixed((cl - c1) / 1024, 0) : '-',
      fixed(v.slopeMbPerCycle, 1),
      good.length === 0 ? 'FAIL' : v.text,
      fixed(
        m((r) =>
          r.receiverCpuSeconds === undefined || r.churnSeconds === undefined
            ? undefined
            : r.receiverCpuSeconds / (r.churnSeconds + (r.catchUpSeconds ?? 0)),
        ),
        2,
      ),
      good.length === runs.length ? String(runs.length) : `${good.length}/${runs.length}`,
      fixed(
        m((r) => r.otherCores),
        2,
      ),
      last?.version ?? runs[0]?.version ?? name,
    ];
  });
  const maxCycles = Math.max(0, ...results.map((r) => r.cycles?.length ?? 0));
  const perCycle = formatGrid(
    ['cycle', 'ends at s', ...byReceiver.map((r) => `${r.name} RSS MB`)],
    Array.from({ length: maxCycles }, (_, i) => {
      const at = byReceiver.map(({ runs }) => runs.filter((r) => r.ok).at(-1)?.cycles?.[i]);
      return [
        String(i + 1),
        fixed(median(at.flatMap((c) => (c === undefined ? [] : [c.seconds]))), 0),
        ...at.map((c) => fixed(mb(c?.rssKb), 0)),
      ];
    }),
  );
  return [
    formatGrid(header, rows),
    '',
    perCycle,
    '',
    `${options.minutes} min of churn: the newest ${options.window} prefixes alive, ${options.rate} new ones per second (as many`,
    `withdrawn once the window is full), ${options.clients} route-reflector client(s); a cycle = ${options.window} new prefixes`,
    'announced (cycle 1 fills the table; from cycle 2 on each cycle replaces it entirely)',
    'rate/s: new prefixes per second achieved (a receiver slower than --rate holds the injector back)',
    'catch-up s: end of the churn until the Loc-RIB and every client held exactly the alive window',
    'RSS c1/c2/last: receiver RSS when the injector had handed cycle 1/2/the last cycle to the kernel;',
    `         final: ${options.settleMs / 1000} s after catching up; peak: VmHWM; growth after c1: RSS last - RSS c1`,
    'MB/cycle: least-squares slope of the cycle-end RSS from cycle 2 on',
    `verdict: flat when no cycle of the second half ends more than ${GROWTH_TOLERANCE * 100} % (and ${GROWTH_TOLERANCE_MB} MB) above the first half's highest`,
    'CPU cores: receiver CPU seconds / wall seconds (FRR: bgpd + zebra); other load: cores used by everything else',
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
  const results: ChurnResult[] = [];
  for (let repetition = 1; repetition <= options.repeat; repetition++) {
    for (const receiverName of options.receivers) {
      if (interrupted) break;
      log(`${receiverName} (${repetition}/${options.repeat}): ${options.minutes} min ...`);
      results.push(await runOne(receiverName, repetition, options));
    }
  }
  const text = tables(results, options);
  process.stdout.write(`${text}\n`);
  const totalSeconds = (monoMs() - started) / 1000;
  log(`done in ${totalSeconds.toFixed(0)} s`);
  if (options.json !== undefined) {
    writeFileSync(
      options.json,
      `${JSON.stringify({ date: new Date().toISOString(), options: { ...options, json: undefined }, totalSeconds, table: text, runs: results }, null, 2)}\n`,
    );
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
