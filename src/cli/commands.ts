// agentctl's daemon-facing commands: neighbor, fib, config, and the rib
// (./rib.ts) (gobgp-style noun-verb; every read command takes --json and
// then prints the API's JSON).

import type { Command } from 'commander';
import type { RefreshBody } from '../api/requests.js';
import type {
  FibDiffReply,
  FibShowReply,
  MessageTypeCounts,
  NeighborJson,
  ReloadReply,
} from '../api/types.js';
import { canonicalIp } from '../net/ip.js';
import { familyOption } from './family-option.js';
import { formatDuration, formatState, table } from './format.js';
import { type CliIo, CommandFailure, UsageError } from './io.js';
import { addNeighborOperations } from './neighbor-operations.js';
import { request, socketOf } from './request.js';
import { addRibCommands } from './rib.js';

function neighborTable(neighbors: readonly NeighborJson[]): string {
  const rows = table(
    ['Peer', 'AS', 'Up/Down', 'State', 'MsgRcvd', 'MsgSent', 'Received', 'Accepted', 'Advertised', 'BFD'],
    neighbors.map((n) => [
      // FRR's mark for a neighbor that came from a listen range.
      n.listenRange !== null ? `*${n.address}` : n.address,
      String(n.asn),
      formatDuration(n.upDownSeconds),
      formatState(n.state),
      String(n.messagesIn),
      String(n.messagesOut),
      String(n.prefixes.received),
      String(n.prefixes.accepted),
      String(n.prefixes.advertised),
      n.bfd ?? '-',
    ]),
  );
  return neighbors.some((n) => n.listenRange !== null)
    ? `${rows}\n* dynamic neighbor (from a listenRanges prefix)`
    : rows;
}

function countsText(counts: MessageTypeCounts): string {
  return `open ${counts.open}, update ${counts.update}, notification ${counts.notification}, keepalive ${counts.keepalive}, route-refresh ${counts.routeRefresh}`;
}

function neighborDetail(n: NeighborJson): string {
  const lines = [
    `BGP neighbor is ${n.address}, remote AS ${n.asn}${n.description !== null ? ` (${n.description})` : ''}`,
    ...(n.listenRange !== null
      ? [`  Dynamic neighbor from listen range ${n.listenRange}, peer group ${n.peerGroup ?? '-'}`]
      : n.peerGroup !== null
        ? [`  Peer group ${n.peerGroup}`]
        : []),
    `  BGP state = ${formatState(n.state)}, ${n.state === 'established' ? 'up' : 'down'} for ${formatDuration(n.upDownSeconds)}`,
    `  Messages: received ${n.messagesIn} (${n.updatesIn} updates), sent ${n.messagesOut} (${n.updatesOut} updates)`,
    `  Prefixes: received ${n.prefixes.received}, accepted ${n.prefixes.accepted}, advertised ${n.prefixes.advertised}`,
    `  Flaps: ${n.flaps}${n.lastError !== null ? `, last: ${n.lastError}` : ''}`,
    `  Output queue: ${n.outQueueBytes} octets`,
    `  BFD: ${n.bfd ?? 'not configured'}`,
    `  Configured: hold time ${n.configured.holdTimeSeconds}s, connect retry ${n.configured.connectRetrySeconds}s, ${n.configured.passive ? 'passive' : 'active'}, ${n.configured.families.join(', ')}`,
    `  Messages received: ${countsText(n.messages.in)}`,
    `  Messages sent: ${countsText(n.messages.out)}`,
  ];
  const s = n.session;
  if (s !== null) {
    lines.push(
      `  Router ID ${s.peerRouterId}${s.peerHostname !== null ? ` (hostname ${s.peerHostname})` : ''}, local address ${s.localAddress ?? '-'}`,
      `  Negotiated: hold time ${s.holdTimeSeconds}s, keepalive ${s.keepaliveSeconds}s`,
      `  Families: ${s.families.join(', ')}`,
      `  Capabilities: ${[
        s.fourOctetAs ? '4-octet-as' : '',
        s.routeRefresh ? 'route-refresh' : '',
        s.enhancedRouteRefresh ? 'enhanced-route-refresh' : '',
        s.extendedMessage ? 'extended-message' : '',
        s.gracefulRestart ? 'graceful-restart' : '',
        ...Object.entries(s.addPath)
          .filter(([, d]) => d.send || d.receive)
          .map(
            ([family, d]) =>
              `add-path ${family} ${d.send && d.receive ? 'both' : d.send ? 'send' : 'receive'}`,
          ),
      ]
        .filter((c) => c !== '')
        .join(', ')}`,
      `  Capabilities sent: ${s.capabilitiesSent.join(', ')}`,
      `  Capabilities received: ${s.capabilitiesReceived.join(', ')}`,
    );
  }
  return lines.join('\n');
}

