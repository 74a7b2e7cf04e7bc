// agentctl global: the agent itself (gobgp global): who it is, where it
// listens, how long it has run, and how much it holds.

import type { Command } from 'commander';
import type { GlobalJson } from '../api/types.js';
import { formatDuration } from './format.js';
import type { CliIo } from './io.js';
import { request, socketOf } from './request.js';

export function formatGlobal(global: GlobalJson): string {
  const rows: [string, string][] = [
    ['AS', String(global.asn)],
    ['Router ID', global.routerId],
    [
      'Listen',
      global.listen.port === 0 ? 'not listening (port 0)' : `${global.listen.address}:${global.listen.port}`,
    ],
    ['Version', global.version],
    ['Uptime', formatDuration(global.uptimeSeconds)],
    ['Graceful Restart', global.gracefulRestart ? 'on' : 'off'],
    ['Neighbors', `${global.neighbors.configured} configured, ${global.neighbors.established} established`],
    [
      'Prefixes',
      Object.entries(global.prefixes)
        .map(([family, count]) => `${family} ${count}`)
        .join(', '),
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`).join('\n');
}

export function addGlobalCommand(program: Command, io: CliIo): void {
  program
    .command('global')
    .description('the agent: AS, router ID, listen address, version, uptime, neighbor and prefix counts')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }, command: Command) => {
      const global = (await request(socketOf(command), 'GET', '/v1/global')) as GlobalJson;
      io.stdout(options.json ? JSON.stringify(global, null, 2) : formatGlobal(global));
    });
}
