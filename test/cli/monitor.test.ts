// agentctl monitor through the control socket against a fake agent: events
// as lines (text or JSON) until the agent ends the stream; and the server
// dropping a client that stops reading instead of buffering for it.

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { MonitorEvent } from '../../src/api/types.js';
import { until } from '../support/until.js';
import { type ServedAgent, serveFakeAgent } from './served.js';

let served: ServedAgent | null = null;
afterEach(async () => {
  await served?.close();
  served = null;
});

const withdrawn: MonitorEvent = {
  type: 'rib',
  time: '2026-12-04T20:00:00.000Z',
  family: 'ipv4-unicast',
  prefix: '10.233.2.0/24',
  best: null,
};
const down: MonitorEvent = {
  type: 'neighbor',
  time: '2026-12-04T20:00:01.000Z',
  neighbor: '172.18.8.102',
  from: 'established',
  to: 'idle',
  reason: 'hold timer expired',
};

describe('agentctl monitor', () => {
  it.each([
    [
      [],
      [
        '2026-12-04T20:00:00.000Z rib 10.233.2.0/24 withdrawn',
        '2026-12-04T20:00:01.000Z neighbor 172.18.8.102 established -> idle (hold timer expired)',
      ],
    ],
    [['--json'], [JSON.stringify(withdrawn), JSON.stringify(down)]],
  ])('%j: one line per event until the agent ends the stream', async (extra, lines) => {
    const agent = await serveFakeAgent();
    served = agent;
    const running = agent.run(['monitor', ...extra]);
    await until(() => agent.control.monitors.size === 1, 5000);
    for (const emit of agent.control.monitors) {
      emit(withdrawn);
      emit(down);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    await agent.close();
    served = null;
    const result = await running;
    expect(result).toEqual({ code: 0, stdout: `${lines.join('\n')}\n`, stderr: '' });
    expect(agent.control.calls).toEqual([['monitor', ['rib', 'neighbor']]]);
  });

  it('monitor rib asks for the RIB only; a bad kind is a usage error', async () => {
    const agent = await serveFakeAgent();
    served = agent;
    const running = agent.run(['monitor', 'rib']);
    await until(() => agent.control.monitors.size === 1, 5000);
    expect(agent.control.calls).toEqual([['monitor', ['rib']]]);
    await agent.close();
    served = null;
    await running;
    expect(
      (
        await serveFakeAgent().then(async (a) => {
          served = a;
          return a.run(['monitor', 'routes']);
        })
      ).stderr,
    ).toBe('agentctl: monitor: "routes" is not rib or neighbor\n');
  });

  it('a client that stops reading is dropped, and the agent stops producing for it', async () => {
    const agent = await serveFakeAgent();
    served = agent;
    const socket = net.connect({ path: agent.socket });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /v1/monitor?kinds=rib HTTP/1.1\r\nHost: agent\r\n\r\n');
    socket.pause(); // never reads
    let closed = false;
    socket.on('close', () => {
      closed = true;
    });
    await until(() => agent.control.monitors.size === 1, 5000);
    const emit = [...agent.control.monitors][0] as (event: MonitorEvent) => void;
    const big: MonitorEvent = { ...withdrawn, prefix: `10.${'9'.repeat(2000)}` };
    for (let i = 0; i < 20_000 && agent.control.monitors.size === 1; i++) emit(big);
    expect(agent.control.monitors.size).toBe(0);
    // Reading what got through, the client then finds the connection closed.
    socket.resume();
    await until(() => closed, 5000);
  });
});
