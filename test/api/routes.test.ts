// The control API's routes against a fake agent (AgentControl): what each
// request asks of the agent, the reply it makes of the answer, and the one
// line a bad request gets back. No daemon, no socket.

import { describe, expect, it } from 'vitest';
import type { AgentControl, ForwardingView } from '../../src/api/control.js';
import { buildApiRoutes } from '../../src/api/routes.js';
import { ApiError } from '../../src/api/server.js';
import type { BfdSessionJson } from '../../src/api/types.js';
import { destination, FakeControl } from '../support/fake-control.js';

interface Call {
  readonly query?: string;
  readonly body?: unknown;
}

/** One request through its route, answered as the server answers it (status and JSON body). */
async function call(control: AgentControl, key: string, { query = '', body }: Call = {}) {
  const handler = buildApiRoutes(control).get(key);
  if (handler === undefined) throw new Error(`no route ${key}`);
  const [method = '', path = ''] = key.split(' ');
  try {
    return await handler({ method, path, query: new URLSearchParams(query), body });
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, body: { error: error.message } };
    throw error;
  }
}

describe('POST /v1/rib (rib add)', () => {
  it('originates the checked route: next hop canonical, absent attributes empty or null', async () => {
    const control = new FakeControl();
    const reply = await call(control, 'POST /v1/rib', {
      body: { prefix: 'fd00:233:1::/64', nextHop: 'FD00:0::2', communities: ['64512:100', 'blackhole'] },
    });
    expect(reply).toEqual({ status: 200, body: { added: 'fd00:233:1::/64' } });
    expect(control.calls).toEqual([
      [
        'originate',
        {
          prefix: 'fd00:233:1::/64',
          nextHop: 'fd00::2',
          communities: ['64512:100', 'blackhole'],
          largeCommunities: [],
          med: null,
          localPref: null,
        },
      ],
    ]);
  });

  it.each([
    ['no body', undefined, 'prefix: missing; it must be a prefix, e.g. 10.233.1.0/24 or fd00:233:1::/64'],
    [
      'a body that is not an object',
      ['10.233.1.0/24'],
      'request body: ["10.233.1.0/24"] is not valid: must be a JSON object',
    ],
    [
      'a prefix that does not parse',
      { prefix: '10.233.1.0/33' },
      'prefix: "10.233.1.0/33" is not valid: must be a prefix, e.g. 10.233.1.0/24 or fd00:233:1::/64',
    ],
    [
      'a prefix with host bits set',
      { prefix: '10.1.0.1/24' },
      'prefix: "10.1.0.1/24" is not valid: host bits are set; write 10.1.0.0/24',
    ],
    [
      'a next hop that is no address',
      { prefix: '10.233.1.0/24', nextHop: 'gateway' },
      'nextHop: "gateway" is not valid: must be an IPv4 or IPv6 address of the prefix family, or null for this agent',
    ],
    [
      "a next hop of the other family than the prefix's",
      { prefix: '10.233.1.0/24', nextHop: 'fd00::2' },
      'nextHop: "fd00::2" is not valid: must be an IPv4 address, as the prefix 10.233.1.0/24 is',
    ],
    [
      'communities that are not a list',
      { prefix: '10.233.1.0/24', communities: '64512:100' },
      'communities: "64512:100" is not valid: must be a list of communities, e.g. ["64512:100"]',
    ],
    [
      'one community that does not parse',
      { prefix: '10.233.1.0/24', communities: ['64512:100', 'blackhol'] },
      'communities[1]: "blackhol" is not valid: must be a community: AS:VALUE (e.g. 64512:100), blackhole, no-export, no-advertise or no-export-subconfed',
    ],
    [
      'a large community that does not parse',
      { prefix: '10.233.1.0/24', largeCommunities: ['64512:1'] },
      'largeCommunities[0]: "64512:1" is not valid: must be a large community GLOBAL:DATA1:DATA2, e.g. 64512:1:2',
    ],
    [
      'a MED out of range',
      { prefix: '10.233.1.0/24', med: -1 },
      'med: -1 is not valid: must be a MED, an integer from 0 to 4294967295',
    ],
    [
      'a LOCAL_PREF given as text',
      { prefix: '10.233.1.0/24', localPref: '200' },
      'localPref: "200" is not valid: must be a LOCAL_PREF, an integer from 0 to 4294967295',
    ],
  ])('refuses %s with 400 and one line naming the field', async (_name, body, error) => {
    const control = new FakeControl();
    expect(await call(control, 'POST /v1/rib', { body })).toEqual({ status: 400, body: { error } });
    expect(control.calls).toEqual([]);
  });
});

