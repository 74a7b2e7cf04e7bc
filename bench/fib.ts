// FIB benchmark (a script, not a timed test): 1,000,000 IPv4 routes from a
// real BGP session into a namespace's kernel table, end to end (RIB + FIB):
// the injector (bench/injector.ts, case a: 1M /24s in 16 attribute sets,
// next hop the injector's directly connected address) feeds the receiver
// over a veth; the time runs from the feed's start until the receiver's
// namespace has every route in its kernel table. Receivers: our agent
// (kernel writer over netlink), BIRD 2 (kernel protocol), FRR (bgpd +
// zebra), and the reference: raw batched netlink (bench/netlink-raw.ts, the
// same routes written by a bare netlink writer with no BGP at all).
//
//   npm run build && node dist/bench/fib.js [--only agent,bird,frr,raw] [--repeat N]
//        [--prefixes N] [--json PATH] [--poll-ms MS] [--timeout S]
//
// The kernel's route count is read from /proc/<pid>/net/fib_triestat of a
// process in the receiver's namespace (the IPv4 trie's Main table prefixes,
// minus what was there before the feed). A read walks the trie in the
// kernel (about 60 ms at 1M routes), so it is polled every 200 ms by
// default: the same cost and resolution for every receiver. One load at a
// time, each in fresh namespaces removed by saved PID.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanupStaleRuns, execOk, Topology } from '../lab/netns.js';
import type { ManagedProcess } from '../lab/process.js';
import { monoMs, sleep } from './lib/clock.js';
import { machineBusyTicks, processTicks, TICKS_PER_SECOND } from './lib/cpu.js';
import { InjectorLog } from './lib/events.js';
import { startInjector, waitReceiverEstablished } from './lib/injector-process.js';
import { memoryOf } from './lib/proc.js';
import { type Receiver, type ReceiverName, startReceiver } from './lib/receivers.js';

type FibReceiver = Exclude<ReceiverName, 'gobgp'> | 'raw';
const FIB_RECEIVERS: readonly FibReceiver[] = ['agent', 'bird', 'frr', 'raw'];
const ASN = 64512;
const INJECTOR = { v4: '10.78.0.1', v6: 'fd78::1' };
const RECEIVER = { v4: '10.78.0.2', v6: 'fd78::2' };
const RAW_JS = fileURLToPath(new URL('./netlink-raw.js', import.meta.url));

interface Options {
  readonly receivers: readonly FibReceiver[];
  readonly repeat: number;
  readonly prefixes: number;
  readonly json: string | undefined;
  readonly pollMs: number;
  readonly timeoutMs: number;
  readonly agentNodeArgs: readonly string[];
  readonly settleMs: number;
}

interface FibResult {
  readonly receiver: FibReceiver;
  readonly repetition: number;
  readonly version: string;
  readonly ok: boolean;
  readonly error?: string;
  /** Feed start until every route was in the kernel, s. */
  readonly seconds?: number;
  /** CPU seconds of the measured process (agent, bird, bgpd + zebra; raw: the writer). */
  readonly cpuSeconds?: number;
  /** Cores' worth of CPU the rest of the machine used meanwhile. */
  readonly otherCores?: number;
  /** RSS when the last route was in the kernel, MB. */
  readonly rssMb?: number;
  /** RSS `settleMs` later, the load's garbage collected, MB. */
  readonly settledRssMb?: number;
}

