// agentctl against a fake agent served on a real unix socket: the whole path
// (argument parsing, HTTP over the socket, the API's routes and checks, the
// printed text and the exit status) with no daemon behind it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApiRoutes } from '../../src/api/routes.js';
import { ControlServer } from '../../src/api/server.js';
import { FakeControl } from '../support/fake-control.js';
import { agentctl, type CliRun } from './helpers.js';

export interface ServedAgent {
  readonly control: FakeControl;
  readonly socket: string;
  /** agentctl --socket <this socket> ...argv */
  run(argv: readonly string[]): Promise<CliRun>;
  close(): Promise<void>;
}

export async function serveFakeAgent(control = new FakeControl()): Promise<ServedAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'agentctl-'));
  const socket = join(dir, 'agent.sock');
  const server = new ControlServer(socket, buildApiRoutes(control));
  await server.start();
  return {
    control,
    socket,
    run: (argv) => agentctl(['--socket', socket, ...argv]),
    close: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
