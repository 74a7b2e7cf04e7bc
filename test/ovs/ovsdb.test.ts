// OVSDB (RFC 7047): the stream splitter at every split point, table-update
// replicas and bridge facts in every data shape the server uses, and the
// JSON-RPC client against a scripted server on a unix socket (echo answered,
// ids matched, errors and closes as rejections).
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OvsdbClient } from '../../src/ovs/ovsdb/client.js';
import {
  applyTableUpdates,
  bridgeFacts,
  factsKey,
  type Replica,
  setAtoms,
  uuidOf,
} from '../../src/ovs/ovsdb/facts.js';
import { type Json, JsonStreamSplitter } from '../../src/ovs/ovsdb/framing.js';
import { until } from '../support/until.js';

describe('JsonStreamSplitter', () => {
  const texts = [
    '{"id":1,"result":[{"rows":[{"name":"br-int"}]}],"error":null}',
    '{"method":"update","params":["m",{"Bridge":{"u":{"new":{"name":"a}b{\\"c"}}}}],"id":null}',
    '["x",{"y":"]"}]',
    '{"s":"é ✓ \\\\"}',
  ];
  const stream = Buffer.from(`${texts.join('')}\n`, 'utf8');

  it('finds every text however the bytes are split (braces inside strings, escapes, multibyte UTF-8)', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      for (const second of [cut, Math.min(stream.length, cut + 7)]) {
        const splitter = new JsonStreamSplitter();
        const out: string[] = [];
        for (const part of [stream.subarray(0, cut), stream.subarray(cut, second), stream.subarray(second)]) {
          const result = splitter.push(part);
          expect(result.ok).toBe(true);
          if (result.ok) out.push(...result.texts);
        }
        expect(out).toEqual(texts);
      }
    }
  });

  it('rejects garbage between texts and unbalanced closers', () => {
    expect(new JsonStreamSplitter().push('{"a":1} x').ok).toBe(false);
    expect(new JsonStreamSplitter().push('}').ok).toBe(false);
  });
});

/** A Bridge/Port/Interface replica as ovsdb-server sends it to a monitor. */
function replicaOf(updates: Json): Replica {
  const replica: Replica = new Map();
  expect(applyTableUpdates(replica, updates)).toBe(true);
  return replica;
}

const initial: Json = {
  Bridge: {
    b1: {
      new: {
        name: 'br-int',
        ports: [
          'set',
          [
            ['uuid', 'p1'],
            ['uuid', 'p2'],
            ['uuid', 'p3'],
          ],
        ],
      },
    },
    b2: { new: { name: 'other', ports: ['uuid', 'p9'] } },
  },
  Port: {
    p1: { new: { name: 'eth1', interfaces: ['uuid', 'i1'] } },
    p2: { new: { name: 'vx0', interfaces: ['uuid', 'i2'] } },
    p3: { new: { name: 'br-int', interfaces: ['uuid', 'i3'] } },
    p9: { new: { name: 'elsewhere', interfaces: ['uuid', 'i9'] } },
  },
  Interface: {
    i1: { new: { name: 'eth1', ofport: 1, mac_in_use: '8A:09:C8:F4:C4:06', type: '' } },
    i2: { new: { name: 'vx0', ofport: 10, mac_in_use: 'c6:12:f4:97:52:9a', type: 'vxlan' } },
    i3: { new: { name: 'br-int', ofport: ['set', []], mac_in_use: ['set', []], type: 'internal' } },
    i9: { new: { name: 'elsewhere', ofport: 3, mac_in_use: '02:00:00:00:00:09', type: '' } },
  },
};

