// Two speakers on loopback (127.0.0.1 and 127.0.0.2, unprivileged ports):
// sessions, collision resolution, NOTIFICATIONs, reconfiguration.
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  codecContext,
  decodeMessage,
  encodeMessage,
  MessageFramer,
  prefixesFromStrings,
} from '../../src/bgp/codec/index.js';
import type { DownReason, FsmStateName } from '../../src/bgp/fsm.js';
import { buildOpen, type NegotiatedSession } from '../../src/bgp/negotiation.js';
import type { NeighborConfig, Peer, PeerEvents } from '../../src/bgp/peer.js';
import { Speaker, type SpeakerConfig } from '../../src/bgp/speaker.js';

const silent = { info: () => {}, warn: () => {}, debug: () => {} };

interface Recorder extends PeerEvents {
  readonly log: string[];
  readonly negotiated: NegotiatedSession[];
}

function recorder(): Recorder {
  const log: string[] = [];
  const negotiated: NegotiatedSession[] = [];
  return {
    log,
    negotiated,
    established: (_peer: Peer, session: NegotiatedSession) => {
      negotiated.push(session);
      log.push('established');
    },
    down: (_peer: Peer, reason: DownReason) => log.push(`down:${reason.kind}`),
    update: () => log.push('update'),
    routeRefresh: () => log.push('route-refresh'),
    writable: () => {},
    internalError: (_peer: Peer, _error: unknown, where: string) => log.push(`internal-error:${where}`),
    stateChanged: (_peer: Peer, from: FsmStateName, to: FsmStateName) => log.push(`${from}->${to}`),
    notification: (_peer: Peer, direction, code, subcode, detail) =>
      log.push(`notification-${direction}:${code}/${subcode}${detail ? ` ${detail}` : ''}`),
  };
}

let nextPort = 21790 + Math.floor(Math.random() * 1000) * 2;
const speakers: Speaker[] = [];

afterEach(async () => {
  await Promise.all(speakers.splice(0).map((s) => s.stop()));
});

function neighbor(
  address: string,
  port: number,
  asn: number,
  localAddress: string,
  extra: Partial<NeighborConfig> = {},
): NeighborConfig {
  return {
    address,
    port,
    asn,
    localAddress,
    families: ['ipv4-unicast', 'ipv6-unicast'],
    holdTimeSeconds: 9,
    connectRetrySeconds: 1,
    passive: false,
    delayOpenSeconds: 0,
    password: null,
    ttlSecurity: false,
    addPath: null,
    routeReflectorClient: false,
    description: null,
    shutdown: false,
    ...extra,
  };
}

function config(
  address: string,
  port: number,
  asn: number,
  routerId: string,
  neighbors: NeighborConfig[],
): SpeakerConfig {
  return {
    local: { asn, routerId, hostname: `h-${routerId}`, gracefulRestart: null, extendedMessage: true },
    listen: { address, port },
    neighbors,
  };
}

