// RIB load benchmark (a script, not a timed test): a real TCP session in
// network namespaces feeds a full table from an injector process
// (bench/injector.ts) to a receiver -- our agent, gobgpd, BIRD 2, FRR bgpd --
// and measures how long it takes until every prefix is in the receiver's
// Loc-RIB, and the receiver's RSS.
//
//   npm run build && node dist/bench/rib.js [--only agent,frr] [--cases a,b,v6]
//        [--repeat N] [--json PATH] [--scale F] [--timeout S] [--settle S] [--help]
//
// Cases (bench/lib/feed.ts): a = 1M IPv4 /24s in 16 attribute sets, b = 1M
// Internet-like IPv4 prefixes in 250k attribute sets, v6 = 200k IPv6 /48s
// in 16 sets.
//
// One load at a time (the box has 2 cores): for each case, repetition and
// receiver a fresh pair of namespaces (injector <-veth-> receiver), a fresh
// receiver and a fresh injector. The injector pre-encodes the feed, connects
// (iBGP, same AS, hold time 90 s), and waits at Established; we read the
// receiver's idle RSS (after waiting for the rest of the box to be quiet),
// then SIGUSR1 starts the feed. Time = feed start until the first poll
// (every 50 ms) whose answer counts every prefix as best (see waitLoaded and
// bench/lib/receivers.ts for what each receiver is asked); both ends use
// CLOCK_MONOTONIC. Memory = RSS `--settle` seconds after that,
// minus the idle RSS, per prefix. Everything (namespaces, processes, by
// saved PID) is removed after each load, and on Ctrl-C.

import { cpSync, existsSync, lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanupStaleRuns, Topology } from '../lab/netns.js';
import type { ManagedProcess } from '../lab/process.js';
import { repositoryRoot } from './lib/agent.js';
import { monoMs, sleep } from './lib/clock.js';
import { cpuBetween, cpuSnapshot } from './lib/cpu.js';
import { InjectorLog } from './lib/events.js';
import { CASE_FAMILY, CASE_NAMES, type CaseName, DEFAULT_PREFIXES } from './lib/feed.js';
import { INJECTOR_JS, startInjector, waitReceiverEstablished } from './lib/injector-process.js';
import { memoryOf } from './lib/proc.js';
import {
  agentRevision,
  type FamilyName,
  RECEIVER_NAMES,
  type Receiver,
  type ReceiverName,
  startReceiver,
} from './lib/receivers.js';
import { formatTable, LEGEND, type RunResult, summarize } from './lib/table.js';

const ASN = 64512;
const INJECTOR = { v4: '10.77.0.1', v6: 'fd77::1' };
const RECEIVER = { v4: '10.77.0.2', v6: 'fd77::2' };
const HOLD_SECONDS = 90;

interface Options {
  readonly receivers: readonly ReceiverName[];
  readonly cases: readonly CaseName[];
  readonly repeat: number;
  readonly json: string | undefined;
  readonly scale: number;
  readonly timeoutMs: number;
  readonly settleMs: number;
  readonly pollMs: number;
  /** Where the state dirs (configs, logs) of failed loads are copied. */
  readonly logs: string;
  readonly agentNodeArgs: readonly string[];
  /** Before each load, wait up to this long for the rest of the machine to use at most `quietCores`. */
  readonly quietWaitMs: number;
  readonly quietCores: number;
}

