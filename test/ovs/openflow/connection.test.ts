// The OpenFlow connection and batch transaction against a scripted switch on
// a unix socket: handshake, echo, xid matching, multipart reassembly, errors
// as rejections, a refused HELLO, and a bundle whose commit fails (nothing
// applied, the refusal traced to its message) or whose switch has no bundles.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sendBatch } from '../../../src/ovs/openflow/batch.js';
import { ByteWriter } from '../../../src/ovs/openflow/buffer.js';
import { OpenflowConnection } from '../../../src/ovs/openflow/connection.js';
import { OfpBundleCtrlType, OfpMultipartType } from '../../../src/ovs/openflow/constants.js';
import {
  decodeMessage,
  encodeMessage,
  frameLength,
  type OfMessage,
  writeEcho,
  writeGroupDescRequest,
} from '../../../src/ovs/openflow/messages.js';
import { until } from '../../support/until.js';

const dir = mkdtempSync(join(tmpdir(), 'of-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Reply = (message: OfMessage, send: (m: OfMessage) => void, socket: net.Socket) => void;

/** A switch that answers HELLO and FEATURES itself and everything else through `script`. */
async function fakeSwitch(script: Reply, options: { hello?: OfMessage } = {}) {
  const path = join(dir, `sw${Math.random().toString(16).slice(2)}.sock`);
  const received: OfMessage[] = [];
  const server = net.createServer((socket) => {
    const send = (m: OfMessage) => socket.write(encodeMessage(m));
    send(options.hello ?? { type: 'hello', xid: 100, version: 6, bitmap: null });
    let rest = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      rest = Buffer.concat([rest, chunk]);
      for (;;) {
        const length = frameLength(rest);
        if (length === null || length < 0 || rest.length < length) break;
        const frame = rest.subarray(0, length);
        rest = rest.subarray(length);
        const decoded = decodeMessage(Buffer.from(frame));
        if (!decoded.ok) continue;
        const m = decoded.value;
        received.push(m);
        if (m.type === 'hello') continue;
        if (m.type === 'featuresRequest') {
          send({
            type: 'featuresReply',
            xid: m.xid,
            datapathId: 0xabcn,
            nBuffers: 0,
            nTables: 254,
            auxiliaryId: 0,
            capabilities: 0,
          });
          continue;
        }
        script(m, send, socket);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    target: { kind: 'unix' as const, path },
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function bytes(write: (w: ByteWriter) => void): Buffer {
  const w = new ByteWriter();
  write(w);
  return w.toBuffer();
}

describe('OpenflowConnection', () => {
  it('handshakes (HELLO, FEATURES), matches replies by xid, reassembles multipart replies', async () => {
    const sw = await fakeSwitch((m, send) => {
      if (m.type === 'barrierRequest') send({ type: 'barrierReply', xid: m.xid });
      if (m.type === 'multipartRequest') {
        send({
          type: 'multipartReply',
          xid: m.xid,
          multipartType: OfpMultipartType.GROUP_DESC,
          flags: 1,
          body: Buffer.alloc(0),
        });
        send({ type: 'echoRequest', xid: 77, data: Buffer.from('hi') });
        send({
          type: 'multipartReply',
          xid: m.xid,
          multipartType: OfpMultipartType.GROUP_DESC,
          flags: 0,
          body: Buffer.alloc(0),
        });
      }
    });
    const connection = await OpenflowConnection.connect(sw.target);
    try {
      expect(connection.features).toEqual({ datapathId: 0xabcn, nTables: 254 });
      await connection.barrier();
      const xid = connection.nextXid();
      const parts = await connection.request(
        xid,
        bytes((w) => writeGroupDescRequest(w, xid)),
        { multipart: true },
      );
      expect(parts).toHaveLength(2);
      await until(() => sw.received.some((m) => m.type === 'echoReply'));
      expect(sw.received.find((m) => m.type === 'echoReply')).toMatchObject({
        xid: 77,
        data: Buffer.from('hi'),
      });
      const hello = sw.received.find((m) => m.type === 'hello');
      expect(hello).toMatchObject({ version: 4, bitmap: [4] });
    } finally {
      connection.close();
      await sw.close();
    }
  });

  it('an error with a request xid rejects that request; a closed switch rejects what is pending', async () => {
    let barriers = 0;
    const sw = await fakeSwitch((m, send, socket) => {
      if (m.type !== 'barrierRequest') return;
      barriers++;
      if (barriers === 1)
        send({ type: 'error', xid: m.xid, errorType: 1, code: 1, experimenter: null, data: Buffer.alloc(0) });
      else socket.destroy();
    });
    const connection = await OpenflowConnection.connect(sw.target);
    try {
      await expect(connection.barrier()).rejects.toThrow(/BAD_REQUEST/);
      const closed = new Promise<Error>((resolve) => connection.onClose(resolve));
      await expect(connection.barrier()).rejects.toThrow(/closed/);
      await closed;
      expect(connection.closed).toBe(true);
    } finally {
      connection.close();
      await sw.close();
    }
  });

  it('a switch that refuses 1.3 at HELLO is a readable error, and so is one that only speaks 1.0', async () => {
    const refusing = await fakeSwitch(() => undefined, {
      hello: {
        type: 'error',
        xid: 1,
        errorType: 0,
        code: 0,
        experimenter: null,
        data: Buffer.from('version negotiation failed'),
      },
    });
    await expect(OpenflowConnection.connect(refusing.target)).rejects.toThrow(
      /refused OpenFlow 1.3.*protocols=OpenFlow13/,
    );
    await refusing.close();
    const old = await fakeSwitch(() => undefined, {
      hello: { type: 'hello', xid: 1, version: 1, bitmap: null },
    });
    await expect(OpenflowConnection.connect(old.target)).rejects.toThrow(/does not speak OpenFlow 1.3/);
    await old.close();
  });

  it('drops a switch that stops answering echo requests', async () => {
    const sw = await fakeSwitch(() => undefined); // never answers ECHO
    const connection = await OpenflowConnection.connect(sw.target, {
      echoIntervalMs: 50,
      echoTimeoutMs: 150,
    });
    const closed = new Promise<Error>((resolve) => connection.onClose(resolve));
    expect((await closed).message).toMatch(/no echo reply/);
    await sw.close();
  });

  it('echo requests keep a quiet connection alive when answered', async () => {
    const sw = await fakeSwitch((m, send) => {
      if (m.type === 'echoRequest') send({ type: 'echoReply', xid: m.xid, data: m.data });
    });
    const connection = await OpenflowConnection.connect(sw.target, {
      echoIntervalMs: 50,
      echoTimeoutMs: 150,
    });
    // Three echo rounds outlast the 150 ms timeout twice over.
    await until(() => sw.received.filter((m) => m.type === 'echoRequest').length > 6);
    expect(connection.closed).toBe(false);
    connection.close();
    await sw.close();
  });
});

describe('sendBatch', () => {
  /** A bundle-speaking switch: collects ADDs, fails the commit when a message asks for it. */
  function bundleSwitch(failIndex: number | null, supportBundles = true): Reply {
    const adds: OfMessage[] = [];
    return (m, send) => {
      if (m.type === 'bundleControl' && !supportBundles) {
        send({ type: 'error', xid: m.xid, errorType: 1, code: 3, experimenter: null, data: Buffer.alloc(0) });
        return;
      }
      if (m.type === 'bundleControl' && m.controlType === OfpBundleCtrlType.OPEN_REQUEST)
        send({
          type: 'bundleControl',
          xid: m.xid,
          bundleId: m.bundleId,
          controlType: OfpBundleCtrlType.OPEN_REPLY,
          flags: 0,
        });
      if (m.type === 'bundleAdd') adds.push(m);
      if (m.type === 'barrierRequest') send({ type: 'barrierReply', xid: m.xid });
      if (m.type === 'echoRequest') send({ type: 'echoReply', xid: m.xid, data: m.data });
      if (m.type === 'bundleControl' && m.controlType === OfpBundleCtrlType.COMMIT_REQUEST) {
        const bad = failIndex === null ? undefined : adds[failIndex];
        if (bad) {
          send({
            type: 'error',
            xid: bad.xid,
            errorType: 2,
            code: 9,
            experimenter: null,
            data: encodeMessage(bad).subarray(0, 64),
          });
          send({
            type: 'error',
            xid: m.xid,
            errorType: 0xffff,
            code: 2313,
            experimenter: 0x4f4e4600,
            data: Buffer.alloc(0),
          });
        } else {
          send({
            type: 'bundleControl',
            xid: m.xid,
            bundleId: m.bundleId,
            controlType: OfpBundleCtrlType.COMMIT_REPLY,
            flags: 0,
          });
        }
      }
      if (m.type === 'echoReply' || m.type === 'other') return;
    };
  }

  const encode = (w: ByteWriter, _index: number, xid: number) =>
    writeEcho(w, 'request', xid, Buffer.from('x'));

  it('commits a bundle: OPEN, one ADD per message with its own xid, BARRIER, COMMIT', async () => {
    const sw = await fakeSwitch(bundleSwitch(null));
    const connection = await OpenflowConnection.connect(sw.target);
    try {
      const result = await sendBatch(connection, 3, encode, { bundle: true, bundleId: 5 });
      expect(result).toEqual({ outcome: 'committed', failed: new Map(), error: null });
      const kinds = sw.received
        .filter((m) => m.type !== 'hello' && m.type !== 'featuresRequest')
        .map((m) => m.type);
      expect(kinds).toEqual([
        'bundleControl',
        'bundleAdd',
        'bundleAdd',
        'bundleAdd',
        'barrierRequest',
        'bundleControl',
      ]);
      const adds = sw.received.filter((m) => m.type === 'bundleAdd');
      for (const add of adds)
        if (add.type === 'bundleAdd') expect(decodeMessage(add.message).ok && add.bundleId).toBe(5);
    } finally {
      connection.close();
      await sw.close();
    }
  });

  it('a commit refused because of one message reports that message by index', async () => {
    const sw = await fakeSwitch(bundleSwitch(1));
    const connection = await OpenflowConnection.connect(sw.target);
    try {
      const result = await sendBatch(connection, 3, encode, { bundle: true, bundleId: 6 });
      expect(result.outcome).toBe('rejected');
      expect([...result.failed]).toEqual([[1, 'BAD_ACTION/BAD_OUT_GROUP']]);
      expect(result.error).toMatch(/BUNDLE_MSG_FAILED/);
    } finally {
      connection.close();
      await sw.close();
    }
  });

  it('a switch without ONF bundles: outcome unsupported; plain batches still work', async () => {
    const sw = await fakeSwitch(bundleSwitch(null, false));
    const connection = await OpenflowConnection.connect(sw.target);
    try {
      expect((await sendBatch(connection, 2, encode, { bundle: true, bundleId: 1 })).outcome).toBe(
        'unsupported',
      );
      expect((await sendBatch(connection, 2, encode, { bundle: false, bundleId: 0 })).outcome).toBe(
        'committed',
      );
    } finally {
      connection.close();
      await sw.close();
    }
  });

  it('a connection lost mid-batch is "closed", not an exception', async () => {
    const sw = await fakeSwitch((m, _send, socket) => {
      if (m.type === 'bundleControl') socket.destroy();
    });
    const connection = await OpenflowConnection.connect(sw.target);
    try {
      expect((await sendBatch(connection, 2, encode, { bundle: true, bundleId: 1 })).outcome).toBe('closed');
    } finally {
      connection.close();
      await sw.close();
    }
  });
});