describe('DELETE /v1/rib (rib del)', () => {
  it('withdraws a route added at run time', async () => {
    const control = new FakeControl();
    control.runtimePrefixes.add('10.233.1.0/24');
    expect(await call(control, 'DELETE /v1/rib', { query: 'prefix=10.233.1.0/24' })).toEqual({
      status: 200,
      body: { deleted: '10.233.1.0/24' },
    });
  });

  it('a configured route is 404 with where to remove it', async () => {
    const control = new FakeControl();
    control.local = [
      {
        prefix: '10.233.1.0/24',
        nextHop: null,
        communities: [],
        largeCommunities: [],
        med: null,
        localPref: null,
        origin: 'config',
      },
    ];
    expect(await call(control, 'DELETE /v1/rib', { query: 'prefix=10.233.1.0/24' })).toEqual({
      status: 404,
      body: {
        error:
          '10.233.1.0/24 comes from the configuration (originate:); remove it there and run config reload',
      },
    });
  });

  it('a prefix with host bits is refused, naming the masked prefix (as rib add refuses it)', async () => {
    const control = new FakeControl();
    expect(await call(control, 'DELETE /v1/rib', { query: 'prefix=10.233.1.7/24' })).toEqual({
      status: 400,
      body: { error: 'prefix: "10.233.1.7/24" is not valid: host bits are set; write 10.233.1.0/24' },
    });
    expect(control.calls).toEqual([]);
  });

  it('no such route is 404; no prefix is 400', async () => {
    const control = new FakeControl();
    expect(await call(control, 'DELETE /v1/rib', { query: 'prefix=10.233.9.0/24' })).toEqual({
      status: 404,
      body: { error: 'no route added with rib add for 10.233.9.0/24' },
    });
    expect(await call(control, 'DELETE /v1/rib')).toEqual({
      status: 400,
      body: { error: 'prefix: missing; it must be a prefix, e.g. 10.233.1.0/24 or fd00:233:1::/64' },
    });
  });
});

describe('GET /v1/rib (rib show)', () => {
  it('the family follows the prefix or address unless given; IPv4 when neither', async () => {
    const control = new FakeControl();
    expect(await call(control, 'GET /v1/rib', { query: 'prefix=fd00:233:1::1' })).toEqual({
      status: 200,
      body: { family: 'ipv6-unicast', destinations: [destination] },
    });
    await call(control, 'GET /v1/rib', { query: 'family=ipv6' });
    await call(control, 'GET /v1/rib');
    expect(control.calls).toEqual([
      ['rib', { family: 'ipv6-unicast', prefix: 'fd00:233:1::1' }],
      ['rib', { family: 'ipv6-unicast' }],
      ['rib', { family: 'ipv4-unicast' }],
    ]);
  });

  it("a neighbor's routes in the direction asked (in by default); an unknown neighbor is 404", async () => {
    const control = new FakeControl();
    await call(control, 'GET /v1/rib', { query: 'neighbor=172.18.8.102' });
    await call(control, 'GET /v1/rib', { query: 'neighbor=172.18.8.102&direction=out&family=ipv4-unicast' });
    expect(control.calls).toEqual([
      ['neighborRib', '172.18.8.102', 'in', { family: 'ipv4-unicast' }],
      ['neighborRib', '172.18.8.102', 'out', { family: 'ipv4-unicast' }],
    ]);
    expect(await call(control, 'GET /v1/rib', { query: 'neighbor=172.18.8.109' })).toEqual({
      status: 404,
      body: { error: 'no neighbor 172.18.8.109' },
    });
  });

  it.each([
    [
      'prefix=10.233.1',
      'prefix: "10.233.1" is not valid: must be a prefix or an address, e.g. 10.233.1.0/24 or 10.233.1.10',
    ],
    ['family=ipv4-multicast', 'family: "ipv4-multicast" is not valid: must be ipv4 or ipv6'],
    [
      'neighbor=172.18.8.102&direction=both',
      'direction: "both" is not valid: must be in (what the neighbor sent) or out (what we advertise to it)',
    ],
  ])('%s is 400: %s', async (query, error) => {
    expect(await call(new FakeControl(), 'GET /v1/rib', { query })).toEqual({ status: 400, body: { error } });
  });
});

