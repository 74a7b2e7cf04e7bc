// Decoded messages as JSON-safe values and as human-readable text, for
// `agentctl decode`, logs and the control API.

import type { AsPathSegment, PathAttributes } from '../codec/attribute-types.js';
import { assertNever, type Capability } from '../codec/capabilities.js';
import { type BgpError, describeErrorCode } from '../codec/errors.js';
import { attributeTypeName, errorCodeName, errorSubcodeName, SegmentType } from '../codec/iana.js';
import type { BgpMessage } from '../codec/message.js';
import { type Prefixes, prefixToString } from '../codec/nlri.js';
import { formatCommunity, formatExtendedCommunity, formatLargeCommunity } from './communities.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const originNames = ['igp', 'egp', 'incomplete'];
const segmentNames: Readonly<Record<number, string>> = {
  1: 'AS_SET',
  2: 'AS_SEQUENCE',
  3: 'AS_CONFED_SEQUENCE',
  4: 'AS_CONFED_SET',
};

/** "65001 65002 {65003,65004} (65010)" as BGP tools print paths. */
export function formatAsPath(segments: readonly AsPathSegment[]): string {
  return segments
    .map((segment) => {
      const sequence = segment.type === SegmentType.asSequence || segment.type === SegmentType.confedSequence;
      const asns = segment.asns.join(sequence ? ' ' : ',');
      switch (segment.type) {
        case 1:
          return `{${asns}}`;
        case 2:
          return asns;
        case 3:
          return `(${asns})`;
        case 4:
          return `[${asns}]`;
        default:
          return assertNever(segment.type);
      }
    })
    .join(' ');
}

function prefixesJson(prefixes: Prefixes): JsonValue[] {
  const out: JsonValue[] = [];
  for (let i = 0; i < prefixes.count; i++) {
    const prefix = prefixToString(prefixes, i);
    out.push(prefixes.pathIds === null ? prefix : { prefix, pathId: prefixes.pathIds[i] as number });
  }
  return out;
}

function prefixesText(prefixes: Prefixes): string {
  const out: string[] = [];
  for (let i = 0; i < prefixes.count; i++) {
    const prefix = prefixToString(prefixes, i);
    out.push(prefixes.pathIds === null ? prefix : `${prefix} (path-id ${prefixes.pathIds[i]})`);
  }
  return out.join(' ');
}

function capabilityJson(capability: Capability): JsonValue {
  switch (capability.kind) {
    case 'multiprotocol':
      return { kind: capability.kind, afi: capability.afi, safi: capability.safi };
    case 'route-refresh':
    case 'route-refresh-cisco':
    case 'enhanced-route-refresh':
    case 'extended-message':
      return { kind: capability.kind };
    case 'four-octet-as':
      return { kind: capability.kind, asn: capability.asn };
    case 'graceful-restart':
      return {
        kind: capability.kind,
        restarting: capability.restarting,
        notification: capability.notification,
        restartTimeSeconds: capability.restartTimeSeconds,
        families: capability.families.map((f) => ({
          afi: f.afi,
          safi: f.safi,
          forwardingPreserved: f.forwardingPreserved,
        })),
      };
    case 'add-path':
      return {
        kind: capability.kind,
        families: capability.families.map((f) => ({ afi: f.afi, safi: f.safi, mode: f.mode })),
      };
    case 'fqdn':
      return { kind: capability.kind, hostname: capability.hostname, domainName: capability.domainName };
    case 'unknown':
      return { kind: capability.kind, code: capability.code, data: toHex(capability.data) };
    default:
      return assertNever(capability);
  }
}

/** One capability in one line, as decode prints it and neighbor show lists it. */
export function capabilityText(capability: Capability): string {
  switch (capability.kind) {
    case 'multiprotocol':
      return `multiprotocol ${familyName(capability.afi, capability.safi)}`;
    case 'four-octet-as':
      return `4-octet-as ${capability.asn}`;
    case 'graceful-restart': {
      const flags = [capability.restarting ? 'R' : '', capability.notification ? 'N' : ''].join('');
      const families = capability.families
        .map((f) => `${familyName(f.afi, f.safi)}${f.forwardingPreserved ? '(F)' : ''}`)
        .join(',');
      return `graceful-restart time ${capability.restartTimeSeconds}s${flags ? ` flags ${flags}` : ''}${families ? ` ${families}` : ''}`;
    }
    case 'add-path':
      return `add-path ${capability.families.map((f) => `${familyName(f.afi, f.safi)}:${f.mode}`).join(',')}`;
    case 'fqdn':
      return `fqdn ${capability.hostname}${capability.domainName ? `.${capability.domainName}` : ''}`;
    case 'unknown':
      return `unknown capability ${capability.code} (${toHex(capability.data) || 'empty'})`;
    default:
      return capability.kind;
  }
}

/** "ipv4-unicast", "ipv6-unicast", or "afi 25 safi 70". */
export function familyName(afi: number, safi: number): string {
  const a = afi === 1 ? 'ipv4' : afi === 2 ? 'ipv6' : null;
  const s = safi === 1 ? 'unicast' : safi === 2 ? 'multicast' : null;
  return a !== null && s !== null ? `${a}-${s}` : `afi ${afi} safi ${safi}`;
}

