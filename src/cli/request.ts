// One call to the daemon over its control socket, as every daemon-facing
// command makes it: the reply's body, or a CommandFailure with the agent's
// one-line refusal (or why it could not be reached).

import type { Command } from 'commander';
import { AgentUnreachable, callAgent } from '../api/client.js';
import type { ErrorReply } from '../api/types.js';
import { CommandFailure } from './io.js';

export async function request(
  socket: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  try {
    const reply = await callAgent(socket, method, path, body);
    if (reply.status >= 400) {
      const message = (reply.body as Partial<ErrorReply> | undefined)?.error ?? `HTTP ${reply.status}`;
      throw new CommandFailure(message);
    }
    return reply.body;
  } catch (error) {
    if (error instanceof AgentUnreachable) throw new CommandFailure(error.message);
    throw error;
  }
}

export function socketOf(command: Command): string {
  return (command.optsWithGlobals() as { socket: string }).socket;
}