function log(message: string): void {
  process.stderr.write(`[fib ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      prefixes: { type: 'string', default: '1000000' },
      json: { type: 'string' },
      'poll-ms': { type: 'string', default: '200' },
      timeout: { type: 'string', default: '300' },
      'agent-node-args': { type: 'string' },
      'settle-s': { type: 'string', default: '10' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: node dist/bench/fib.js [--only agent,bird,frr,raw] [--repeat N] [--prefixes N] [--json PATH] [--poll-ms MS] [--timeout S] [--settle-s S]\n' +
        "  --agent-node-args=ARGS  node options for the agent, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'\n",
    );
    process.exit(0);
  }
  const receivers = (values.only?.split(',') ?? [...FIB_RECEIVERS]).map((r) => r.trim());
  for (const r of receivers) {
    if (!FIB_RECEIVERS.includes(r as FibReceiver))
      throw new Error(`--only: "${r}" is not one of ${FIB_RECEIVERS.join(', ')}`);
  }
  return {
    receivers: FIB_RECEIVERS.filter((r) => receivers.includes(r)),
    repeat: Number(values.repeat),
    prefixes: Number(values.prefixes),
    json: values.json,
    pollMs: Number(values['poll-ms']),
    timeoutMs: Number(values.timeout) * 1000,
    agentNodeArgs: (values['agent-node-args'] ?? '').split(/\s+/).filter((a) => a !== ''),
    settleMs: Number(values['settle-s']) * 1000,
  };
}

/** IPv4 prefixes in the Main table of the network namespace `pid` is in. */
export function kernelPrefixes(pid: number): number {
  const text = readFileSync(`/proc/${pid}/net/fib_triestat`, 'utf8');
  const main = text.indexOf('Main:');
  if (main < 0) return 0;
  const match = /Prefixes:\s+(\d+)/.exec(text.slice(main));
  return match === null ? 0 : Number(match[1]);
}

/** CPU ticks: the receiver's processes (FRR's zebra does the installing), the injector, and everything. */
function ticks(pids: readonly number[], injectorPid: number) {
  return {
    receiver: pids.reduce((sum, pid) => sum + processTicks(pid), 0),
    injector: processTicks(injectorPid),
    harness: processTicks('self', true),
    machine: machineBusyTicks(),
  };
}

async function waitKernel(
  pid: number,
  target: number,
  t0: number,
  options: Options,
  check: () => void,
): Promise<number> {
  for (;;) {
    const sent = monoMs();
    if (kernelPrefixes(pid) >= target) return monoMs();
    check();
    if (monoMs() - t0 > options.timeoutMs)
      throw new Error(`not in the kernel after ${options.timeoutMs / 1000} s`);
    await sleep(Math.max(0, options.pollMs - (monoMs() - sent)));
  }
}

async function runRaw(repetition: number, options: Options): Promise<FibResult> {
  const topology = Topology.create();
  try {
    const ns = await topology.addNamespace('raw');
    const peer = await topology.addNamespace('gw');
    await topology.addLink({
      a: { ns: peer, ifname: 'eth1', ipv4: `${INJECTOR.v4}/24` },
      b: { ns, ifname: 'eth1', ipv4: `${RECEIVER.v4}/24` },
    });
    const out = await execOk(ns, [
      process.execPath,
      RAW_JS,
      '--routes',
      String(options.prefixes),
      '--gateway',
      INJECTOR.v4,
    ]);
    const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { ms: number; errors: number };
    if (result.errors > 0) throw new Error(`${result.errors} routes refused`);
    log(`raw: ${options.prefixes} routes in ${(result.ms / 1000).toFixed(2)} s`);
    return {
      receiver: 'raw',
      repetition,
      version: `netlink, ${options.prefixes} routes, 1024/sendmsg`,
      ok: true,
      seconds: result.ms / 1000,
    };
  } catch (error) {
    return { receiver: 'raw', repetition, version: 'netlink', ok: false, error: String(error) };
  } finally {
    await topology.destroy();
  }
}

async function runReceiver(
  name: Exclude<FibReceiver, 'raw'>,
  repetition: number,
  options: Options,
): Promise<FibResult> {
  const topology = Topology.create();
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
    receiver = await startReceiver(name, {
      namespace: rcvNs,
      stateDir: topology.stateDir(name),
      asn: ASN,
      routerId: RECEIVER.v4,
      neighbor: INJECTOR.v4,
      holdTimeSeconds: 90,
      installFib: true,
      agentNodeArgs: options.agentNodeArgs,
    });
    injector = await startInjector({
      caseName: 'a',
      prefixes: options.prefixes,
      local: INJECTOR,
      receiver: RECEIVER.v4,
      asn: ASN,
      holdSeconds: 90,
      namespace: injNs,
      stateDir: injectorDir,
    });
    const running = injector;
    const events = new InjectorLog(running.logFile, () => running.running());
    await events.waitFor('ready', 120_000);
    await events.waitFor('established', 60_000);
    await waitReceiverEstablished(receiver, 20_000);
    await sleep(1000);
    const pids = receiver.processes?.() ?? [receiver.pid];
    const baseline = kernelPrefixes(receiver.pid);
    const before = ticks(pids, running.pid);
    process.kill(running.pid, 'SIGUSR1');
    const t0 = (await events.waitFor('feed-start', 10_000)).t;
    const live = receiver;
    const doneAt = await waitKernel(receiver.pid, baseline + options.prefixes, t0, options, () => {
      const fatal = events.fatal();
      if (fatal) throw new Error(`session failed during the load: ${JSON.stringify(fatal)}`);
      if (!live.running()) throw new Error(`${name} exited during the load`);
    });
    const wallMs = doneAt - t0;
    const after = ticks(pids, running.pid);
    const cpuSeconds = (after.receiver - before.receiver) / TICKS_PER_SECOND;
    const otherTicks =
      after.machine -
      before.machine -
      (after.receiver - before.receiver) -
      (after.injector - before.injector) -
      (after.harness - before.harness);
    const other = Math.max(0, otherTicks / TICKS_PER_SECOND / (wallMs / 1000));
    log(`${name}: ${options.prefixes} routes in the kernel in ${(wallMs / 1000).toFixed(2)} s`);
    const rssMb = memoryOf(receiver.pid).rssKb / 1024;
    // What holding the table costs, once the load's garbage is collected:
    // a collector frees it some seconds after the allocation stops.
    await sleep(options.settleMs);
    if (!live.running()) throw new Error(`${name} exited after the load`);
    return {
      receiver: name,
      repetition,
      version: receiver.version,
      ok: true,
      seconds: wallMs / 1000,
      cpuSeconds,
      otherCores: other,
      rssMb,
      settledRssMb: memoryOf(receiver.pid).rssKb / 1024,
    };
  } catch (error) {
    const text = receiver === undefined ? '' : (await receiver.logText().catch(() => '')).slice(-2000);
    log(`${name}: FAILED: ${String(error)}\n${text}`);
    return {
      receiver: name,
      repetition,
      version: receiver?.version ?? name,
      ok: false,
      error: String(error),
    };
  } finally {
    await topology.destroy().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  }
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function table(results: readonly FibResult[], options: Options): string {
  const rows = options.receivers.map((name) => {
    const ok = results.filter((r) => r.receiver === name && r.ok);
    return {
      name,
      version: results.find((r) => r.receiver === name)?.version ?? name,
      seconds: median(ok.map((r) => r.seconds ?? 0)),
      cpu: median(ok.flatMap((r) => (r.cpuSeconds === undefined ? [] : [r.cpuSeconds]))),
      rss: median(ok.flatMap((r) => (r.rssMb === undefined ? [] : [r.rssMb]))),
      settled: median(ok.flatMap((r) => (r.settledRssMb === undefined ? [] : [r.settledRssMb]))),
      other: median(ok.flatMap((r) => (r.otherCores === undefined ? [] : [r.otherCores]))),
      runs: ok.length,
      failures: results.filter((r) => r.receiver === name && !r.ok).length,
    };
  });
  const raw = rows.find((r) => r.name === 'raw')?.seconds ?? null;
  const bird = rows.find((r) => r.name === 'bird')?.seconds ?? null;
  const header = [
    'receiver',
    'seconds',
    'x raw',
    'x BIRD',
    'CPU s',
    'RSS MB',
    'settled',
    'other load',
    'runs',
    'failed',
    'version',
  ];
  const lines = rows.map((r) => [
    r.name,
    r.seconds?.toFixed(2) ?? '-',
    r.seconds !== null && raw !== null ? (r.seconds / raw).toFixed(2) : '-',
    r.seconds !== null && bird !== null ? (r.seconds / bird).toFixed(2) : '-',
    r.cpu?.toFixed(2) ?? '-',
    r.rss?.toFixed(0) ?? '-',
    r.settled?.toFixed(0) ?? '-',
    r.other?.toFixed(2) ?? '-',
    String(r.runs),
    String(r.failures),
    r.version,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    format(header),
    ...lines.map(format),
    '',
    `seconds: feed start until all ${options.prefixes} routes were in the receiver's kernel table (fib_triestat, polled every ${options.pollMs} ms);`,
    '         raw: a bare netlink writer, first sendmsg until the kernel acknowledged the last batch',
    `RSS MB: when the last route was in the kernel; settled: ${options.settleMs / 1000} s later, the load's garbage collected`,
    "CPU s: the receiver's CPU time meanwhile (FRR: bgpd + zebra); other load: cores used by everything else",
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions();
  await cleanupStaleRuns();
  const results: FibResult[] = [];
  for (let repetition = 1; repetition <= options.repeat; repetition++) {
    for (const name of options.receivers) {
      log(`${name} (${repetition}/${options.repeat}) ...`);
      results.push(
        name === 'raw' ? await runRaw(repetition, options) : await runReceiver(name, repetition, options),
      );
    }
  }
  const text = table(results, options);
  process.stdout.write(`${text}\n`);
  if (options.json !== undefined)
    writeFileSync(options.json, `${JSON.stringify({ results, table: text }, null, 2)}\n`);
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

await main();
