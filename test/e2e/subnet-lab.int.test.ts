// The three-node subnet lab (lab/subnet-lab.ts) end to end, real kernel and
// real agents: node1 and node2 share a subnet, node3 is behind a router that
// drops pod traffic. Same-subnet pod traffic goes over plain routes (the
// VXLAN device's counters do not move); cross-subnet traffic is
// encapsulated (they move by the packets sent); the largest unfragmented
// ping crosses the overlay and one octet more does not; a hand-deleted fdb
// entry, neighbour entry, route or the device itself comes back; a clean
// stop without Graceful Restart and `agent --cleanup` leave nothing.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_BIN } from '../../lab/agent.js';
import { Lab } from '../../lab/lab.js';
import { execOk, listNamespaces, run } from '../../lab/netns.js';
import { isAlive, savedPids } from '../../lab/process.js';
import { OVERLAY_DEVICE, SubnetLab, type SubnetNode } from '../../lab/subnet-lab.js';
import { eventually } from '../interop/helpers.js';

const lab = new SubnetLab({
  prefix: `s${randomBytes(2).toString('hex')}-`,
  state: mkdtempSync(join(tmpdir(), 'agent-subnet-lab-')),
  holdTimeSeconds: 3,
});

afterAll(async () => {
  await Lab.down(lab.options.state);
  expect(listNamespaces().filter((ns) => ns.startsWith(lab.options.prefix))).toEqual([]);
});

/** node3's VTEP MAC as every other node derives it (02:ba + 192.168.2.103). */
const NODE3_MAC = '02:ba:c0:a8:02:67';

async function fdb(n: SubnetNode): Promise<string> {
  return (await execOk(lab.node(n), ['bridge', 'fdb', 'show', 'dev', OVERLAY_DEVICE])).trim();
}

async function deviceExists(n: SubnetNode): Promise<boolean> {
  return (await run(['ip', '-n', lab.node(n), 'link', 'show', OVERLAY_DEVICE])).code === 0;
}

async function ownedRoutes(n: SubnetNode): Promise<string> {
  return (await execOk(lab.node(n), ['ip', 'route', 'show', 'proto', 'bgp'])).trim();
}

