// Wire fuzzing over live sessions, bounded for CI: lab/fuzz-peer.ts sends the
// agent mutated OPENs and UPDATEs for a fixed budget, reconnecting after
// every reset. Meanwhile FRR holds a session with the agent and a scripted
// sink (4096-octet messages, our own strict decoder) takes everything the
// fuzzer's accepted routes become. Afterwards the daemon is alive, FRR's
// session never flapped, the sink never saw an undecodable message, and the
// last-resort handler never fired (it would mean a bug was hit).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabAgent } from '../../lab/agent.js';
import { cleanupStaleRuns, Topology } from '../../lab/netns.js';
import { type FrrPeer, startPeer } from '../../lab/peers/index.js';
import { type ManagedProcess, startProcess } from '../../lab/process.js';
import { eventually } from './helpers.js';

const AGENT_ASN = 65100;
const FUZZ_SECONDS = Number(process.env.FUZZ_SECONDS ?? 20);
const FUZZ_PEER = join(import.meta.dirname, '../../dist/lab/fuzz-peer.js');
const SCRIPTED_PEER = join(import.meta.dirname, '../../dist/lab/scripted-peer.js');
const address = (net: number, host: number) => `10.97.${net}.${host}`;

const topology = Topology.create();
let agent: LabAgent | undefined;
let frr: FrrPeer | undefined;
const processes: ManagedProcess[] = [];

beforeAll(async () => {
  await cleanupStaleRuns();
});

afterAll(async () => {
  for (const child of processes) await child.stop().catch(() => undefined);
  await agent?.stop().catch(() => undefined);
  await frr?.stop().catch(() => undefined);
  await topology.destroy();
});

