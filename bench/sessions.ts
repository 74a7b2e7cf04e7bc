// Session benchmark (a script, not a timed test), two parts:
//
// 1. Time to Established: the agent (active, connect retry 1 s) against each
//    real peer listening passively in its own namespace (gobgpd, FRR, BIRD,
//    ExaBGP) and against another agent: from the agent's "agent started"
//    log line to its "-> established" line (both its own clock), i.e. TCP
//    connect, OPEN exchange and KEEPALIVE, with no timer in the way.
// 2. Memory of an idle speaker with 1 and with 100 sessions: a scripted peer
//    process (lab/scripted-peer.ts --sessions N) opens N sessions from N
//    addresses to the receiver -- the agent, gobgpd, FRR bgpd, BIRD -- which
//    has N passive neighbors; RSS once all are Established and idle for
//    --idle-seconds (default 30: V8 shrinks its young generation some 10 s
//    after start-up's allocations stop, so 5 s measured the start, not the
//    idle state), and the time until all N were up.
//
//   npm run build && node dist/bench/sessions.js [--repeat N] [--idle-seconds S] [--json PATH]

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LabAgent } from '../lab/agent.js';
import { cleanupStaleRuns, Topology } from '../lab/netns.js';
import { type AnyPeer, type PeerKind, startPeer } from '../lab/peers/index.js';
import { type ManagedProcess, startProcess } from '../lab/process.js';
import { sleep } from './lib/clock.js';
import { memoryOf } from './lib/proc.js';

const SCRIPTED_PEER = fileURLToPath(new URL('../lab/scripted-peer.js', import.meta.url));
const AGENT_ASN = 65100;
const PEER_ASN = 65200;

type Speaker = 'agent' | 'gobgp' | 'frr' | 'bird' | 'exabgp';

