// agentctl rib: show (with --explain, --summary and the filters), add and
// del (gobgp global rib). The table as gobgp prints it, the add arguments
// as gobgp takes them.

import type { Command } from 'commander';
import type { RibAddBody } from '../api/requests.js';
import type { DestinationJson, PathJson, RibReply, RibSummaryReply } from '../api/types.js';
import { maskedIfHostBits, parsePrefix } from '../bgp/codec/nlri.js';
import { familyOfAfi, familyTable } from '../bgp/family.js';
import { parseCommunity, parseLargeCommunity } from '../bgp/format/communities.js';
import { canonicalIp, ipFamilyOf } from '../net/ip.js';
import { familyOption } from './family-option.js';
import { formatDuration, table } from './format.js';
import { type CliIo, UsageError } from './io.js';
import { request, socketOf } from './request.js';
import { formatRibSummary } from './rib-summary.js';

function attrsText(path: PathJson): string {
  const parts = [`{Origin: ${path.origin === 'igp' ? 'i' : path.origin === 'egp' ? 'e' : '?'}}`];
  if (path.med !== undefined) parts.push(`{Med: ${path.med}}`);
  if (path.localPref !== undefined) parts.push(`{LocalPref: ${path.localPref}}`);
  if (path.communities.length > 0) parts.push(`{Communities: ${path.communities.join(', ')}}`);
  if (path.largeCommunities.length > 0) parts.push(`{LargeCommunity: ${path.largeCommunities.join(', ')}}`);
  if (path.extendedCommunities.length > 0) parts.push(`{Extcomms: ${path.extendedCommunities.join(', ')}}`);
  if (path.originatorId !== undefined) parts.push(`{Originator: ${path.originatorId}}`);
  if (path.clusterList !== undefined) parts.push(`{ClusterList: [${path.clusterList.join(', ')}]}`);
  if (path.aggregator !== undefined)
    parts.push(`{Aggregate: {AS: ${path.aggregator.asn}, Address: ${path.aggregator.address}}}`);
  if (path.atomicAggregate === true) parts.push('{AtomicAggregate}');
  return `[${parts.join(' ')}]`;
}

function marker(path: PathJson): string {
  const valid = path.accepted && path.eligible ? '*' : ' ';
  const state = path.best ? '>' : path.installed ? '=' : ' ';
  return `${valid}${state}${path.stale ? 'S' : ''}`;
}

function ribTable(destinations: readonly DestinationJson[], explain: boolean): string {
  const rows: string[][] = [];
  for (const destination of destinations) {
    destination.paths.forEach((path, index) => {
      const row = [
        marker(path),
        index === 0 ? destination.prefix : '',
        path.linkLocalNextHop !== undefined ? `${path.nextHop} (${path.linkLocalNextHop})` : path.nextHop,
        path.neighbor,
        path.asPath,
        formatDuration(path.ageSeconds),
        attrsText(path),
      ];
      if (explain) row.push(path.best ? 'best path' : (path.reason ?? ''));
      rows.push(row);
    });
  }
  if (rows.length === 0) return 'Network not in table';
  const header = ['', 'Network', 'Next Hop', 'From', 'AS_PATH', 'Age', 'Attrs'];
  if (explain) header.push('Why');
  return table(header, rows);
}