describe('POST /v1/neighbors/refresh', () => {
  it("asks for the address's family unless one is given", async () => {
    const control = new FakeControl();
    control.knownNeighbors.add('fd00::2');
    expect(await call(control, 'POST /v1/neighbors/refresh', { body: { address: 'fd00::2' } })).toEqual({
      status: 200,
      body: { refreshRequested: 'fd00::2', family: 'ipv6-unicast' },
    });
    await call(control, 'POST /v1/neighbors/refresh', { body: { address: '172.18.8.102', family: 'ipv6' } });
    expect(control.calls).toEqual([
      ['requestRefresh', 'fd00::2', 'ipv6-unicast'],
      ['requestRefresh', '172.18.8.102', 'ipv6-unicast'],
    ]);
  });

  it('an unknown neighbor is 404, one that cannot refresh 409, a bad address 400', async () => {
    const control = new FakeControl();
    expect(await call(control, 'POST /v1/neighbors/refresh', { body: { address: '172.18.8.109' } })).toEqual({
      status: 404,
      body: { error: 'no neighbor 172.18.8.109' },
    });
    control.refreshOutcome = 'not-capable';
    expect(await call(control, 'POST /v1/neighbors/refresh', { body: { address: '172.18.8.102' } })).toEqual({
      status: 409,
      body: { error: 'neighbor 172.18.8.102 is not Established with route refresh and ipv4-unicast' },
    });
    expect(await call(control, 'POST /v1/neighbors/refresh', { body: {} })).toEqual({
      status: 400,
      body: { error: "address: missing; it must be a neighbor's address, e.g. 172.18.8.102" },
    });
  });
});

describe('GET /v1/fib and /v1/fib/diff', () => {
  const kernel: ForwardingView = {
    name: 'kernel',
    show: async () => [{ prefix: '10.233.2.0/24', text: '10.233.2.0/24 via 172.18.8.102', detail: {} }],
    diff: async () => [],
  };

  it('the kernel writer unless another is named', async () => {
    const control = new FakeControl();
    control.writers.set('kernel', kernel);
    expect(await call(control, 'GET /v1/fib')).toEqual({
      status: 200,
      body: {
        writer: 'kernel',
        entries: [{ prefix: '10.233.2.0/24', text: '10.233.2.0/24 via 172.18.8.102', detail: {} }],
      },
    });
    expect(await call(control, 'GET /v1/fib/diff', { query: 'writer=kernel' })).toEqual({
      status: 200,
      body: { writer: 'kernel', differences: [] },
    });
  });

  it('a writer not enabled is 409, an unknown one 400, one that cannot read now 503', async () => {
    const control = new FakeControl();
    expect(await call(control, 'GET /v1/fib', { query: 'writer=ovs' })).toEqual({
      status: 409,
      body: { error: 'the OVS writer is not enabled (fib.ovs.enabled)' },
    });
    expect(await call(control, 'GET /v1/fib', { query: 'writer=bird' })).toEqual({
      status: 400,
      body: { error: 'writer: "bird" is not valid: must be kernel or ovs' },
    });
    control.writers.set('ovs', {
      name: 'ovs',
      show: () => Promise.reject(new Error('not connected to br-int')),
      diff: async () => [],
    });
    expect(await call(control, 'GET /v1/fib', { query: 'writer=ovs' })).toEqual({
      status: 503,
      body: { error: 'ovs: not connected to br-int' },
    });
  });
});

describe('POST /v1/config/reload', () => {
  it('replies with the neighbors it changed, or 400 with why the file was refused', async () => {
    const control = new FakeControl();
    expect(await call(control, 'POST /v1/config/reload')).toEqual({
      status: 200,
      body: {
        reloaded: true,
        added: ['172.18.8.103'],
        removed: [],
        restarted: [],
        policiesChanged: [],
        restartRequired: [],
      },
    });
    control.reloadOutcome = { ok: false, reason: 'agent.yaml: asn: missing' };
    expect(await call(control, 'POST /v1/config/reload')).toEqual({
      status: 400,
      body: { error: 'config reload refused, the running configuration stays: agent.yaml: asn: missing' },
    });
  });
});

