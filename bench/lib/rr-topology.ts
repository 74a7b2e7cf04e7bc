// The route-reflector set-up shared by bench/fanout.ts and bench/churn.ts:
// three fresh namespaces per load,
//
//   inj  10.79.0.1/24 eth1 ---- eth1 10.79.0.2/24  rcv  eth2 10.80.0.1/16 ---- eth1 10.80.1.1/16 (+1, +2, ...)  cli
//        injector                                  receiver (route reflector)                 counting clients
//
// the injector (bench/injector.ts) a non-client iBGP peer, the clients (one
// bench/counting-peer.ts process, one session per address) route-reflector
// clients of the receiver, all in AS 64512. Everything runs from saved PIDs
// in the topology's state dirs, so Topology.destroy() removes it all.

import { cpSync, lstatSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Topology } from '../../lab/netns.js';
import { type ManagedProcess, startProcess } from '../../lab/process.js';
import { formatIpv4, parseIpv4 } from '../../src/net/ip.js';
import { sleep } from './clock.js';
import type { JsonLinesTail } from './jsonl.js';

export const ASN = 64512;
export const INJECTOR = { v4: '10.79.0.1', v6: 'fd79::1' } as const;
export const RECEIVER = { v4: '10.79.0.2', v6: 'fd79::2' } as const;
/** The receiver's address on the clients' link. */
export const RECEIVER_CLIENT_SIDE = '10.80.0.1';
const FIRST_CLIENT = '10.80.1.1';
export const COUNTING_PEER_JS = fileURLToPath(new URL('../counting-peer.js', import.meta.url));

/** The clients' addresses: 10.80.1.1 and the count-1 after it. */
export function clientAddresses(count: number): string[] {
  const first = parseIpv4(FIRST_CLIENT) as number;
  return Array.from({ length: count }, (_, i) => formatIpv4((first + i) >>> 0));
}

export interface RrNamespaces {
  readonly injector: string;
  readonly receiver: string;
  readonly clients: string;
}

/** Creates the three namespaces, both links, and every client address. */
export async function buildRrTopology(topology: Topology, clients: number): Promise<RrNamespaces> {
  const injector = await topology.addNamespace('inj');
  const receiver = await topology.addNamespace('rcv');
  const clientNs = await topology.addNamespace('cli');
  await topology.addLink({
    a: { ns: injector, ifname: 'eth1', ipv4: `${INJECTOR.v4}/24`, ipv6: `${INJECTOR.v6}/64` },
    b: { ns: receiver, ifname: 'eth1', ipv4: `${RECEIVER.v4}/24`, ipv6: `${RECEIVER.v6}/64` },
  });
  const addresses = clientAddresses(Math.max(1, clients));
  await topology.addLink({
    a: { ns: receiver, ifname: 'eth2', ipv4: `${RECEIVER_CLIENT_SIDE}/16` },
    b: { ns: clientNs, ifname: 'eth1', ipv4: `${addresses[0]}/16` },
  });
  if (addresses.length > 1) {
    // One `ip -batch` for all of them: 50 `ip netns exec` take a while.
    const batch = addresses
      .slice(1)
      .map((a) => `addr add ${a}/16 dev eth1`)
      .join('\n');
    await topology.execOk(clientNs, ['ip', '-batch', '-'], { input: `${batch}\n` });
  }
  return { injector, receiver, clients: clientNs };
}

export interface ClientOptions {
  readonly namespace: string;
  readonly stateDir: string;
  readonly count: number;
  readonly holdSeconds: number;
  /** bench/lib/nlri-count.ts range, e.g. '16.0.0.0/24x1000000'. */
  readonly track: string;
  /** Tracked prefixes a session must hold to be "complete" (0: never). */
  readonly expect: number;
}

export function startClients(options: ClientOptions): Promise<ManagedProcess> {
  const first = clientAddresses(1)[0] as string;
  return startProcess({
    name: 'clients',
    argv: [
      process.execPath,
      COUNTING_PEER_JS,
      ...['--connect', RECEIVER_CLIENT_SIDE, '--local', first, '--sessions', String(options.count)],
      ...['--asn', String(ASN), '--hold', String(options.holdSeconds)],
      ...['--track', options.track, '--expect', String(options.expect)],
    ],
    stateDir: options.stateDir,
    namespace: options.namespace,
  });
}

/** Events of the clients' report that mean a session is gone or the process failed. */
export const CLIENT_FATAL = new Set(['error', 'closed', 'notification-received']);

/** Waits until `count` sessions reported Established; throws on a fatal event, exit or timeout. */
export async function waitClientsEstablished(
  tail: JsonLinesTail,
  process: ManagedProcess,
  count: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    tail.read();
    const up = new Set(tail.all('established').map((e) => e.session)).size;
    if (up >= count) return;
    const fatal = tail.events.find((e) => CLIENT_FATAL.has(e.event));
    if (fatal) throw new Error(`clients: ${JSON.stringify(fatal)}`);
    if (!process.running()) throw new Error(`clients exited: ${tail.other.slice(-5).join(' | ')}`);
    if (Date.now() > deadline) throw new Error(`clients: ${up} of ${count} sessions Established`);
    await sleep(100);
  }
}

/** Waits for the next event `name` after `fromIndex` in `tail`. */
export async function waitEvent(
  tail: JsonLinesTail,
  name: string,
  timeoutMs: number,
  fromIndex = 0,
): Promise<Record<string, unknown> & { t: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    tail.read();
    for (let i = fromIndex; i < tail.events.length; i++) {
      const e = tail.events[i];
      if (e?.event === name) return e;
    }
    if (Date.now() > deadline) throw new Error(`no "${name}" within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Copies a failed load's configs and logs (not its sockets) to `destination`. */
export function keepLogs(topology: Topology, destination: string, log: (m: string) => void): void {
  try {
    cpSync(topology.dir, destination, {
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
}