/** "rib add" arguments after the prefix: gobgp-style keyword/value pairs. */
export function parseRibAddArguments(prefix: string, words: readonly string[]): RibAddBody {
  const syntax =
    'syntax: rib add PREFIX [nexthop ADDRESS] [community AS:VALUE|blackhole|no-export|no-advertise ...] [large-community G:D1:D2 ...] [med N] [local-pref N]';
  const parsed = parsePrefix(prefix);
  if (parsed === null)
    throw new UsageError(`rib add: "${prefix}" is not a prefix (e.g. 10.233.1.0/24); ${syntax}`);
  const masked = maskedIfHostBits(prefix);
  if (masked !== null) throw new UsageError(`rib add: ${prefix} has host bits set; write ${masked}`);
  const body: RibAddBody = { prefix };
  const communities: string[] = [];
  const largeCommunities: string[] = [];
  const number = (keyword: string, value: string | undefined): number => {
    if (value === undefined || !/^\d+$/.test(value) || Number(value) > 0xffffffff) {
      throw new UsageError(
        `rib add: ${keyword} needs a number from 0 to 4294967295, got "${value ?? ''}"; ${syntax}`,
      );
    }
    return Number(value);
  };
  for (let i = 0; i < words.length; i++) {
    const keyword = words[i] as string;
    const value = words[i + 1];
    switch (keyword) {
      case 'nexthop':
      case 'next-hop': {
        const version = value === undefined ? null : ipFamilyOf(value);
        const wanted = familyTable[familyOfAfi(parsed.afi)].ipVersion;
        if (value === undefined || version !== wanted) {
          throw new UsageError(`rib add: nexthop "${value ?? ''}" is not an IPv${wanted} address; ${syntax}`);
        }
        body.nextHop = canonicalIp(value);
        i++;
        break;
      }
      case 'community':
      case 'communities': {
        if (value === undefined) throw new UsageError(`rib add: community needs a value; ${syntax}`);
        for (const c of value.split(',')) {
          if (parseCommunity(c) === null)
            throw new UsageError(`rib add: community "${c}" is not AS:VALUE or a well-known name; ${syntax}`);
          communities.push(c.toLowerCase());
        }
        i++;
        // gobgp style: "community A B" takes further values until the next keyword.
        while (
          i + 1 < words.length &&
          parseCommunity(words[i + 1] as string) !== null &&
          !isKeyword(words[i + 1] as string)
        ) {
          communities.push((words[++i] as string).toLowerCase());
        }
        break;
      }
      case 'large-community': {
        if (value === undefined || parseLargeCommunity(value) === null) {
          throw new UsageError(
            `rib add: large-community "${value ?? ''}" is not GLOBAL:DATA1:DATA2; ${syntax}`,
          );
        }
        largeCommunities.push(value);
        i++;
        break;
      }
      case 'med':
        body.med = number('med', value);
        i++;
        break;
      case 'local-pref':
      case 'localpref':
        body.localPref = number('local-pref', value);
        i++;
        break;
      default:
        throw new UsageError(`rib add: unknown argument "${keyword}"; ${syntax}`);
    }
  }
  if (communities.length > 0) body.communities = communities;
  if (largeCommunities.length > 0) body.largeCommunities = largeCommunities;
  return body;
}

function isKeyword(word: string): boolean {
  return [
    'nexthop',
    'next-hop',
    'community',
    'communities',
    'large-community',
    'med',
    'local-pref',
    'localpref',
  ].includes(word);
}

