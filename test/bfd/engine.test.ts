// Two BFD engines over loopback (127.0.0.1 <-> 127.0.0.2, unprivileged
// ports): sessions come Up through the real sockets, a removed session tells
// the other side AdminDown, and a datagram that arrives with TTL 254 is
// dropped by the kernel filter (RFC 5881 §5) before any session sees it.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BfdEngine, defaultEngineOptions } from '../../src/bfd/engine.js';
import type { FromWorker, SessionSpec } from '../../src/bfd/messages.js';
import { encodeControlPacket } from '../../src/bfd/packet.js';

const PORT = 13784 + Math.floor(Math.random() * 1000);

function engineAt(address: string, log: FromWorker[]): BfdEngine {
  return new BfdEngine((m) => log.push(m), {
    ...defaultEngineOptions,
    listenV4: address,
    singleHopPort: PORT,
    multihopPort: PORT + 1000,
  });
}

function spec(peer: string, local: string): SessionSpec {
  return {
    key: peer,
    peerAddress: peer,
    localAddress: local,
    hops: 1,
    desiredMinTxUs: 50_000,
    requiredMinRxUs: 50_000,
    detectMult: 5,
    enabled: true,
  };
}

async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const engines: BfdEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
});

describe('BFD engine over loopback', () => {
  it('brings a session Up both ways, then AdminDown reaches the other side', async () => {
    const logA: FromWorker[] = [];
    const logB: FromWorker[] = [];
    const a = engineAt('127.0.0.1', logA);
    const b = engineAt('127.0.0.2', logB);
    engines.push(a, b);
    await a.configure([spec('127.0.0.2', '127.0.0.1')]);
    await b.configure([spec('127.0.0.1', '127.0.0.2')]);
    await until('Up on both', () => a.statuses()[0]?.state === 'up' && b.statuses()[0]?.state === 'up');
    const up = a.statuses()[0];
    expect(up?.sourcePort).toBeGreaterThanOrEqual(49152);
    expect(up?.remoteDiscriminator).toBe(b.statuses()[0]?.localDiscriminator);
    // The poll for the fast rate ends: 50 ms each way, detection 5 x 50 ms.
    await until(
      'poll done',
      () => a.statuses()[0]?.polling === false && a.statuses()[0]?.transmitIntervalUs === 50_000,
    );
    expect(a.statuses()[0]?.detectionTimeUs).toBe(250_000);
    const transitions = logA.flatMap((m) =>
      m.kind === 'transition' ? [`${m.change.from}->${m.change.to}`] : [],
    );
    expect(transitions).toEqual(['down->init', 'init->up']);
    await b.configure([]);
    await until('A Down', () => a.statuses()[0]?.state === 'down');
    const last = logA.at(-1);
    const down = logA.find((m) => m.kind === 'transition' && m.change.to === 'down');
    expect(down?.kind === 'transition' && down.change).toMatchObject({
      diagnostic: 3,
      remoteState: 'adminDown',
    });
    expect(last).toBeDefined();
    expect(a.statuses()[0]?.flaps).toBe(1);
  });

  it('drops packets that arrive with TTL 254 (RFC 5881 §5)', async () => {
    const log: FromWorker[] = [];
    const a = engineAt('127.0.0.1', log);
    engines.push(a);
    await a.configure([spec('127.0.0.3', '127.0.0.1')]);
    const sender = dgram.createSocket('udp4');
    await new Promise<void>((r) => sender.bind(0, '127.0.0.3', () => r()));
    const down = encodeControlPacket({
      version: 1,
      diagnostic: 0,
      state: 'down',
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      authenticated: false,
      demand: false,
      multipoint: false,
      detectMult: 3,
      myDiscriminator: 42,
      yourDiscriminator: 0,
      desiredMinTxUs: 1_000_000,
      requiredMinRxUs: 1_000_000,
      requiredMinEchoRxUs: 0,
    });
    const sendWith = (ttl: number) =>
      new Promise<void>((r) => {
        sender.setTTL(ttl);
        sender.send(down, PORT, '127.0.0.1', () => r());
      });
    await sendWith(254);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.statuses()[0]?.state).toBe('down');
    expect(a.statuses()[0]?.packetsIn).toBe(0);
    await sendWith(255);
    await until('Init from the TTL-255 packet', () => a.statuses()[0]?.state === 'init');
    sender.close();
  });

  it('a stalled thread does not declare Down while the peer packets wait in the socket buffer', async () => {
    // The peer runs in its own process and keeps sending while this thread
    // is blocked for longer than the Detection Time (250 ms).
    const peer = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./fixtures/peer-process.ts', import.meta.url)),
        '127.0.0.2',
        '127.0.0.1',
        String(PORT),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const log: FromWorker[] = [];
      const a = engineAt('127.0.0.1', log);
      engines.push(a);
      // Our multiplier 20: the peer waits 1 s for us, so only our own
      // detection (5 x 50 ms from the peer's multiplier) is at stake here.
      await a.configure([{ ...spec('127.0.0.2', '127.0.0.1'), detectMult: 20 }]);
      await until('Up with the peer process', () => a.statuses()[0]?.state === 'up', 15_000);
      await until(
        'fast rate',
        () => a.statuses()[0]?.transmitIntervalUs === 50_000 && !a.statuses()[0]?.polling,
      );
      await new Promise((r) => setTimeout(r, 300));
      const end = performance.now() + 400;
      while (performance.now() < end) {
        // blocked, as a long synchronous job would block a thread
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(a.statuses()[0]?.state).toBe('up');
      expect(a.statuses()[0]?.flaps).toBe(0);
    } finally {
      peer.kill();
    }
  }, 30_000);
});