function attributesJson(a: PathAttributes): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  if (a.origin !== undefined) out.origin = originNames[a.origin] ?? a.origin;
  if (a.asPath !== undefined)
    out.asPath = a.asPath.map((s) => ({ type: segmentNames[s.type] ?? s.type, asns: [...s.asns] }));
  if (a.nextHop !== undefined) out.nextHop = a.nextHop;
  if (a.med !== undefined) out.med = a.med;
  if (a.localPref !== undefined) out.localPref = a.localPref;
  if (a.atomicAggregate === true) out.atomicAggregate = true;
  if (a.aggregator !== undefined) out.aggregator = { asn: a.aggregator.asn, address: a.aggregator.address };
  if (a.communities !== undefined) out.communities = a.communities.map(formatCommunity);
  if (a.originatorId !== undefined) out.originatorId = a.originatorId;
  if (a.clusterList !== undefined) out.clusterList = [...a.clusterList];
  if (a.mpReach !== undefined) {
    const m = a.mpReach;
    out.mpReach = {
      afi: m.afi,
      safi: m.safi,
      nextHops: [...m.nextHops],
      nlri: m.prefixes === null ? null : prefixesJson(m.prefixes),
      ...(m.opaque !== null ? { opaque: toHex(m.opaque) } : {}),
    };
  }
  if (a.mpUnreach !== undefined) {
    const m = a.mpUnreach;
    out.mpUnreach = {
      afi: m.afi,
      safi: m.safi,
      withdrawn: m.prefixes === null ? null : prefixesJson(m.prefixes),
      ...(m.opaque !== null ? { opaque: toHex(m.opaque) } : {}),
    };
  }
  if (a.extendedCommunities !== undefined)
    out.extendedCommunities = a.extendedCommunities.map(formatExtendedCommunity);
  if (a.as4Path !== undefined)
    out.as4Path = a.as4Path.map((s) => ({ type: segmentNames[s.type] ?? s.type, asns: [...s.asns] }));
  if (a.as4Aggregator !== undefined)
    out.as4Aggregator = { asn: a.as4Aggregator.asn, address: a.as4Aggregator.address };
  if (a.largeCommunities !== undefined) out.largeCommunities = a.largeCommunities.map(formatLargeCommunity);
  if (a.unknown !== undefined) {
    out.unknown = a.unknown.map((u) => ({ code: u.code, flags: u.flags, data: toHex(u.data) }));
  }
  return out;
}

/** A decoded message as plain JSON (prefixes as text, bytes as hex). */
export function messageToJson(message: BgpMessage): { [key: string]: JsonValue } {
  switch (message.type) {
    case 'open':
      return {
        type: 'open',
        version: message.version,
        myAsn: message.myAsn,
        holdTimeSeconds: message.holdTimeSeconds,
        bgpIdentifier: message.bgpIdentifier,
        extendedParameters: message.extendedParameters,
        capabilities: message.parameters.flatMap((p) =>
          p.type === 'capabilities'
            ? p.capabilities.map(capabilityJson)
            : [{ kind: 'parameter', code: p.code, data: toHex(p.data) }],
        ),
      };
    case 'update':
      return {
        type: 'update',
        withdrawn: prefixesJson(message.withdrawn),
        attributes: attributesJson(message.attributes),
        nlri: prefixesJson(message.nlri),
      };
    case 'notification':
      return {
        type: 'notification',
        code: message.code,
        subcode: message.subcode,
        codeName: errorCodeName(message.code),
        subcodeName: errorSubcodeName(message.code, message.subcode),
        data: toHex(message.data),
        ...(message.shutdownMessage !== undefined ? { shutdownMessage: message.shutdownMessage } : {}),
      };
    case 'keepalive':
      return { type: 'keepalive' };
    case 'routeRefresh':
      return {
        type: 'routeRefresh',
        afi: message.afi,
        safi: message.safi,
        subtype: message.subtype,
        subtypeName: ['refresh', 'BoRR', 'EoRR'][message.subtype] ?? `reserved ${message.subtype}`,
      };
    default:
      return assertNever(message);
  }
}

export function errorToJson(error: BgpError): { [key: string]: JsonValue } {
  return {
    code: error.code,
    subcode: error.subcode,
    action: error.action,
    reason: error.reason,
    name: describeErrorCode(error.code, error.subcode),
    data: toHex(error.data),
  };
}

/** One line: "UPDATE Message Error / Malformed AS_PATH (3/11), treat-as-withdraw: AS_PATH segment of length zero". */
export function errorToText(error: BgpError): string {
  return `${describeErrorCode(error.code, error.subcode)}, ${error.action}: ${error.reason}`;
}