async function until(condition: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function pair(options: { aPassive?: boolean; bAsn?: number; bConfiguredAsnForA?: number } = {}) {
  const portA = nextPort++;
  const portB = nextPort++;
  const eventsA = recorder();
  const eventsB = recorder();
  const a = new Speaker(
    config('127.0.0.1', portA, 64512, '10.0.0.1', [
      neighbor('127.0.0.2', portB, options.bConfiguredAsnForA ?? options.bAsn ?? 64512, '127.0.0.1', {
        passive: options.aPassive ?? false,
      }),
    ]),
    eventsA,
    silent,
  );
  const b = new Speaker(
    config('127.0.0.2', portB, options.bAsn ?? 64512, '10.0.0.2', [
      neighbor('127.0.0.1', portA, 64512, '127.0.0.2'),
    ]),
    eventsB,
    silent,
  );
  speakers.push(a, b);
  await a.start();
  await b.start();
  return { a, b, eventsA, eventsB, portA, portB };
}

describe('Speaker on loopback', () => {
  it('both sides active at once: exactly one session survives, Established on both', async () => {
    const { a, b, eventsA, eventsB } = await pair();
    await until(() => a.allPeers()[0]?.state === 'established' && b.allPeers()[0]?.state === 'established');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.allPeers()[0]?.state).toBe('established');
    expect(eventsA.log.filter((e) => e === 'established')).toHaveLength(1);
    expect(eventsB.log.filter((e) => e === 'established')).toHaveLength(1);
    const negotiated = eventsA.negotiated[0];
    expect(negotiated).toMatchObject({
      peerAsn: 64512,
      peerRouterId: '10.0.0.2',
      holdTimeSeconds: 9,
      keepaliveSeconds: 3,
      asn4: true,
      extendedMessage: true,
      routeRefresh: true,
      enhancedRouteRefresh: true,
      peerHostname: 'h-10.0.0.2',
    });
    expect(negotiated?.families).toEqual(['ipv4-unicast', 'ipv6-unicast']);
  });

  it('repeated simultaneous opens always settle on one session, with no connection coming back after losing', async () => {
    for (let round = 0; round < 6; round++) {
      const { a, b, eventsA } = await pair();
      await until(() => a.allPeers()[0]?.state === 'established' && b.allPeers()[0]?.state === 'established');
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(a.allPeers()[0]?.state).toBe('established');
      expect(a.allPeers()[0]?.status().flaps).toBe(0);
      expect(eventsA.log.filter((e) => e === 'established')).toHaveLength(1);
      await Promise.all(speakers.splice(0).map((s) => s.stop()));
    }
  }, 30_000);

  it('passive side waits; the active side connects', async () => {
    const { a, b } = await pair({ aPassive: true });
    await until(() => a.allPeers()[0]?.state === 'established' && b.allPeers()[0]?.state === 'established');
  });

  it('a wrong peer AS is refused with OPEN Message Error / Bad Peer AS (2/2), logged on both sides', async () => {
    const { eventsA, eventsB } = await pair({ bAsn: 64513, bConfiguredAsnForA: 64514 });
    await until(
      () =>
        eventsA.log.some((e) => e.startsWith('notification-sent:2/2')) &&
        eventsB.log.some((e) => e.startsWith('notification-received:2/2')),
    );
  });

  it('stop sends Cease/Administrative Shutdown with the RFC 9003 message', async () => {
    const { a, b, eventsB } = await pair();
    await until(() => b.allPeers()[0]?.state === 'established');
    await a.stop('maintenance window');
    await until(() => eventsB.log.some((e) => e === 'notification-received:6/2 "maintenance window"'));
    expect(eventsB.log).toContain('down:notification-received');
  });

  it('reconfigure: removing a neighbor sends Cease/Peer De-configured; an unchanged one stays up', async () => {
    const { a, b, eventsB, portA, portB } = await pair();
    await until(() => b.allPeers()[0]?.state === 'established');
    const sameConfig = config('127.0.0.1', portA, 64512, '10.0.0.1', [
      neighbor('127.0.0.2', portB, 64512, '127.0.0.1'),
    ]);
    const unchanged = await a.reconfigure(sameConfig);
    expect(unchanged).toEqual({ added: [], removed: [], restarted: [] });
    expect(a.allPeers()[0]?.state).toBe('established');
    const removed = await a.reconfigure(config('127.0.0.1', portA, 64512, '10.0.0.1', []));
    expect(removed.removed).toEqual(['127.0.0.2']);
    await until(() => eventsB.log.some((e) => e.startsWith('notification-received:6/3')));
  });
});

