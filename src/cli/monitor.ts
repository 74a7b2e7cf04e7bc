// agentctl monitor [rib|neighbor] [--json]: best-path changes and session
// state changes as they happen (gobgp monitor global rib / monitor neighbor),
// one line each, until the agent stops or ^C.

import type { Command } from 'commander';
import { AgentUnreachable, streamAgent } from '../api/client.js';
import type { ErrorReply, MonitorEvent } from '../api/types.js';
import { type CliIo, CommandFailure, UsageError } from './io.js';
import { socketOf } from './request.js';

export function monitorLine(event: MonitorEvent): string {
  if (event.type === 'neighbor') {
    return `${event.time} neighbor ${event.neighbor} ${event.from} -> ${event.to}${event.reason !== null ? ` (${event.reason})` : ''}`;
  }
  const best = event.best;
  if (best === null) return `${event.time} rib ${event.prefix} withdrawn`;
  const asPath = best.asPath === '' ? '' : ` [${best.asPath}]`;
  return `${event.time} rib ${event.prefix} via ${best.nextHop} from ${best.neighbor}${asPath}`;
}

export function addMonitorCommand(program: Command, io: CliIo): void {
  program
    .command('monitor')
    .description('follow best-path changes (rib) and session state changes (neighbor) as they happen')
    .argument('[kind]', 'rib or neighbor (default: both)')
    .option('--json', 'one JSON object per line', false)
    .action(async (kind: string | undefined, options: { json: boolean }, command: Command) => {
      if (kind !== undefined && kind !== 'rib' && kind !== 'neighbor')
        throw new UsageError(`monitor: "${kind}" is not rib or neighbor`);
      const path = `/v1/monitor?kinds=${kind ?? 'rib,neighbor'}`;
      let refused: Awaited<ReturnType<typeof streamAgent>>;
      try {
        refused = await streamAgent(socketOf(command), path, (value) => {
          const event = value as MonitorEvent;
          io.stdout(options.json ? JSON.stringify(event) : monitorLine(event));
        });
      } catch (error) {
        if (error instanceof AgentUnreachable) throw new CommandFailure(error.message);
        throw error;
      }
      if (refused !== null)
        throw new CommandFailure(
          (refused.body as Partial<ErrorReply> | undefined)?.error ?? `HTTP ${refused.status}`,
        );
    });
}