function attributesText(a: PathAttributes): string[] {
  const lines: string[] = [];
  if (a.origin !== undefined)
    lines.push(`ORIGIN: ${(originNames[a.origin] ?? String(a.origin)).toUpperCase()}`);
  if (a.asPath !== undefined) lines.push(`AS_PATH: ${formatAsPath(a.asPath) || '(empty)'}`);
  if (a.nextHop !== undefined) lines.push(`NEXT_HOP: ${a.nextHop}`);
  if (a.med !== undefined) lines.push(`MULTI_EXIT_DISC: ${a.med}`);
  if (a.localPref !== undefined) lines.push(`LOCAL_PREF: ${a.localPref}`);
  if (a.atomicAggregate === true) lines.push('ATOMIC_AGGREGATE');
  if (a.aggregator !== undefined) lines.push(`AGGREGATOR: AS ${a.aggregator.asn} ${a.aggregator.address}`);
  if (a.communities !== undefined) lines.push(`COMMUNITIES: ${a.communities.map(formatCommunity).join(' ')}`);
  if (a.originatorId !== undefined) lines.push(`ORIGINATOR_ID: ${a.originatorId}`);
  if (a.clusterList !== undefined) lines.push(`CLUSTER_LIST: ${a.clusterList.join(' ')}`);
  if (a.mpReach !== undefined) {
    const m = a.mpReach;
    lines.push(`MP_REACH_NLRI: ${familyName(m.afi, m.safi)} next hop ${m.nextHops.join(' ') || '-'}`);
    if (m.prefixes !== null) lines.push(`  NLRI: ${prefixesText(m.prefixes) || '(none)'}`);
    if (m.opaque !== null) lines.push(`  (undecoded) ${toHex(m.opaque)}`);
  }
  if (a.mpUnreach !== undefined) {
    const m = a.mpUnreach;
    lines.push(`MP_UNREACH_NLRI: ${familyName(m.afi, m.safi)}`);
    if (m.prefixes !== null) lines.push(`  Withdrawn: ${prefixesText(m.prefixes) || '(none: End-of-RIB)'}`);
  }
  if (a.extendedCommunities !== undefined) {
    lines.push(`EXTENDED_COMMUNITIES: ${a.extendedCommunities.map(formatExtendedCommunity).join(' ')}`);
  }
  if (a.as4Path !== undefined) lines.push(`AS4_PATH: ${formatAsPath(a.as4Path)}`);
  if (a.as4Aggregator !== undefined)
    lines.push(`AS4_AGGREGATOR: AS ${a.as4Aggregator.asn} ${a.as4Aggregator.address}`);
  if (a.largeCommunities !== undefined) {
    lines.push(`LARGE_COMMUNITIES: ${a.largeCommunities.map(formatLargeCommunity).join(' ')}`);
  }
  for (const u of a.unknown ?? []) {
    lines.push(
      `${attributeTypeName(u.code)} (flags 0x${u.flags.toString(16)}): ${toHex(u.data) || '(empty)'}`,
    );
  }
  return lines;
}

/** Human-readable, one field per line. */
export function messageToText(message: BgpMessage, length?: number): string {
  const size = length === undefined ? '' : ` (${length} octets)`;
  switch (message.type) {
    case 'open': {
      const lines = [
        `OPEN${size}`,
        `  version ${message.version}, my AS ${message.myAsn}, hold time ${message.holdTimeSeconds}s, BGP identifier ${message.bgpIdentifier}${message.extendedParameters ? ', RFC 9072 extended parameters' : ''}`,
      ];
      for (const parameter of message.parameters) {
        if (parameter.type === 'capabilities') {
          for (const capability of parameter.capabilities)
            lines.push(`  capability ${capabilityText(capability)}`);
        } else {
          lines.push(`  optional parameter ${parameter.code}: ${toHex(parameter.data)}`);
        }
      }
      return lines.join('\n');
    }
    case 'update': {
      const lines = [`UPDATE${size}`];
      if (message.withdrawn.count > 0) lines.push(`  Withdrawn: ${prefixesText(message.withdrawn)}`);
      for (const line of attributesText(message.attributes)) lines.push(`  ${line}`);
      if (message.nlri.count > 0) lines.push(`  NLRI: ${prefixesText(message.nlri)}`);
      if (lines.length === 1) lines.push('  End-of-RIB ipv4-unicast');
      return lines.join('\n');
    }
    case 'notification': {
      const lines = [`NOTIFICATION${size}`, `  ${describeErrorCode(message.code, message.subcode)}`];
      if (message.shutdownMessage !== undefined)
        lines.push(`  shutdown communication: "${message.shutdownMessage}"`);
      else if (message.data.length > 0) lines.push(`  data: ${toHex(message.data)}`);
      return lines.join('\n');
    }
    case 'keepalive':
      return `KEEPALIVE${size}`;
    case 'routeRefresh': {
      const kind = ['refresh request', 'BoRR (beginning of route refresh)', 'EoRR (end of route refresh)'][
        message.subtype
      ];
      return `ROUTE-REFRESH${size}\n  ${familyName(message.afi, message.safi)} ${kind ?? `reserved subtype ${message.subtype}`}`;
    }
    default:
      return assertNever(message);
  }
}