describe('bridge facts from a monitor replica', () => {
  it('reads ports of the named bridge only, with ofport and mac_in_use (sets of one may be bare)', () => {
    const facts = bridgeFacts(replicaOf(initial), 'br-int');
    expect(facts.present).toBe(true);
    expect([...facts.ports.keys()].sort()).toEqual(['br-int', 'eth1', 'vx0']);
    expect(facts.ports.get('eth1')).toEqual({ name: 'eth1', ofport: 1, mac: '8a:09:c8:f4:c4:06', type: '' });
    expect(facts.ports.get('vx0')).toMatchObject({ ofport: 10, type: 'vxlan' });
    expect(facts.ports.get('br-int')).toEqual({ name: 'br-int', ofport: null, mac: null, type: 'internal' });
  });

  it('applies modify and delete updates; ofport -1 (failed) counts as no port', () => {
    const replica = replicaOf(initial);
    const before = factsKey(bridgeFacts(replica, 'br-int'));
    applyTableUpdates(replica, {
      Interface: {
        i1: {
          old: { ofport: 1 },
          new: { name: 'eth1', ofport: -1, mac_in_use: '8a:09:c8:f4:c4:06', type: '' },
        },
      },
    });
    expect(bridgeFacts(replica, 'br-int').ports.get('eth1')?.ofport).toBeNull();
    expect(factsKey(bridgeFacts(replica, 'br-int'))).not.toBe(before);
    applyTableUpdates(replica, { Bridge: { b1: { old: { name: 'br-int' } } } });
    expect(bridgeFacts(replica, 'br-int')).toMatchObject({ present: false });
  });

  it('a missing bridge is not present; malformed updates are refused', () => {
    expect(bridgeFacts(replicaOf(initial), 'br-ex').present).toBe(false);
    expect(applyTableUpdates(new Map(), ['not', 'updates'])).toBe(false);
    expect(setAtoms(['set', [1, 2]])).toEqual([1, 2]);
    expect(setAtoms('x')).toEqual(['x']);
    expect(uuidOf(['uuid', 'abc'])).toBe('abc');
    expect(uuidOf(['named-uuid', 'abc'])).toBeNull();
  });
});

describe('OvsdbClient', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsdb-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A server that echoes our requests back through a script. */
  async function withServer(
    script: (socket: net.Socket, message: { method?: string; id?: Json; params?: Json }) => void,
    body: (client: OvsdbClient, server: { sockets: net.Socket[] }) => Promise<void>,
  ): Promise<void> {
    const path = join(dir, `s${Math.random().toString(16).slice(2)}.sock`);
    const state = { sockets: [] as net.Socket[] };
    const server = net.createServer((socket) => {
      state.sockets.push(socket);
      const splitter = new JsonStreamSplitter();
      socket.on('data', (chunk) => {
        const result = splitter.push(chunk);
        if (result.ok) for (const text of result.texts) script(socket, JSON.parse(text));
      });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = await OvsdbClient.connect(`unix:${path}`, { requestTimeoutMs: 2000 });
    try {
      await body(client, state);
    } finally {
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it('matches responses by id, answers echo, passes notifications on, and writes in pieces', async () => {
    const echoed: Json[] = [];
    await withServer(
      (socket, message) => {
        if (message.method === 'list_dbs') {
          // The response arrives in two pieces, after an echo request and a notification.
          const response = JSON.stringify({ id: message.id, result: ['Open_vSwitch'], error: null });
          socket.write(JSON.stringify({ method: 'echo', params: ['ping'], id: 'echo-1' }));
          socket.write(JSON.stringify({ method: 'update', params: ['mon', { Bridge: {} }], id: null }));
          socket.write(response.slice(0, 10));
          setTimeout(() => socket.write(response.slice(10)), 20);
        } else if (message.id === 'echo-1') {
          echoed.push(message as Json);
        }
      },
      async (client) => {
        const notifications: string[] = [];
        client.onNotification((method) => notifications.push(method));
        expect(await client.request('list_dbs', [])).toEqual(['Open_vSwitch']);
        expect(notifications).toEqual(['update']);
        await until(() => echoed.length > 0);
        expect(echoed).toEqual([{ result: ['ping'], error: null, id: 'echo-1' }]);
      },
    );
  });

  it('an error response rejects with the error; a closed server rejects pending requests', async () => {
    await withServer(
      (socket, message) => {
        if (message.method === 'transact')
          socket.write(JSON.stringify({ id: message.id, result: null, error: 'unknown database' }));
        if (message.method === 'monitor') socket.destroy();
      },
      async (client) => {
        await expect(client.transact('Nope', [])).rejects.toThrow(/unknown database/);
        const closed = new Promise<Error>((resolve) => client.onClose(resolve));
        await expect(client.request('monitor', [])).rejects.toThrow(/closed/);
        expect((await closed).message).toMatch(/closed/);
        expect(client.closed).toBe(true);
      },
    );
  });

  it('connecting to a missing socket rejects (the watcher turns that into a retry)', async () => {
    await expect(OvsdbClient.connect(`unix:${join(dir, 'absent.sock')}`)).rejects.toThrow(/ENOENT/);
    await expect(OvsdbClient.connect('nonsense')).rejects.toThrow(/unix:PATH/);
  });
});