export function addRibCommands(program: Command, io: CliIo): void {
  const rib = program.command('rib').description('the routing table');
  rib
    // Bare `agentctl rib [PREFIX]` lists, as gobgp does.
    .command('show', { isDefault: true })
    .description('routes (gobgp global rib); PREFIX exact, or an ADDRESS for the longest match; the default')
    .argument('[prefix]', 'a prefix or an address')
    .option('--family <family>', 'ipv4 or ipv6')
    .option('--neighbor <address>', "one neighbor's routes")
    .option('--in', 'with --neighbor: what it sent us (Adj-RIB-In, also routes the policy rejected)', false)
    .option('--out', 'with --neighbor: what we advertise to it (Adj-RIB-Out)', false)
    .option('--explain', 'say why the best path won and why each other path lost', false)
    .option('--summary', 'counts per family and per neighbor instead of routes', false)
    .option('--longer-prefixes', 'with PREFIX: it and every prefix inside it', false)
    .option('--community <community>', 'only paths carrying it (AS:VALUE, blackhole, no-export, ...)')
    .option('--as-path-contains <asn>', 'only paths whose AS_PATH contains this AS')
    .option('--json', 'print JSON', false)
    .action(
      async (
        prefix: string | undefined,
        options: {
          family?: string;
          neighbor?: string;
          in: boolean;
          out: boolean;
          explain: boolean;
          summary: boolean;
          longerPrefixes: boolean;
          community?: string;
          asPathContains?: string;
          json: boolean;
        },
        command: Command,
      ) => {
        if (options.summary) {
          if (prefix !== undefined || options.neighbor !== undefined)
            throw new UsageError(
              'rib show --summary: counts the whole RIB; give no PREFIX and no --neighbor',
            );
          const summary = (await request(socketOf(command), 'GET', '/v1/rib/summary')) as RibSummaryReply;
          io.stdout(options.json ? JSON.stringify(summary, null, 2) : formatRibSummary(summary));
          return;
        }
        const family = familyOption(options.family);
        if ((options.in || options.out) && options.neighbor === undefined)
          throw new UsageError('rib show: --in and --out need --neighbor ADDRESS');
        if (options.in && options.out) throw new UsageError('rib show: give --in or --out, not both');
        if (
          prefix !== undefined &&
          parsePrefix(prefix.includes('/') ? prefix : `${prefix}/${ipFamilyOf(prefix) === 6 ? 128 : 32}`) ===
            null
        ) {
          throw new UsageError(
            `rib show: "${prefix}" is not a prefix or an address (e.g. 10.233.1.0/24 or 10.233.1.10)`,
          );
        }
        const masked = prefix === undefined ? null : maskedIfHostBits(prefix);
        if (masked !== null) throw new UsageError(`rib show: ${prefix} has host bits set; write ${masked}`);
        if (options.longerPrefixes && !(prefix ?? '').includes('/'))
          throw new UsageError('rib show --longer-prefixes: give a PREFIX, e.g. 10.233.0.0/16');
        if (options.community !== undefined && parseCommunity(options.community) === null)
          throw new UsageError(
            `rib show --community: "${options.community}" is not AS:VALUE or a well-known name (blackhole, no-export, ...)`,
          );
        if (
          options.asPathContains !== undefined &&
          !(/^\d{1,10}$/.test(options.asPathContains) && Number(options.asPathContains) <= 0xffffffff)
        )
          throw new UsageError(
            `rib show --as-path-contains: "${options.asPathContains}" is not an AS number`,
          );
        const query = new URLSearchParams();
        if (prefix !== undefined) query.set('prefix', prefix);
        if (options.longerPrefixes) query.set('longerPrefixes', 'true');
        if (options.community !== undefined) query.set('community', options.community);
        if (options.asPathContains !== undefined) query.set('asPathContains', options.asPathContains);
        if (family !== undefined) query.set('family', family);
        if (options.neighbor !== undefined) {
          query.set('neighbor', options.neighbor);
          query.set('direction', options.out ? 'out' : 'in');
        }
        const result = (await request(socketOf(command), 'GET', `/v1/rib?${query}`)) as RibReply;
        io.stdout(
          options.json
            ? JSON.stringify(result, null, 2)
            : ribTable(
                result.destinations,
                options.explain || (prefix !== undefined && !options.longerPrefixes),
              ),
        );
      },
    );
  rib
    .command('add')
    .description(
      'originate a route: rib add PREFIX [nexthop X] [community A:B|blackhole|no-export ...] [med N] [local-pref N]',
    )
    .argument('<prefix>', 'e.g. 10.233.1.0/24')
    .argument('[attributes...]', 'nexthop, community, large-community, med, local-pref')
    .action(async (prefix: string, words: string[], _options: unknown, command: Command) => {
      const body = parseRibAddArguments(prefix, words);
      await request(socketOf(command), 'POST', '/v1/rib', body);
      io.stdout(`added ${prefix}`);
    });
  rib
    .command('del')
    .description('withdraw a route added with rib add (or from originate:)')
    .argument('<prefix>', 'e.g. 10.233.1.0/24')
    .action(async (prefix: string, _options: unknown, command: Command) => {
      if (parsePrefix(prefix) === null)
        throw new UsageError(
          `rib del: "${prefix}" is not a prefix (e.g. 10.233.1.0/24); syntax: rib del PREFIX`,
        );
      const masked = maskedIfHostBits(prefix);
      if (masked !== null) throw new UsageError(`rib del: ${prefix} has host bits set; write ${masked}`);
      await request(socketOf(command), 'DELETE', `/v1/rib?prefix=${encodeURIComponent(prefix)}`);
      io.stdout(`deleted ${prefix}`);
    });
}