export function addDaemonCommands(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const neighbor = program.command('neighbor').description('BGP neighbors');
  neighbor
    // Bare `agentctl neighbor [ADDRESS]` lists (or shows one), as gobgp does.
    .command('show', { isDefault: true })
    .description('neighbors and their sessions (gobgp neighbor); the default')
    .argument('[address]', 'one neighbor in detail')
    .option('--json', 'print JSON', false)
    .action(async (address: string | undefined, options: { json: boolean }, command: Command) => {
      const neighbors = (await request(socketOf(command), 'GET', '/v1/neighbors')) as NeighborJson[];
      if (address !== undefined) {
        const wanted = canonicalIp(address);
        if (wanted === null) throw new UsageError(`neighbor show: "${address}" is not an IP address`);
        const one = neighbors.find((n) => n.address === wanted);
        if (one === undefined) throw new CommandFailure(`no neighbor ${wanted}`);
        io.stdout(options.json ? JSON.stringify(one, null, 2) : neighborDetail(one));
        return;
      }
      io.stdout(options.json ? JSON.stringify(neighbors, null, 2) : neighborTable(neighbors));
    });
  neighbor
    .command('refresh')
    .description('ask a neighbor to send its routes again (outbound ROUTE-REFRESH, RFC 2918)')
    .argument('<address>', 'the neighbor')
    .option('--family <family>', 'ipv4 or ipv6')
    .action(async (address: string, options: { family?: string }, command: Command) => {
      const family = familyOption(options.family);
      const body: RefreshBody = { address, ...(family !== undefined ? { family } : {}) };
      await request(socketOf(command), 'POST', '/v1/neighbors/refresh', body);
      io.stdout(`route refresh requested from ${address}`);
    });
  addNeighborOperations(neighbor, io);

  addRibCommands(program, io);

  const fib = program
    .command('fib')
    .description('the forwarding plane the agent programs (kernel routes, OVS flows)');
  fib
    .command('show')
    .description('the routes the agent owns in the kernel (proto bgp in its table), or its flows with --ovs')
    .option('--ovs', 'the OVS flows instead of kernel routes', false)
    .option('--json', 'print JSON', false)
    .action(async (options: { ovs: boolean; json: boolean }, command: Command) => {
      const result = (await request(
        socketOf(command),
        'GET',
        `/v1/fib?writer=${options.ovs ? 'ovs' : 'kernel'}`,
      )) as FibShowReply;
      io.stdout(
        options.json
          ? JSON.stringify(result, null, 2)
          : result.entries.map((e) => e.text).join('\n') || '(none)',
      );
    });
  fib
    .command('diff')
    .description('desired versus programmed: empty when converged')
    .option('--ovs', 'the OVS flows instead of kernel routes', false)
    .option('--json', 'print JSON', false)
    .action(async (options: { ovs: boolean; json: boolean }, command: Command) => {
      const result = (await request(
        socketOf(command),
        'GET',
        `/v1/fib/diff?writer=${options.ovs ? 'ovs' : 'kernel'}`,
      )) as FibDiffReply;
      // Like diff(1): 1 when there is a difference, so a probe or script can test it.
      if (result.differences.length > 0) setExitCode(1);
      if (options.json) io.stdout(JSON.stringify(result, null, 2));
      else if (result.differences.length === 0) io.stdout('in sync');
      else {
        io.stdout(
          table(
            ['Prefix', 'Problem', 'Desired', 'Actual'],
            result.differences.map((d) => [d.prefix, d.problem, d.desired ?? '-', d.actual ?? '-']),
          ),
        );
      }
    });

  const config = program.command('config').description('the configuration file');
  config
    .command('reload')
    .description('re-read the configuration and apply the difference (same as SIGHUP)')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }, command: Command) => {
      const result = (await request(socketOf(command), 'POST', '/v1/config/reload')) as ReloadReply;
      if (options.json) io.stdout(JSON.stringify(result, null, 2));
      else {
        const lines = [
          `configuration reloaded: ${result.added.length} neighbor(s) added, ${result.removed.length} removed, ${result.restarted.length} restarted`,
        ];
        if (result.policiesChanged.length > 0)
          lines.push(
            `policies changed: ${result.policiesChanged.map((c) => `${c.address} (${c.policies.join(', ')})`).join(', ')}`,
          );
        if (result.restartRequired.length > 0)
          lines.push(
            `take effect at the next start (systemctl restart agent): ${result.restartRequired.join(', ')}`,
          );
        io.stdout(lines.join('\n'));
      }
    });
}
