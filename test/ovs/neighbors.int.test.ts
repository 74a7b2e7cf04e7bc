// NetlinkNeighborResolver in a namespace: a next hop not yet in the
// neighbour table is resolved (the kernel ARPs because we send it a
// datagram), a missing one is null after the timeout, and a next hop whose
// MAC changes is reported to subscribers.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology } from '../../lab/netns.js';

const helper = fileURLToPath(new URL('helpers/resolve-neighbors.ts', import.meta.url));

let topo: Topology;
let a: string;
let b: string;

beforeAll(async () => {
  topo = Topology.create();
  a = await topo.addNamespace('a');
  b = await topo.addNamespace('b');
  await topo.addLink({
    a: { ns: a, ifname: 'eth1', ipv4: '10.0.0.1/24', ipv6: 'fd00:9::1/64' },
    b: { ns: b, ifname: 'eth1', ipv4: '10.0.0.2/24', ipv6: 'fd00:9::2/64' },
  });
});

afterAll(async () => {
  await topo?.destroy();
});

/** Runs the helper in namespace `ns`; `onReady` runs once it prints {"ready":true}. */
function resolveIn(
  ns: string,
  args: string[],
  onReady?: () => Promise<void>,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', helper, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (onReady && out.includes('{"ready":true}')) {
        const ready = onReady;
        onReady = undefined;
        ready().catch(reject);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`helper exited ${code}: ${err}`));
      else resolve(JSON.parse(last) as Record<string, unknown>);
    });
  });
}

async function macOf(ns: string): Promise<string> {
  const out = await topo.execOk(ns, ['cat', '/sys/class/net/eth1/address']);
  return out.trim();
}

describe('NetlinkNeighborResolver', () => {
  it('resolves IPv4 and IPv6 next hops that are not in the table yet; an absent one is null', async () => {
    const result = await resolveIn(a, ['10.0.0.2', 'fd00:9::2', '10.0.0.99']);
    const mac = await macOf(b);
    expect(result.macs).toEqual({ '10.0.0.2': mac, 'fd00:9::2': mac, '10.0.0.99': null });
    const table = await topo.execOk(a, ['ip', 'neigh', 'show', '10.0.0.2']);
    expect(table).toContain(mac);
  });

  it('reports a next hop whose MAC changed', async () => {
    const result = await resolveIn(a, ['10.0.0.2', '--watch', '2500'], async () => {
      await topo.execOk(b, ['ip', 'link', 'set', 'dev', 'eth1', 'address', '02:00:00:00:0b:0b']);
      // The new MAC reaches the table when b next speaks: a gratuitous ping from b.
      await topo.exec(b, ['ping', '-c', '1', '-W', '1', '10.0.0.1']);
    });
    expect(result.changed).toContain('10.0.0.2');
    expect(result.macs).toEqual({ '10.0.0.2': '02:00:00:00:0b:0b' });
  });
});