describe('three nodes in two subnets, cross-subnet VXLAN overlay', () => {
  it('same-subnet pods route plainly, the third subnet through agent.vxlan, and all pods ping', async () => {
    await lab.up();
    await lab.waitEstablished();
    await lab.waitRoutes();
    expect(await lab.route(1, 2)).toBe('10.233.2.0/24 via 192.168.1.102 dev eth1 proto bgp metric 20');
    expect(await lab.route(1, 3)).toBe(
      '10.233.3.0/24 via 192.168.2.103 dev agent.vxlan proto bgp metric 20 onlink',
    );
    // node2 learned node3's route from the reflector: the next hop is node3's, not node1's.
    expect(await lab.route(2, 3)).toBe(
      '10.233.3.0/24 via 192.168.2.103 dev agent.vxlan proto bgp metric 20 onlink',
    );
    expect(await lab.route(3, 2)).toBe(
      '10.233.2.0/24 via 192.168.1.102 dev agent.vxlan proto bgp metric 20 onlink',
    );
    expect(await fdb(1)).toBe(`${NODE3_MAC} dst 192.168.2.103 self permanent`);
    const neighbours = await execOk(lab.node(1), ['ip', 'neigh', 'show', 'dev', OVERLAY_DEVICE]);
    expect(neighbours.trim()).toBe(`192.168.2.103 lladdr ${NODE3_MAC} PERMANENT`);
    const link = await execOk(lab.node(1), ['ip', '-d', 'link', 'show', OVERLAY_DEVICE]);
    expect(link).toContain('mtu 1450');
    expect(link).toContain('vxlan id 42 local 192.168.1.101');
    expect(link).toContain('dstport 4789 nolearning');
    for (const [from, to] of [
      [1, 2],
      [2, 1],
      [1, 3],
      [3, 1],
      [2, 3],
      [3, 2],
    ] as const)
      expect(await lab.ping(from, to, 2), `pod${from} -> pod${to}`).toMatchObject({ sent: 2, received: 2 });
  }, 90_000);

  it('same-subnet traffic is not encapsulated; cross-subnet traffic is, one packet each', async () => {
    const before1 = await lab.counters(1);
    const before3 = await lab.counters(3);
    expect(await lab.ping(1, 2, 10)).toMatchObject({ received: 10 });
    const between = await lab.counters(1);
    expect(between).toEqual(before1);
    expect(await lab.ping(1, 3, 10)).toMatchObject({ received: 10 });
    const after1 = await lab.counters(1);
    const after3 = await lab.counters(3);
    // Ten echo requests out through node1's device and ten replies in; node3 the mirror image.
    expect((after1?.txPackets ?? 0) - (before1?.txPackets ?? 0)).toBe(10);
    expect((after1?.rxPackets ?? 0) - (before1?.rxPackets ?? 0)).toBe(10);
    expect((after3?.rxPackets ?? 0) - (before3?.rxPackets ?? 0)).toBe(10);
    // And the router saw no pod address: it would have dropped it.
    const dropped = await execOk(lab.router, ['nft', 'list', 'counter', 'inet', 'lab', 'pods']);
    expect(dropped).toContain('packets 0 bytes 0');
  }, 60_000);

  it('the largest unfragmented ping crosses the overlay (1450 - 28 = 1422 octets); one more does not', async () => {
    expect(await lab.ping(1, 3, 2, ['-M', 'do', '-s', '1422'])).toMatchObject({ sent: 2, received: 2 });
    expect((await lab.ping(1, 3, 2, ['-M', 'do', '-s', '1423'])).received).toBe(0);
    // Same subnet: the full 1500 (1472 octets of payload).
    expect(await lab.ping(1, 2, 2, ['-M', 'do', '-s', '1472'])).toMatchObject({ sent: 2, received: 2 });
  }, 60_000);

  it('a hand-deleted fdb entry, neighbour entry and route come back', async () => {
    await execOk(lab.node(1), [
      'bridge',
      'fdb',
      'del',
      NODE3_MAC,
      'dev',
      OVERLAY_DEVICE,
      'dst',
      '192.168.2.103',
      'self',
    ]);
    await eventually('fdb entry back', async () => ((await fdb(1)) !== '' ? true : undefined), 5_000, 20);
    await execOk(lab.node(1), ['ip', 'neigh', 'del', '192.168.2.103', 'dev', OVERLAY_DEVICE]);
    await eventually(
      'neighbour back',
      async () => {
        const text = await execOk(lab.node(1), ['ip', 'neigh', 'show', 'dev', OVERLAY_DEVICE]);
        return text.includes('PERMANENT') ? true : undefined;
      },
      5_000,
      20,
    );
    await execOk(lab.node(1), ['ip', 'route', 'del', '10.233.3.0/24']);
    await eventually(
      'route back',
      async () => ((await lab.route(1, 3)) !== '' ? true : undefined),
      5_000,
      20,
    );
    expect(await lab.ping(1, 3, 2)).toMatchObject({ received: 2 });
  }, 60_000);

  it('a hand-deleted device comes back with its entries and routes', async () => {
    await execOk(lab.node(1), ['ip', 'link', 'del', OVERLAY_DEVICE]);
    await eventually(
      'route through a new device',
      async () => ((await lab.route(1, 3)).includes('dev agent.vxlan') ? true : undefined),
      10_000,
      50,
    );
    await eventually('fdb back', async () => ((await fdb(1)) !== '' ? true : undefined), 5_000, 50);
    expect(await lab.ping(1, 3, 2)).toMatchObject({ received: 2 });
  }, 60_000);

  it('a clean stop without Graceful Restart (node3) leaves no route and no device', async () => {
    const pid = savedPids(lab.stateDir(3)).find((p) => p.name === 'agent')?.pid as number;
    process.kill(pid, 'SIGTERM');
    await eventually('agent gone', async () => (isAlive(pid) ? undefined : true), 10_000, 50);
    expect(await ownedRoutes(3)).toBe('');
    expect(await deviceExists(3)).toBe(false);
  }, 30_000);

  it('agent --cleanup after SIGKILL (node2) leaves no route and no device', async () => {
    const pid = savedPids(lab.stateDir(2)).find((p) => p.name === 'agent')?.pid as number;
    process.kill(pid, 'SIGKILL');
    await eventually('agent gone', async () => (isAlive(pid) ? undefined : true), 10_000, 50);
    expect(await ownedRoutes(2)).not.toBe('');
    expect(await deviceExists(2)).toBe(true);
    const result = await run([
      'ip',
      'netns',
      'exec',
      lab.node(2),
      'node',
      AGENT_BIN,
      '--config',
      lab.configPath(2),
      '--cleanup',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(await ownedRoutes(2)).toBe('');
    expect(await deviceExists(2)).toBe(false);
  }, 30_000);
});