function list<T extends string>(text: string | undefined, all: readonly T[], what: string): T[] {
  if (text === undefined) return [...all];
  const items = text.split(',').map((s) => s.trim());
  for (const item of items) {
    if (!all.includes(item as T)) throw new Error(`--${what}: "${item}" is not one of ${all.join(', ')}`);
  }
  return all.filter((item) => items.includes(item));
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      cases: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      json: { type: 'string' },
      scale: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '300' },
      settle: { type: 'string', default: '2' },
      'poll-ms': { type: 'string', default: '50' },
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
        'usage: node dist/bench/rib.js [options]',
        `  --only LIST     receivers, comma-separated (default ${RECEIVER_NAMES.join(',')})`,
        `  --cases LIST    cases, comma-separated (default ${CASE_NAMES.join(',')})`,
        '                  a: 1M IPv4 /24s, 16 attribute sets; b: 1M Internet-like IPv4 prefixes,',
        '                  250k attribute sets; v6: 200k IPv6 /48s, 16 attribute sets',
        '  --repeat N      loads per case and receiver; the table shows medians (default 1)',
        '  --json PATH     also write every run and the table as JSON',
        '  --scale F       feed F times the prefixes (quick runs: 0.1)',
        '  --timeout S     give up on one load after S seconds (default 300)',
        '  --settle S      RSS is read S seconds after the load (default 2)',
        '  --poll-ms MS    how often to ask the receiver for its route count (default 50)',
        '  --logs DIR      copy the configs and logs of failed loads there (default /tmp/bench-rib-<time>)',
        "  --agent-node-args=ARGS  node options for the agent, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'",
        '  --quiet-wait S  before each load, wait up to S s (default 120) until other processes',
        '  --quiet-cores C   use at most C cores (default 0.3); the table shows what they used during the load',
      ].join('\n')}\n`,
    );
    process.exit(0);
  }
  const repeat = Number(values.repeat);
  const scale = Number(values.scale);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat must be a positive integer');
  if (!(scale > 0 && scale <= 1)) throw new Error('--scale must be in (0, 1]');
  return {
    receivers: list(values.only, RECEIVER_NAMES, 'only'),
    cases: list(values.cases, CASE_NAMES, 'cases'),
    repeat,
    json: values.json,
    scale,
    timeoutMs: Number(values.timeout) * 1000,
    settleMs: Number(values.settle) * 1000,
    pollMs: Number(values['poll-ms']),
    quietWaitMs: Number(values['quiet-wait']) * 1000,
    quietCores: Number(values['quiet-cores']),
    agentNodeArgs: (values['agent-node-args'] ?? '').split(/\s+/).filter((a) => a !== ''),
    logs: values.logs ?? `/tmp/bench-rib-${new Date().toISOString().replace(/[:.]/g, '-')}`,
  };
}

let current: Topology | null = null;
let interrupted = false;

function log(message: string): void {
  process.stderr.write(`[rib ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

/** Agent log lines at warn level and above (pino JSON: level >= 40), or anything not JSON. */
function notableAgentLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      if (!line.startsWith('{')) return true;
      try {
        const level: unknown = Reflect.get(JSON.parse(line) as object, 'level');
        return typeof level !== 'number' || level >= 40;
      } catch {
        return true;
      }
    });
}

/**
 * Right before the feed (session up, both ends idle): waits up to
 * options.quietWaitMs until everything but the receiver, the injector and
 * this script uses at most options.quietCores; returns that load in cores.
 */
async function waitQuiet(options: Options, receiverPid: number, injectorPid: number): Promise<number> {
  const deadline = Date.now() + options.quietWaitMs;
  let warned = false;
  for (;;) {
    const before = cpuSnapshot(receiverPid, injectorPid);
    await sleep(1000);
    const cores = cpuBetween(before, cpuSnapshot(receiverPid, injectorPid), 1000).otherCores;
    if (cores <= options.quietCores) return cores;
    if (Date.now() > deadline) {
      log(`other processes still use ${cores.toFixed(2)} cores; measuring anyway`);
      return cores;
    }
    if (!warned) log(`other processes use ${cores.toFixed(2)} cores; waiting for a quieter moment`);
    warned = true;
    if (interrupted) return cores;
  }
}

interface Loaded {
  /** When the answer that showed every prefix arrived / when that question was sent. */
  readonly doneAt: number;
  readonly doneSentAt: number;
  readonly polls: number;
  readonly samples: [number, number][];
  readonly probe: string;
}

/**
 * Polls until every prefix is in the Loc-RIB. Receivers with a cheap count
 * (agent, BIRD, FRR) are asked for it every `pollMs`. gobgpd's counts walk
 * its whole table inside its main loop (~0.2 s per walk at 1M destinations:
 * counting every 50 ms made case a take 40 s instead of ~10 s); it is
 * asked instead whether the feed's last prefix is in its Loc-RIB (one map
 * lookup; gobgpd handles a peer's UPDATEs in order), and once it is, the
 * full count confirms it (counted again every second if it falls short).
 */
