// systemd readiness (Type=notify): the agent sends READY=1 on $NOTIFY_SOCKET
// once its listeners and the kernel writer are up, from its own PID (so
// NotifyAccess=main accepts it), and not before. The test listens on the
// datagram socket itself (socat) and, as READY=1 arrives, finds the BGP port
// listening and the control socket answering.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_BIN, AGENTCTL_BIN } from '../../lab/agent.js';
import { until } from '../support/until.js';

const namespace = `sdn-${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'sd-notify-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  spawnSync('ip', ['netns', 'del', namespace]);
  rmSync(dir, { recursive: true, force: true });
});

describe('sd_notify', () => {
  it('READY=1 arrives from the agent PID once the BGP listener and the control socket are up', async () => {
    spawnSync('ip', ['netns', 'add', namespace]);
    spawnSync('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    const notifySocket = join(dir, 'notify.sock');
    const apiSocket = join(dir, 'agent.sock');
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      [
        'asn: 64512',
        'routerId: 10.0.0.1',
        'listen: { address: 127.0.0.1, port: 1790 }',
        'neighbors: [{ address: 127.0.0.2, asn: 64512, passive: true }]',
        `api: { socket: ${apiSocket} }`,
        'metrics: { listen: "" }',
        '',
      ].join('\n'),
    );
    // socat prints each datagram it gets; -u: one way.
    const receiver = spawn('socat', ['-u', `UNIX-RECV:${notifySocket}`, 'STDOUT'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(receiver);
    await until(() => existsSync(notifySocket), 5_000);
    let received = '';
    let stateAtReady: { listening: boolean; api: number | null } | null = null;
    receiver.stdout?.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (stateAtReady === null && received.includes('READY=1')) {
        const listening = spawnSync('ip', ['netns', 'exec', namespace, 'ss', '-Hltn', 'sport = :1790'], {
          encoding: 'utf8',
        }).stdout.includes('127.0.0.1:1790');
        const api = spawnSync('node', [AGENTCTL_BIN, '--socket', apiSocket, 'neighbor', 'show'], {
          encoding: 'utf8',
        }).status;
        stateAtReady = { listening, api };
      }
    });
    const agent = spawn('ip', ['netns', 'exec', namespace, 'node', AGENT_BIN, '--config', config], {
      env: { ...process.env, NOTIFY_SOCKET: notifySocket },
      stdio: 'ignore',
    });
    children.push(agent);
    await until(() => stateAtReady !== null, 15_000, 20);
    expect(stateAtReady).toEqual({ listening: true, api: 0 });
    expect(received).toMatch(/^READY=1\n/);
    // ip netns exec execs node in place: the agent's PID is the one we spawned.
    expect(received).toContain(`MAINPID=${agent.pid}\n`);
    agent.kill('SIGTERM');
    await until(() => received.includes('STOPPING=1'), 10_000, 20);
  }, 30_000);
});