describe('Speaker: dynamic neighbors from a listen range', () => {
  async function rangeSetup(limit: number) {
    const port = nextPort++;
    const events = recorder();
    const lifecycle: string[] = [];
    const range = {
      prefix: '127.0.0.0/24',
      limit,
      peerGroup: 'nodes',
      template: neighbor('', 179, 64512, '127.0.0.1', {
        passive: true,
        routeReflectorClient: true,
        peerGroup: 'nodes',
        listenRange: '127.0.0.0/24',
      }),
    };
    const rr: SpeakerConfig = { ...config('127.0.0.1', port, 64512, '10.0.0.1', []), listenRanges: [range] };
    const server = new Speaker(rr, events, silent, {
      added: (peer) => lifecycle.push(`added ${peer.address}`),
      removed: (peer) => lifecycle.push(`removed ${peer.address}`),
    });
    speakers.push(server);
    await server.start();
    const client = async (host: number) => {
      const clientEvents = recorder();
      const speaker = new Speaker(
        config(`127.0.0.${host}`, 0, 64512, `10.0.0.${host}`, [
          neighbor('127.0.0.1', port, 64512, `127.0.0.${host}`),
        ]),
        clientEvents,
        silent,
      );
      speakers.push(speaker);
      await speaker.start();
      return { speaker, events: clientEvents };
    };
    return { server, rr, range, lifecycle, client };
  }

  it('connections from the range become neighbors with the group settings; the limit refuses with Cease/Connection Rejected', async () => {
    const { server, lifecycle, client } = await rangeSetup(2);
    const b = await client(2);
    const c = await client(3);
    await until(
      () =>
        server.peer('127.0.0.2')?.state === 'established' &&
        server.peer('127.0.0.3')?.state === 'established',
    );
    expect(server.peer('127.0.0.2')?.config).toMatchObject({
      address: '127.0.0.2',
      listenRange: '127.0.0.0/24',
      peerGroup: 'nodes',
      routeReflectorClient: true,
      passive: true,
    });
    expect(server.dynamicMembers('127.0.0.0/24')).toBe(2);
    expect(lifecycle).toEqual(['added 127.0.0.2', 'added 127.0.0.3']);
    const d = await client(4);
    await until(() => d.events.log.some((e) => e.startsWith('notification-received:6/5')));
    expect(server.peer('127.0.0.4')).toBeUndefined();
    expect(b.speaker.allPeers()[0]?.state).toBe('established');
    expect(c.speaker.allPeers()[0]?.state).toBe('established');
    // One goes: room for the refused one, which comes in on its next retry.
    expect(server.removeDynamic('127.0.0.2')).toBe(true);
    expect(lifecycle).toContain('removed 127.0.0.2');
    await b.speaker.stop();
    await until(() => server.peer('127.0.0.4')?.state === 'established', 10_000);
    expect(server.removeDynamic('127.0.0.1')).toBe(false);
  }, 20_000);

  it('reconfigure: the same range keeps its neighbors up; without it they get Cease/Peer De-configured', async () => {
    const { server, rr, client } = await rangeSetup(10);
    const b = await client(2);
    await until(() => server.peer('127.0.0.2')?.state === 'established');
    expect(await server.reconfigure(rr)).toEqual({ added: [], removed: [], restarted: [] });
    expect(server.peer('127.0.0.2')?.state).toBe('established');
    const removed = await server.reconfigure({ ...rr, listenRanges: [] });
    expect(removed.removed).toEqual(['127.0.0.2']);
    await until(() => b.events.log.some((e) => e.startsWith('notification-received:6/3')));
    expect(server.allPeers()).toHaveLength(0);
  }, 20_000);

  it('a reload that opens the IPv6 listener returns at once, with sessions accepted on the IPv4 one still up', async () => {
    const port = nextPort++;
    const range = {
      prefix: '127.0.0.0/24',
      limit: 10,
      peerGroup: 'nodes',
      template: neighbor('', 179, 64512, '127.0.0.1', { passive: true, listenRange: '127.0.0.0/24' }),
    };
    const rr: SpeakerConfig = { ...config('0.0.0.0', port, 64512, '10.0.0.1', []), listenRanges: [range] };
    const server = new Speaker(rr, recorder(), silent);
    const c = new Speaker(
      config('127.0.0.2', 0, 64512, '10.0.0.2', [neighbor('127.0.0.1', port, 64512, '127.0.0.2')]),
      recorder(),
      silent,
    );
    speakers.push(server, c);
    await server.start();
    await c.start();
    await until(() => server.peer('127.0.0.2')?.state === 'established');
    const started = Date.now();
    // Node's server.close() callback waits for every accepted connection to end: not awaited.
    await server.reconfigure({
      ...rr,
      listenRanges: [
        range,
        { ...range, prefix: '::1/128', template: { ...range.template, listenRange: '::1/128' } },
      ],
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(server.peer('127.0.0.2')?.state).toBe('established');
  }, 20_000);

  it('a configured neighbor wins over the range for its address', async () => {
    const { server, rr, client } = await rangeSetup(10);
    await client(2);
    await until(() => server.peer('127.0.0.2')?.state === 'established');
    const port = rr.listen.port;
    const result = await server.reconfigure({
      ...rr,
      neighbors: [neighbor('127.0.0.2', port, 64512, '127.0.0.1', { passive: true })],
    });
    expect(result.restarted).toEqual(['127.0.0.2']);
    await until(() => server.peer('127.0.0.2')?.state === 'established', 10_000);
    expect(server.peer('127.0.0.2')?.config.listenRange).toBeUndefined();
  }, 20_000);
});

describe('Speaker with a scripted peer', () => {
  it('a contender whose rival connection dropped before its OPEN becomes the session (not Established unseen)', async () => {
    const port = nextPort++;
    const events = recorder();
    const speaker = new Speaker(
      config('127.0.0.1', port, 64512, '10.0.0.1', [
        neighbor('127.0.0.2', port + 1, 64512, '127.0.0.1', { passive: true }),
      ]),
      events,
      silent,
    );
    speakers.push(speaker);
    await speaker.start();
    const peer = () => speaker.allPeers()[0];
    const connect = () =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' }, () =>
          resolve(socket),
        );
        socket.on('error', reject);
      });
    const first = await connect();
    await until(() => peer()?.state === 'openSent');
    // A second connection while the first is in OpenSent: a contender.
    const second = await connect();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The peer gives up on the first one.
    first.destroy();
    await until(() => peer()?.state === 'active');
    const open = buildOpen({
      asn: 64512,
      routerId: '10.0.0.2',
      holdTimeSeconds: 9,
      families: ['ipv4-unicast'],
      addPath: null,
      gracefulRestart: null,
      extendedMessage: false,
      hostname: null,
      peerAsn: 64512,
    });
    const framer = new MessageFramer();
    let keepalives = 0;
    second.on('data', (chunk: Buffer) => {
      const messages = framer.push(chunk);
      if (!Array.isArray(messages)) throw new Error(`bad stream from the speaker: ${messages.reason}`);
      for (const bytes of messages) {
        const decoded = decodeMessage(bytes, codecContext());
        if (decoded.ok && decoded.value.type === 'open')
          second.write(encodeMessage({ type: 'keepalive' }, codecContext()));
        if (decoded.ok && decoded.value.type === 'keepalive') keepalives++;
      }
    });
    second.write(encodeMessage(open, codecContext()));
    await until(() => peer()?.state === 'established' && keepalives > 0);
    expect(events.log).toContain('established');
    expect(peer()?.status().negotiated?.peerRouterId).toBe('10.0.0.2');
    second.destroy();
  });

  it('a contender whose connection the peer drops in OpenSent ends there: it never connects to the peer on its own', async () => {
    // BIRD 2, both sides active: BIRD starts its own connect, then takes our
    // OPEN on the connection we opened before it has seen that connect
    // complete; bgp_rx_open drops its connection still in Connect, without a
    // NOTIFICATION, though our kernel completed the handshake and we took it
    // as a contender (in OpenSent). Our session comes up. Before the fix the
    // contender fell back to Active and connected on its ConnectRetryTimer; a
    // second connection from us while Established reads to a Graceful Restart
    // peer as our restart (RFC 4724 §4.2): BIRD reset the session (one flap).
    const port = nextPort++;
    const peerPort = nextPort++;
    const fromSpeaker: net.Socket[] = [];
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      fromSpeaker.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(peerPort, '127.0.0.2', resolve));
    const events = recorder();
    const speaker = new Speaker(
      config('127.0.0.1', port, 64512, '10.0.0.1', [
        neighbor('127.0.0.2', peerPort, 64512, '127.0.0.1', { connectRetrySeconds: 1 }),
      ]),
      events,
      silent,
    );
    speakers.push(speaker);
    try {
      await speaker.start();
      const peer = () => speaker.allPeers()[0];
      /** Every message a socket delivers, decoded, as it arrives. */
      const reader = (socket: net.Socket) => {
        const types: string[] = [];
        const framer = new MessageFramer();
        socket.on('data', (chunk: Buffer) => {
          const messages = framer.push(chunk);
          if (!Array.isArray(messages)) throw new Error(`bad stream from the speaker: ${messages.reason}`);
          for (const bytes of messages) {
            const decoded = decodeMessage(bytes, codecContext());
            if (decoded.ok) types.push(decoded.value.type);
          }
        });
        return types;
      };
      // The speaker's own connection (A) gets the peer's OPEN: OpenConfirm.
      await until(() => fromSpeaker.length === 1 && peer()?.state === 'openSent');
      const first = fromSpeaker[0] as net.Socket;
      const onFirst = reader(first);
      first.write(
        encodeMessage(
          buildOpen({
            asn: 64512,
            routerId: '10.0.0.2',
            holdTimeSeconds: 9,
            families: ['ipv4-unicast'],
            addPath: null,
            gracefulRestart: null,
            extendedMessage: false,
            hostname: null,
            peerAsn: 64512,
          }),
          codecContext(),
        ),
      );
      await until(() => peer()?.state === 'openConfirm' && onFirst.includes('keepalive'));
      // The peer's own connection (B) was accepted meanwhile: a contender,
      // which sends its OPEN.
      const contender = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' }, () => resolve(s));
        s.on('error', reject);
      });
      const onContender = reader(contender);
      await until(() => onContender.includes('open'));
      // The peer gives B up without a word, and brings A up.
      contender.destroy();
      first.write(encodeMessage({ type: 'keepalive' }, codecContext()));
      await until(() => peer()?.state === 'established');
      // Longer than the ConnectRetryTimer (1 s) the contender would have run
      // in Active (RFC 4271 §8.2.2 OpenSent, event 18).
      await new Promise((resolve) => setTimeout(resolve, 1600));
      expect(fromSpeaker).toHaveLength(1);
      expect(peer()?.state).toBe('established');
      expect(peer()?.status().flaps).toBe(0);
      first.destroy();
    } finally {
      for (const socket of fromSpeaker) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("an exception while handling one neighbor's UPDATE resets that session alone (Cease/Out of Resources); the daemon goes on", async () => {
    const port = nextPort++;
    const events = recorder();
    // A bug in the UPDATE path, for the neighbor 127.0.0.2 only.
    const update = events.update;
    events.update = (peer, message, errors) => {
      if (peer.address === '127.0.0.2') throw new Error('bug while taking an UPDATE');
      update(peer, message, errors);
    };
    const speaker = new Speaker(
      config('127.0.0.1', port, 64512, '10.0.0.1', [
        neighbor('127.0.0.2', port + 1, 64512, '127.0.0.1', { passive: true }),
        neighbor('127.0.0.3', port + 1, 64512, '127.0.0.1', { passive: true }),
      ]),
      events,
      silent,
    );
    speakers.push(speaker);
    await speaker.start();
    /** A raw BGP speaker on `address`: OPEN, KEEPALIVEs, and what it received. */
    const scripted = async (address: string, routerId: string) => {
      const received: { type: string; code?: number; subcode?: number }[] = [];
      const socket = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port, localAddress: address }, () => resolve(s));
        s.on('error', reject);
      });
      socket.on('error', () => {});
      const framer = new MessageFramer();
      socket.on('data', (chunk: Buffer) => {
        const messages = framer.push(chunk);
        if (!Array.isArray(messages)) return;
        for (const bytes of messages) {
          const decoded = decodeMessage(bytes, codecContext());
          if (!decoded.ok) continue;
          const message = decoded.value;
          received.push(
            message.type === 'notification'
              ? { type: message.type, code: message.code, subcode: message.subcode }
              : { type: message.type },
          );
          if (message.type === 'open') socket.write(encodeMessage({ type: 'keepalive' }, codecContext()));
        }
      });
      socket.write(
        encodeMessage(
          buildOpen({
            asn: 64512,
            routerId,
            holdTimeSeconds: 9,
            families: ['ipv4-unicast'],
            addPath: null,
            gracefulRestart: null,
            extendedMessage: false,
            hostname: null,
            peerAsn: 64512,
          }),
          codecContext(),
        ),
      );
      return { socket, received };
    };
    const faulty = await scripted('127.0.0.2', '10.0.0.2');
    const healthy = await scripted('127.0.0.3', '10.0.0.3');
    const peerOf = (address: string) => speaker.allPeers().find((p) => p.address === address);
    await until(
      () => peerOf('127.0.0.2')?.state === 'established' && peerOf('127.0.0.3')?.state === 'established',
    );
    const announce = {
      type: 'update' as const,
      withdrawn: prefixesFromStrings(1, []),
      attributes: { origin: 0 as const, asPath: [], nextHop: '127.0.0.2', localPref: 100 },
      nlri: prefixesFromStrings(1, ['10.1.0.0/24']),
    };
    faulty.socket.write(encodeMessage(announce, codecContext()));
    healthy.socket.write(
      encodeMessage(
        { ...announce, attributes: { ...announce.attributes, nextHop: '127.0.0.3' } },
        codecContext(),
      ),
    );
    await until(() => faulty.received.some((m) => m.type === 'notification'));
    expect(faulty.received.find((m) => m.type === 'notification')).toEqual({
      type: 'notification',
      code: 6,
      subcode: 8,
    });
    expect(events.log).toContain('internal-error:input');
    expect(events.log.filter((e) => e === 'update')).toHaveLength(1);
    // The other neighbor got no NOTIFICATION and stays Established.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(peerOf('127.0.0.3')?.state).toBe('established');
    expect(healthy.received.some((m) => m.type === 'notification')).toBe(false);
    faulty.socket.destroy();
    healthy.socket.destroy();
  });
});