async function waitLoaded(
  receiver: Receiver,
  family: FamilyName,
  prefixes: number,
  lastPrefix: string | undefined,
  t0: number,
  options: Options,
  check: () => void,
): Promise<Loaded> {
  const samples: [number, number][] = [];
  let polls = 0;
  const hasPrefix = receiver.hasPrefix;
  let probe = hasPrefix !== undefined && lastPrefix !== undefined ? 'last-prefix' : 'count';
  for (;;) {
    const sent = monoMs();
    let value: number;
    let done: boolean;
    if (probe === 'last-prefix' && hasPrefix !== undefined && lastPrefix !== undefined) {
      done = await hasPrefix(family, lastPrefix);
      value = done ? 1 : 0;
    } else {
      value = await receiver.count(family);
      done = value >= prefixes;
    }
    const answered = monoMs();
    polls++;
    samples.push([Math.round(answered - t0), value]);
    if (done && probe === 'last-prefix') {
      const count = await receiver.count(family);
      samples.push([Math.round(monoMs() - t0), count]);
      if (count >= prefixes) return { doneAt: answered, doneSentAt: sent, polls, samples, probe };
      probe = 'last-prefix, then count';
      log(`${receiver.name}: the last prefix is in but only ${count} of ${prefixes}; counting`);
      continue;
    }
    if (done) return { doneAt: answered, doneSentAt: sent, polls, samples, probe };
    check();
    if (answered - t0 > options.timeoutMs)
      throw new Error(`not loaded after ${options.timeoutMs / 1000} s (last poll: ${value})`);
    const interval = probe === 'last-prefix, then count' ? 1000 : options.pollMs;
    await sleep(Math.max(0, interval - (monoMs() - sent)));
  }
}