function events(child: ManagedProcess): Record<string, unknown>[] {
  return readFileSync(child.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('wire fuzz over a live session', () => {
  it(`${FUZZ_SECONDS} s of mutated OPENs and UPDATEs: the daemon lives, the other sessions stay Established`, async () => {
    const agentNs = await topology.addNamespace('agent');
    const spaces: Record<string, string> = {};
    for (const [i, name] of ['fuzz', 'frr', 'sink'].entries()) {
      const ns = await topology.addNamespace(name);
      spaces[name] = ns;
      await topology.addLink({
        a: {
          ns: agentNs,
          ifname: `eth${i + 1}`,
          ipv4: `${address(i + 1, 1)}/24`,
          ipv6: `fd00:97:${i + 1}::1/64`,
        },
        b: { ns, ifname: 'eth1', ipv4: `${address(i + 1, 2)}/24`, ipv6: `fd00:97:${i + 1}::2/64` },
      });
    }
    frr = (await startPeer({
      kind: 'frr',
      namespace: spaces.frr as string,
      stateDir: topology.stateDir('frr'),
      routerId: address(2, 2),
      asn: 65030,
      neighbors: [
        { address: address(2, 1), asn: AGENT_ASN, localAddress: address(2, 2), holdTimeSeconds: 9 },
      ],
      routes: [{ prefix: '10.233.30.0/24' }],
    })) as FrrPeer;
    // Routes from the fuzzer are tagged on import and kept from FRR (a real
    // peer may rightly refuse odd attributes we pass on); the sink gets them.
    const FUZZED = '65535:666';
    agent = new LabAgent({
      namespace: agentNs,
      stateDir: topology.stateDir('agent'),
      config: {
        asn: AGENT_ASN,
        routerId: address(1, 1),
        neighbors: [
          {
            address: address(1, 2),
            asn: 65066,
            passive: true,
            holdTimeSeconds: 30,
            families: ['ipv4-unicast', 'ipv6-unicast'],
            import: { action: 'accept', set: { addCommunities: [FUZZED] } },
            export: 'accept-all',
          },
          {
            address: address(2, 2),
            asn: 65030,
            holdTimeSeconds: 9,
            connectRetrySeconds: 1,
            import: 'accept-all',
            export: [{ communities: [FUZZED], action: 'reject' }, { action: 'accept' }],
          },
          {
            address: address(3, 2),
            asn: 65040,
            passive: true,
            holdTimeSeconds: 30,
            families: ['ipv4-unicast', 'ipv6-unicast'],
            import: 'accept-all',
            export: 'accept-all',
          },
        ],
        fib: { kernel: { enabled: false } },
      },
    });
    await agent.start();
    await agent.waitNeighbor(address(2, 2));
    const sink = await startProcess({
      name: 'sink',
      namespace: spaces.sink as string,
      stateDir: topology.stateDir('sink'),
      argv: [
        process.execPath,
        SCRIPTED_PEER,
        '--connect',
        address(3, 1),
        '--local',
        address(3, 2),
        '--asn',
        '65040',
        '--peer-asn',
        String(AGENT_ASN),
      ],
    });
    processes.push(sink);
    await agent.waitNeighbor(address(3, 2));
    const flapsBefore = (await agent.ctlJson<{ address: string; flaps: number }[]>(['neighbor', 'show'])).map(
      (n) => [n.address, n.flaps],
    );

    const fuzz = await startProcess({
      name: 'fuzz',
      namespace: spaces.fuzz as string,
      stateDir: topology.stateDir('fuzz'),
      argv: [
        process.execPath,
        FUZZ_PEER,
        '--connect',
        address(1, 1),
        '--local',
        address(1, 2),
        '--asn',
        '65066',
        '--peer-asn',
        String(AGENT_ASN),
        '--seconds',
        String(FUZZ_SECONDS),
        '--seed',
        String(Date.now() % 100_000),
      ],
    });
    processes.push(fuzz);
    const done = await eventually(
      'the fuzzer to finish',
      async () => events(fuzz).find((e) => e.event === 'done'),
      (FUZZ_SECONDS + 30) * 1000,
      500,
    );
    console.log(`wire fuzz: ${JSON.stringify(done)}`);
    expect(Number(done.established)).toBeGreaterThan(5);
    expect(Number(done.updatesMutated)).toBeGreaterThan(1000);

    // The daemon is alive and answers; FRR and the sink never went down.
    expect(agent.running()).toBe(true);
    const neighbors = await agent.ctlJson<{ address: string; state: string; flaps: number }[]>([
      'neighbor',
      'show',
    ]);
    const byAddress = new Map(neighbors.map((n) => [n.address, n]));
    expect(byAddress.get(address(2, 2))?.state).toBe('established');
    expect(byAddress.get(address(3, 2))?.state).toBe('established');
    const flapsAfter = neighbors.map((n) => [n.address, n.flaps]);
    expect(flapsAfter.filter(([a]) => a !== address(1, 2))).toEqual(
      flapsBefore.filter(([a]) => a !== address(1, 2)),
    );
    expect(await frr.sessionState(address(2, 1))).toBe('established');
    expect(sink.running()).toBe(true);
    expect(events(sink).some((e) => e.event === 'error' || e.event === 'closed')).toBe(false);
    // The fuzzer's accepted routes went out to the sink and back (withdrawn at each reset).
    const received = await eventually('the sink reports what it received', async () =>
      events(sink)
        .filter((e) => e.event === 'received')
        .at(-1),
    );
    console.log(`sink: ${JSON.stringify(received)}`);
    expect(Number(received.prefixes)).toBeGreaterThan(100);
    expect(Number(received.withdrawn)).toBeGreaterThan(100);
    // FRR still has its route in the agent, and the agent's in FRR's table.
    expect((await agent.ctl(['rib', 'show', '10.233.30.0/24'])).stdout).toContain(address(2, 2));
    const internalErrors = (await agent.logEntries()).filter((e) =>
      String(e.msg).startsWith('internal error'),
    );
    expect(internalErrors.map((e) => JSON.stringify(e.err))).toEqual([]);
  }, 180_000);
});
