// agentctl neighbor reset|disable|enable ADDRESS and neighbor softreset
// ADDRESS --in|--out (gobgp neighbor ADDRESS reset|shutdown|enable|softreset).

import type { Command } from 'commander';
import type { NeighborBody, SoftResetBody } from '../api/requests.js';
import type { NeighborOperation } from '../api/types.js';
import { canonicalIp } from '../net/ip.js';
import { type CliIo, UsageError } from './io.js';
import { request, socketOf } from './request.js';

const done: Readonly<Record<NeighborOperation, (address: string) => string>> = {
  reset: (a) => `neighbor ${a}: reset (Cease/Administrative Reset)`,
  disable: (a) => `neighbor ${a}: disabled (Cease/Administrative Shutdown); neighbor enable ${a} starts it`,
  enable: (a) => `neighbor ${a}: enabled`,
  'softreset-in': (a) => `neighbor ${a}: asked to send its routes again (ROUTE-REFRESH)`,
  'softreset-out': (a) => `neighbor ${a}: our routes sent again`,
};

function checkedAddress(verb: string, address: string): string {
  const canonical = canonicalIp(address);
  if (canonical === null) throw new UsageError(`neighbor ${verb}: "${address}" is not an IP address`);
  return canonical;
}

export function addNeighborOperations(neighbor: Command, io: CliIo): void {
  const simple: readonly [NeighborOperation & ('reset' | 'disable' | 'enable'), string][] = [
    ['reset', 'Cease/Administrative Reset, then the session comes back (gobgp neighbor ADDRESS reset)'],
    ['disable', 'Cease/Administrative Shutdown; the session stays down until enable or a restart'],
    ['enable', 'start a disabled session again'],
  ];
  for (const [operation, description] of simple) {
    neighbor
      .command(operation)
      .description(description)
      .argument('<address>', 'the neighbor')
      .option('--json', 'print the reply as JSON', false)
      .action(async (address: string, options: { json: boolean }, command: Command) => {
        const body: NeighborBody = { address: checkedAddress(operation, address) };
        const reply = await request(socketOf(command), 'POST', `/v1/neighbors/${operation}`, body);
        io.stdout(options.json ? JSON.stringify(reply, null, 2) : done[operation](body.address));
      });
  }
  neighbor
    .command('softreset')
    .description('--in: ask the neighbor for its routes again (ROUTE-REFRESH); --out: send it ours again')
    .argument('<address>', 'the neighbor')
    .option('--in', 'ask the neighbor to send its routes again', false)
    .option('--out', 'send the neighbor our routes again', false)
    .option('--json', 'print the reply as JSON', false)
    .action(
      async (address: string, options: { in: boolean; out: boolean; json: boolean }, command: Command) => {
        if (options.in === options.out)
          throw new UsageError(
            'neighbor softreset: give --in (ask the neighbor to send its routes again) or --out (send it ours again)',
          );
        const body: SoftResetBody = {
          address: checkedAddress('softreset', address),
          direction: options.in ? 'in' : 'out',
        };
        const reply = await request(socketOf(command), 'POST', '/v1/neighbors/softreset', body);
        io.stdout(
          options.json
            ? JSON.stringify(reply, null, 2)
            : done[options.in ? 'softreset-in' : 'softreset-out'](body.address),
        );
      },
    );
}