async function runOne(
  caseName: CaseName,
  receiverName: ReceiverName,
  repetition: number,
  options: Options,
): Promise<RunResult> {
  const prefixes = Math.round(DEFAULT_PREFIXES[caseName] * options.scale);
  const family = CASE_FAMILY[caseName];
  const base = { case: caseName, receiver: receiverName, repetition, prefixes };
  const topology = Topology.create();
  current = topology;
  let receiver: Receiver | undefined;
  let injector: ManagedProcess | undefined;
  try {
    const injNs = await topology.addNamespace('inj');
    const rcvNs = await topology.addNamespace('rcv');
    await topology.addLink({
      a: { ns: injNs, ifname: 'eth1', ipv4: `${INJECTOR.v4}/24`, ipv6: `${INJECTOR.v6}/64` },
      b: { ns: rcvNs, ifname: 'eth1', ipv4: `${RECEIVER.v4}/24`, ipv6: `${RECEIVER.v6}/64` },
    });
    // The injector's state dir first: destroy() stops it (Cease) before the receiver.
    const injectorDir = topology.stateDir('injector');
    receiver = await startReceiver(receiverName, {
      namespace: rcvNs,
      stateDir: topology.stateDir(receiverName),
      asn: ASN,
      routerId: RECEIVER.v4,
      neighbor: INJECTOR.v4,
      holdTimeSeconds: HOLD_SECONDS,
      agentNodeArgs: options.agentNodeArgs,
    });
    injector = await startInjector({
      caseName,
      prefixes,
      local: INJECTOR,
      receiver: RECEIVER.v4,
      asn: ASN,
      holdSeconds: HOLD_SECONDS,
      namespace: injNs,
      stateDir: injectorDir,
    });
    const running = injector;
    const events = new InjectorLog(running.logFile, () => running.running());
    await events.waitFor('ready', 120_000);
    const established = await events.waitFor('established', 60_000);
    await waitReceiverEstablished(receiver, 20_000);
    await sleep(500); // let the receiver finish whatever it does at Established
    const before = await receiver.count(family);
    if (before !== 0) throw new Error(`${receiverName} has ${before} ${family} routes before the feed`);
    const quietBefore = await waitQuiet(options, receiver.pid, running.pid);
    const idle = memoryOf(receiver.pid);
    const cpuBefore = cpuSnapshot(receiver.pid, running.pid);

    process.kill(running.pid, 'SIGUSR1');
    const feedStart = await events.waitFor('feed-start', 10_000);
    const t0 = feedStart.t;
    const ready = events.find('ready');
    const lastPrefix = typeof ready?.lastPrefix === 'string' ? ready.lastPrefix : undefined;
    const check = () => {
      const fatal = events.fatal();
      if (fatal) throw new Error(`session failed during the load: ${JSON.stringify(fatal)}`);
      if (!running.running()) throw new Error('injector exited during the load');
      if (!receiver?.running()) throw new Error(`${receiverName} exited during the load`);
      if (interrupted) throw new Error('interrupted');
    };
    const load = await waitLoaded(receiver, family, prefixes, lastPrefix, t0, options, check);
    const { doneAt, doneSentAt, polls, samples } = load;
    const cpu = cpuBetween(cpuBefore, cpuSnapshot(receiver.pid, running.pid), doneAt - t0);
    const loaded = memoryOf(receiver.pid);
    log(`${caseName}/${receiverName}: ${prefixes} routes in ${((doneAt - t0) / 1000).toFixed(2)} s`);
    await sleep(options.settleMs);
    const settled = memoryOf(receiver.pid);
    const after = await receiver.count(family);
    if (after !== prefixes) throw new Error(`${after} routes after settling, expected ${prefixes}`);
    const fatal = events.fatal();
    if (fatal) throw new Error(`session failed after the load: ${JSON.stringify(fatal)}`);
    if (!(await receiver.established())) throw new Error('session no longer Established after the load');
    const written = events.find('feed-written');
    const logLines = receiverName === 'agent' ? notableAgentLines(await receiver.logText()) : [];
    return {
      ...base,
      version: receiver.version,
      ok: true,
      seconds: (doneAt - t0) / 1000,
      secondsLowerBound: (doneSentAt - t0) / 1000,
      establishedToFeedMs: Math.round(t0 - established.t),
      ...(typeof written?.ms === 'number' ? { feedWrittenMs: written.ms } : {}),
      receiverCpuSeconds: cpu.receiverSeconds,
      injectorCpuSeconds: cpu.injectorSeconds,
      otherCores: cpu.otherCores,
      backgroundCoresBefore: quietBefore,
      rssIdleKb: idle.rssKb,
      rssLoadedKb: loaded.rssKb,
      rssSettledKb: settled.rssKb,
      settleMs: options.settleMs,
      peakKb: settled.hwmKb,
      bytesPerRoute: ((settled.rssKb - idle.rssKb) * 1024) / prefixes,
      probe: load.probe,
      polls,
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
    const kept = join(options.logs, `${caseName}-${receiverName}-${repetition}`);
    try {
      cpSync(topology.dir, kept, {
        recursive: true,
        filter: (path) => {
          try {
            return !lstatSync(path).isSocket();
          } catch {
            return false;
          }
        },
      });
    } catch (e) {
      log(`could not keep the logs: ${String(e)}`);
    }
    log(`${caseName}/${receiverName}: FAILED: ${message} (logs in ${kept})`);
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

async function main(): Promise<number> {
  const options = parseOptions();
  if (!existsSync(INJECTOR_JS) || !existsSync(`${repositoryRoot()}/dist/src/daemon/main.js`))
    throw new Error('build first: npm run build (dist/bench/injector.js and bin/agent are needed)');
  if (process.getuid?.() !== 0) throw new Error('run as root (network namespaces)');
  log(`agent: ${await agentRevision()}`);
  const stale = await cleanupStaleRuns();
  if (stale.length > 0) log(`removed leftovers of crashed runs: ${stale.join(', ')}`);
  const started = monoMs();
  const results: RunResult[] = [];
  for (const caseName of options.cases) {
    for (let repetition = 1; repetition <= options.repeat; repetition++) {
      for (const receiverName of options.receivers) {
        if (interrupted) break;
        log(`${caseName}/${receiverName} (${repetition}/${options.repeat}) ...`);
        results.push(await runOne(caseName, receiverName, repetition, options));
      }
    }
  }
  const rows = summarize(results);
  const table = formatTable(rows);
  process.stdout.write(`${table}\n\n${LEGEND}\n`);
  const totalSeconds = (monoMs() - started) / 1000;
  log(`done in ${totalSeconds.toFixed(0)} s`);
  if (options.json !== undefined) {
    const report = {
      date: new Date().toISOString(),
      options: { ...options, json: undefined },
      totalSeconds,
      table: rows,
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