function log(message: string): void {
  process.stderr.write(`[sessions ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function logTime(
  entries: readonly Record<string, unknown>[],
  match: (e: Record<string, unknown>) => boolean,
) {
  const entry = entries.find(match);
  return entry === undefined ? null : Date.parse(String(entry.time));
}

/** Part 1: the agent connects to `peer` (or another agent); ms from its start to Established. */
async function timeToEstablished(peer: Speaker): Promise<number> {
  const topology = Topology.create();
  try {
    const agentNs = await topology.addNamespace('agent');
    const peerNs = await topology.addNamespace('peer');
    await topology.addLink({
      a: { ns: agentNs, ifname: 'eth1', ipv4: '10.99.0.1/24' },
      b: { ns: peerNs, ifname: 'eth1', ipv4: '10.99.0.2/24' },
    });
    let other: AnyPeer | LabAgent;
    if (peer === 'agent') {
      other = new LabAgent({
        namespace: peerNs,
        stateDir: topology.stateDir('peer'),
        config: {
          asn: PEER_ASN,
          routerId: '10.99.0.2',
          neighbors: [
            {
              address: '10.99.0.1',
              asn: AGENT_ASN,
              passive: true,
              import: 'accept-all',
              export: 'accept-all',
            },
          ],
          fib: { kernel: { enabled: false } },
        },
      });
      await other.start();
    } else {
      other = await startPeer({
        kind: peer as PeerKind,
        namespace: peerNs,
        stateDir: topology.stateDir('peer'),
        routerId: '10.99.0.2',
        asn: PEER_ASN,
        neighbors: [
          {
            address: '10.99.0.1',
            asn: AGENT_ASN,
            localAddress: '10.99.0.2',
            passive: true,
            families: ['ipv4-unicast'],
          },
        ],
      });
    }
    await sleep(1000); // the peer's listener is up
    const agent = new LabAgent({
      namespace: agentNs,
      stateDir: topology.stateDir('agent'),
      config: {
        asn: AGENT_ASN,
        routerId: '10.99.0.1',
        neighbors: [
          {
            address: '10.99.0.2',
            asn: PEER_ASN,
            connectRetrySeconds: 1,
            families: ['ipv4-unicast'],
            import: 'accept-all',
            export: 'accept-all',
          },
        ],
        fib: { kernel: { enabled: false } },
      },
    });
    await agent.start();
    await agent.waitNeighbor('10.99.0.2', 'established', 30_000);
    const entries = await agent.logEntries();
    const started = logTime(entries, (e) => e.msg === 'agent started');
    const up = logTime(entries, (e) => e.to === 'established');
    await agent.stop();
    if (other instanceof LabAgent) await other.stop();
    else await other.stop();
    if (started === null || up === null) throw new Error('no start or Established line in the agent log');
    return up - started;
  } finally {
    await topology.destroy();
  }
}

interface Idle {
  readonly rssMb: number;
  /** Scripted peer start until all sessions were Established, ms. */
  readonly allUpMs: number;
}

/** Part 2: `count` sessions into `receiver`; its RSS when idle. */
async function idleWith(
  receiver: Exclude<Speaker, 'exabgp'>,
  count: number,
  idleSeconds: number,
): Promise<Idle> {
  const topology = Topology.create();
  let scripted: ManagedProcess | undefined;
  try {
    const rcvNs = await topology.addNamespace('rcv');
    const peerNs = await topology.addNamespace('peers');
    await topology.addLink({
      a: { ns: rcvNs, ifname: 'eth1', ipv4: '10.99.0.1/16' },
      b: { ns: peerNs, ifname: 'eth1', ipv4: '10.99.1.1/16' },
    });
    const addresses = Array.from(
      { length: count },
      (_, i) => `10.99.${1 + ((1 + i) >> 8)}.${(1 + i) & 0xff}`,
    );
    for (const address of addresses.slice(1))
      await topology.execOk(peerNs, ['ip', 'addr', 'add', `${address}/16`, 'dev', 'eth1']);
    let pid: number;
    let agent: LabAgent | undefined;
    let peer: AnyPeer | undefined;
    if (receiver === 'agent') {
      agent = new LabAgent({
        namespace: rcvNs,
        stateDir: topology.stateDir('rcv'),
        config: {
          asn: AGENT_ASN,
          routerId: '10.99.0.1',
          neighbors: addresses.map((address) => ({
            address,
            asn: PEER_ASN,
            passive: true,
            families: ['ipv4-unicast'],
            import: 'accept-all',
            export: 'accept-all',
          })),
          fib: { kernel: { enabled: false } },
        },
      });
      await agent.start();
      pid = agent.pid as number;
    } else {
      peer = await startPeer({
        kind: receiver,
        namespace: rcvNs,
        stateDir: topology.stateDir('rcv'),
        routerId: '10.99.0.1',
        asn: AGENT_ASN,
        neighbors: addresses.map((address) => ({
          address,
          asn: PEER_ASN,
          localAddress: '10.99.0.1',
          passive: true,
          families: ['ipv4-unicast'],
        })),
      });
      const pids = peer.pids();
      const main = pids.find((p) => {
        const comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
        return comm === 'bgpd' || comm === 'bird' || comm === 'gobgpd';
      });
      pid = main ?? (pids[0] as number);
    }
    await sleep(1000);
    const started = Date.now();
    scripted = await startProcess({
      name: 'peers',
      argv: [
        process.execPath,
        SCRIPTED_PEER,
        '--connect',
        '10.99.0.1',
        '--local',
        addresses[0] as string,
        '--asn',
        String(PEER_ASN),
        '--peer-asn',
        String(AGENT_ASN),
        '--sessions',
        String(count),
        '--hold',
        '90',
      ],
      stateDir: topology.stateDir('peers'),
      namespace: peerNs,
    });
    const logFile = scripted.logFile;
    const deadline = Date.now() + 120_000;
    let up = 0;
    for (;;) {
      up = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes('"event":"established"')).length;
      if (up >= count) break;
      if (Date.now() > deadline) throw new Error(`${receiver}: ${up} of ${count} sessions up after 120 s`);
      await sleep(50);
    }
    const allUpMs = Date.now() - started;
    await sleep(idleSeconds * 1000);
    const rssMb = memoryOf(pid).rssKb / 1024;
    await scripted.stop();
    await agent?.stop();
    await peer?.stop();
    return { rssMb, allUpMs };
  } finally {
    await scripted?.stop().catch(() => undefined);
    await topology.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      repeat: { type: 'string', default: '3' },
      'idle-seconds': { type: 'string', default: '30' },
      json: { type: 'string' },
    },
    strict: true,
  });
  const repeat = Number(values.repeat);
  const idleSeconds = Number(values['idle-seconds']);
  if (!Number.isFinite(idleSeconds) || idleSeconds < 0)
    throw new Error('--idle-seconds: a number of seconds');
  await cleanupStaleRuns();
  const peers: Speaker[] = ['agent', 'gobgp', 'frr', 'bird', 'exabgp'];
  const established = new Map<Speaker, number[]>();
  for (let r = 0; r < repeat; r++) {
    for (const peer of peers) {
      const ms = await timeToEstablished(peer);
      log(`agent -> ${peer}: Established in ${ms} ms`);
      established.set(peer, [...(established.get(peer) ?? []), ms]);
    }
  }
  const receivers: Exclude<Speaker, 'exabgp'>[] = ['agent', 'gobgp', 'frr', 'bird'];
  const idle = new Map<string, Idle[]>();
  for (const receiver of receivers) {
    for (const count of [1, 100]) {
      const result = await idleWith(receiver, count, idleSeconds);
      log(
        `${receiver} with ${count} sessions: ${result.rssMb.toFixed(1)} MB, all up in ${result.allUpMs} ms`,
      );
      idle.set(`${receiver}/${count}`, [...(idle.get(`${receiver}/${count}`) ?? []), result]);
    }
  }
  const lines = [
    'time to Established, the agent connecting (median ms; agent start -> Established, its own log clock)',
    ...peers.map(
      (peer) => `  ${`to ${peer}`.padEnd(12)} ${String(median(established.get(peer) ?? []))?.padStart(6)}`,
    ),
    '',
    'idle speaker with N passive sessions from one scripted peer process: RSS (MB) and time until all were up (ms)',
    `  ${'receiver'.padEnd(10)} ${'1 session'.padStart(10)} ${'100 sessions'.padStart(13)} ${'MB/session'.padStart(11)} ${'100 up in'.padStart(10)}`,
    ...receivers.map((receiver) => {
      const one = idle.get(`${receiver}/1`)?.[0];
      const hundred = idle.get(`${receiver}/100`)?.[0];
      const per = one !== undefined && hundred !== undefined ? (hundred.rssMb - one.rssMb) / 99 : null;
      return `  ${receiver.padEnd(10)} ${one?.rssMb.toFixed(1).padStart(10)} ${hundred?.rssMb.toFixed(1).padStart(13)} ${per?.toFixed(2).padStart(11)} ${String(hundred?.allUpMs).padStart(10)}`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json !== undefined)
    writeFileSync(
      values.json,
      `${JSON.stringify({ established: Object.fromEntries(established), idle: Object.fromEntries(idle) }, null, 2)}\n`,
    );
}

await main();