describe('GET /v1/bfd (bfd show)', () => {
  const session: BfdSessionJson = {
    neighbor: '172.18.8.102',
    localAddress: null,
    multihop: false,
    state: 'up',
    remoteState: 'up',
    localDiscriminator: 1,
    remoteDiscriminator: 2,
    diagnostic: 'No Diagnostic',
    remoteDiagnostic: 'No Diagnostic',
    remoteControlPlaneIndependent: false,
    transmitIntervalMs: 100,
    detectionTimeMs: 300,
    remoteDetectMult: 3,
    configured: { minRxMs: 100, minTxMs: 100, multiplier: 3, hops: 1 },
    upDownSeconds: 5,
    transitions: 2,
    flaps: 0,
    lastDown: null,
    packetsIn: 10,
    packetsOut: 11,
    sourcePort: 49200,
    bgpHeld: false,
  };

  it('lists every session, or the one of an address (canonical), 404 for none', async () => {
    const control = new FakeControl();
    control.bfdList = [session];
    expect(await call(control, 'GET /v1/bfd')).toEqual({ status: 200, body: [session] });
    expect(await call(control, 'GET /v1/bfd', { query: 'address=172.18.8.102' })).toEqual({
      status: 200,
      body: session,
    });
    const missing = await call(control, 'GET /v1/bfd', { query: 'address=172.18.8.9' });
    expect(missing.status).toBe(404);
    const bad = await call(control, 'GET /v1/bfd', { query: 'address=nope' });
    expect(bad).toMatchObject({ status: 400 });
  });
});

describe('neighbor operations and global', () => {
  it.each([
    ['POST /v1/neighbors/reset', { address: '172.18.8.102' }, 'reset'],
    ['POST /v1/neighbors/disable', { address: '172.18.8.102' }, 'disable'],
    ['POST /v1/neighbors/enable', { address: '172.18.8.102' }, 'enable'],
    ['POST /v1/neighbors/softreset', { address: '172.18.8.102', direction: 'in' }, 'softreset-in'],
    ['POST /v1/neighbors/softreset', { address: '172.18.8.102', direction: 'out' }, 'softreset-out'],
  ])('%s %j is %s on that neighbor', async (key, body, operation) => {
    const control = new FakeControl();
    expect(await call(control, key, { body })).toEqual({
      status: 200,
      body: { neighbor: '172.18.8.102', operation },
    });
    expect(control.calls).toEqual([['neighborOperation', '172.18.8.102', operation]]);
  });

  it.each([
    ['an unknown neighbor', 'POST /v1/neighbors/reset', { address: '10.9.9.9' }, 404, 'no neighbor 10.9.9.9'],
    [
      'no address',
      'POST /v1/neighbors/disable',
      {},
      400,
      "address: missing; it must be a neighbor's address, e.g. 172.18.8.102",
    ],
    [
      'a soft reset without a direction',
      'POST /v1/neighbors/softreset',
      { address: '172.18.8.102' },
      400,
      'direction: missing; it must be in (ask the neighbor to send its routes again) or out (send it ours again)',
    ],
  ])('refuses %s', async (_what, key, body, status, error) => {
    const control = new FakeControl();
    expect(await call(control, key, { body })).toEqual({ status, body: { error } });
  });

  it('a soft reset of a session that is not up is 409', async () => {
    const control = new FakeControl();
    control.neighborOutcome = 'not-established';
    expect(
      await call(control, 'POST /v1/neighbors/softreset', {
        body: { address: '172.18.8.102', direction: 'out' },
      }),
    ).toEqual({
      status: 409,
      body: { error: 'neighbor 172.18.8.102 is not Established: nothing to softreset-out' },
    });
  });

  it('GET /v1/global is the agent as it says', async () => {
    const control = new FakeControl();
    expect(await call(control, 'GET /v1/global')).toEqual({ status: 200, body: control.globalInfo });
  });
});

describe('GET /v1/rib filters', () => {
  it('longerPrefixes asks for the whole family and keeps what is inside the prefix', async () => {
    const control = new FakeControl();
    control.ribDestinations = [
      { prefix: '10.233.1.0/24', paths: [] },
      { prefix: '10.234.0.0/24', paths: [] },
    ];
    const reply = await call(control, 'GET /v1/rib', { query: 'prefix=10.233.0.0/16&longerPrefixes=true' });
    expect(reply).toEqual({
      status: 200,
      body: { family: 'ipv4-unicast', destinations: [{ prefix: '10.233.1.0/24', paths: [] }] },
    });
    expect(control.calls).toEqual([['rib', { family: 'ipv4-unicast' }]]);
  });

  it.each([
    ['longerPrefixes=true', 'prefix: missing; longerPrefixes needs a prefix, e.g. 10.233.0.0/16'],
    [
      'community=bogus',
      'community: "bogus" is not valid: must be a community: AS:VALUE (e.g. 64512:100), blackhole, no-export, no-advertise or no-export-subconfed',
    ],
    ['asPathContains=0', 'asPathContains: "0" is not valid: must be an AS number from 1 to 4294967295'],
  ])('refuses %s', async (query, error) => {
    expect(await call(new FakeControl(), 'GET /v1/rib', { query })).toEqual({ status: 400, body: { error } });
  });
});
