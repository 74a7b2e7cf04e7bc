// agentctl bfd show [ADDRESS] [--json]: the BFD sessions (RFC 5880), in a
// table like `vtysh show bfd peers brief`, or one in detail.

import type { Command } from 'commander';
import type { BfdSessionJson } from '../api/types.js';
import { canonicalIp } from '../net/ip.js';
import { formatDuration, table } from './format.js';
import { type CliIo, UsageError } from './io.js';
import { request, socketOf } from './request.js';

function sessionTable(sessions: readonly BfdSessionJson[]): string {
  return table(
    ['Neighbor', 'State', 'Up/Down', 'LocalDisc', 'RemoteDisc', 'Tx(ms)', 'Detect(ms)', 'Flaps', 'LastDown'],
    sessions.map((s) => [
      s.neighbor + (s.multihop ? ' (multihop)' : ''),
      s.bgpHeld ? `${s.state} (BGP held)` : s.state,
      formatDuration(s.upDownSeconds),
      String(s.localDiscriminator),
      String(s.remoteDiscriminator),
      String(s.transmitIntervalMs),
      String(s.detectionTimeMs),
      String(s.flaps),
      s.lastDown === null ? '-' : s.lastDown.diagnostic,
    ]),
  );
}

function sessionDetail(s: BfdSessionJson): string {
  const c = s.configured;
  return [
    `BFD session with ${s.neighbor}${s.multihop ? `, multihop (${c.hops} hops)` : ', single-hop'}`,
    `  State ${s.state} for ${formatDuration(s.upDownSeconds)}, remote state ${s.remoteState}${s.bgpHeld ? '; BGP held down until Up' : ''}`,
    `  Discriminators: local ${s.localDiscriminator}, remote ${s.remoteDiscriminator}; source port ${s.sourcePort}`,
    `  Diagnostic: local ${s.diagnostic}, remote ${s.remoteDiagnostic}`,
    `  Configured: min rx ${c.minRxMs} ms, min tx ${c.minTxMs} ms, multiplier ${c.multiplier}`,
    `  Negotiated: transmit every ${s.transmitIntervalMs} ms, detection time ${s.detectionTimeMs} ms (remote multiplier ${s.remoteDetectMult})`,
    `  Remote control plane independent (C bit): ${s.remoteControlPlaneIndependent ? 'yes' : 'no'}`,
    `  Transitions ${s.transitions}, flaps ${s.flaps}${s.lastDown !== null ? `, last down ${formatDuration(s.lastDown.secondsAgo)} ago: ${s.lastDown.diagnostic}${s.lastDown.remoteState === 'adminDown' ? ' (peer AdminDown)' : ''}` : ''}`,
    `  Packets: in ${s.packetsIn}, out ${s.packetsOut}`,
  ].join('\n');
}

export function addBfdCommands(program: Command, io: CliIo): void {
  const bfd = program
    .command('bfd')
    .description('BFD sessions (RFC 5880), one per neighbor with bfd.enabled');
  bfd
    .command('show')
    .description('BFD sessions: state, discriminators, negotiated intervals, last down reason, flaps')
    .argument('[address]', "one neighbor's session in detail")
    .option('--json', 'print JSON', false)
    .action(async (address: string | undefined, options: { json: boolean }, command: Command) => {
      if (address !== undefined) {
        const wanted = canonicalIp(address);
        if (wanted === null) throw new UsageError(`bfd show: "${address}" is not an IP address`);
        const one = (await request(
          socketOf(command),
          'GET',
          `/v1/bfd?address=${encodeURIComponent(wanted)}`,
        )) as BfdSessionJson;
        io.stdout(options.json ? JSON.stringify(one, null, 2) : sessionDetail(one));
        return;
      }
      const sessions = (await request(socketOf(command), 'GET', '/v1/bfd')) as BfdSessionJson[];
      io.stdout(options.json ? JSON.stringify(sessions, null, 2) : sessionTable(sessions));
    });
}
