// What a client may send: the body or query of each request as a zod schema,
// and what it becomes once checked. Every message is the fix ("must be ..."),
// so a refusal names the field and what to write there (./validate.ts).
// Unknown keys are ignored, as they were before these schemas.

import { z } from 'zod';
import { maskedIfHostBits, parsePrefix } from '../bgp/codec/nlri.js';
import {
  type AddressFamily,
  familyByName,
  familyDescriptors,
  familyOfAfi,
  familyOfIpVersion,
  familyTable,
} from '../bgp/family.js';
import { parseCommunity, parseLargeCommunity } from '../bgp/format/communities.js';
import { canonicalIp, ipFamilyOf } from '../net/ip.js';
import type { LocalRouteRequest, RibDirection, RibSelection, WriterName } from './control.js';
import type { RibFilter } from './rib-filter.js';
import type { MonitorKind } from './types.js';

const JSON_OBJECT = 'must be a JSON object';

const PREFIX = 'must be a prefix, e.g. 10.233.1.0/24 or fd00:233:1::/64';
/** Host bits are refused with the prefix meant, as the config file and agentctl refuse them. */
function refuseHostBits(text: string, context: z.RefinementCtx): void {
  const masked = maskedIfHostBits(text);
  if (masked !== null) context.addIssue({ code: 'custom', message: `host bits are set; write ${masked}` });
}

const prefix = z
  .string({ error: PREFIX })
  .refine((text) => parsePrefix(text) !== null, { error: PREFIX })
  .superRefine(refuseHostBits);

/** The family of "10.233.1.0/24" or "10.233.1.10", or null when it is neither. */
function familyOfPrefixOrAddress(text: string): AddressFamily | null {
  if (text.includes('/')) {
    const parsed = parsePrefix(text);
    return parsed === null ? null : familyOfAfi(parsed.afi);
  }
  const version = ipFamilyOf(text);
  return version === null ? null : familyOfIpVersion(version);
}

const PREFIX_OR_ADDRESS = 'must be a prefix or an address, e.g. 10.233.1.0/24 or 10.233.1.10';
const prefixOrAddress = z
  .string({ error: PREFIX_OR_ADDRESS })
  .refine((text) => familyOfPrefixOrAddress(text) !== null, { error: PREFIX_OR_ADDRESS })
  .superRefine(refuseHostBits);

/** "ipv4" as agentctl sends it, or the full family name. */
const FAMILY = `must be ${familyDescriptors.map((d) => d.shortName).join(' or ')}`;
const family = z
  .string({ error: FAMILY })
  .refine((name) => familyByName(name) !== null, { error: FAMILY })
  .transform((name): AddressFamily => familyByName(name) as AddressFamily);

const COMMUNITY =
  'must be a community: AS:VALUE (e.g. 64512:100), blackhole, no-export, no-advertise or no-export-subconfed';
const community = z
  .string({ error: COMMUNITY })
  .refine((text) => parseCommunity(text) !== null, { error: COMMUNITY });

const LARGE_COMMUNITY = 'must be a large community GLOBAL:DATA1:DATA2, e.g. 64512:1:2';
const largeCommunity = z
  .string({ error: LARGE_COMMUNITY })
  .refine((text) => parseLargeCommunity(text) !== null, { error: LARGE_COMMUNITY });

const uint32 = (what: string) => {
  const fix = `must be ${what}, an integer from 0 to 4294967295`;
  return z.number({ error: fix }).int({ error: fix }).min(0, { error: fix }).max(0xffffffff, { error: fix });
};

const NEXT_HOP = 'must be an IPv4 or IPv6 address of the prefix family, or null for this agent';
const nextHop = z
  .string({ error: NEXT_HOP })
  .refine((text) => ipFamilyOf(text) !== null, { error: NEXT_HOP });

/** POST /v1/rib: originate a route (agentctl rib add). */
export const ribAddRequest = z
  .object(
    {
      prefix,
      nextHop: nextHop.nullable().optional(),
      communities: z
        .array(community, { error: 'must be a list of communities, e.g. ["64512:100"]' })
        .optional(),
      largeCommunities: z
        .array(largeCommunity, { error: 'must be a list of large communities, e.g. ["64512:1:2"]' })
        .optional(),
      med: uint32('a MED').nullable().optional(),
      localPref: uint32('a LOCAL_PREF').nullable().optional(),
    },
    { error: JSON_OBJECT },
  )
  .superRefine((body, context) => {
    const parsed = parsePrefix(body.prefix);
    const prefixVersion = parsed === null ? null : familyTable[familyOfAfi(parsed.afi)].ipVersion;
    if (typeof body.nextHop === 'string' && ipFamilyOf(body.nextHop) !== prefixVersion) {
      context.addIssue({
        code: 'custom',
        path: ['nextHop'],
        message: `must be an IPv${prefixVersion} address, as the prefix ${body.prefix} is`,
      });
    }
  })
  .transform(
    (body): LocalRouteRequest => ({
      prefix: body.prefix,
      nextHop: typeof body.nextHop === 'string' ? (canonicalIp(body.nextHop) ?? body.nextHop) : null,
      communities: body.communities ?? [],
      largeCommunities: body.largeCommunities ?? [],
      med: body.med ?? null,
      localPref: body.localPref ?? null,
    }),
  );
export type RibAddBody = z.input<typeof ribAddRequest>;

const AS_NUMBER = 'must be an AS number from 1 to 4294967295';

const NEIGHBOR_ADDRESS = "must be a neighbor's address, e.g. 172.18.8.102";

/** POST /v1/neighbors/refresh: outbound ROUTE-REFRESH; the family defaults to the address's. */
export const refreshRequest = z
  .object(
    {
      address: z
        .string({ error: NEIGHBOR_ADDRESS })
        .refine((text) => canonicalIp(text) !== null, { error: NEIGHBOR_ADDRESS }),
      family: family.optional(),
    },
    { error: JSON_OBJECT },
  )
  .transform((body) => ({
    address: body.address,
    family: body.family ?? familyOfIpVersion(ipFamilyOf(body.address) ?? 4),
  }));
export type RefreshBody = z.input<typeof refreshRequest>;

const neighborAddress = z
  .string({ error: NEIGHBOR_ADDRESS })
  .refine((text) => canonicalIp(text) !== null, { error: NEIGHBOR_ADDRESS })
  .transform((text) => canonicalIp(text) as string);

/** POST /v1/neighbors/reset, /disable, /enable: one neighbor. */
export const neighborRequest = z.object({ address: neighborAddress }, { error: JSON_OBJECT });
export type NeighborBody = z.input<typeof neighborRequest>;

/** POST /v1/neighbors/softreset: in (ask it for its routes again) or out (send ours again). */
export const softResetRequest = z.object(
  {
    address: neighborAddress,
    direction: z.enum(['in', 'out'], {
      error: 'must be in (ask the neighbor to send its routes again) or out (send it ours again)',
    }),
  },
  { error: JSON_OBJECT },
);
export type SoftResetBody = z.input<typeof softResetRequest>;

/**
 * GET /v1/rib: the Loc-RIB, or with neighbor one neighbor's routes. The
 * family defaults to the prefix's, else IPv4.
 */
export const ribQuery = z
  .object({
    prefix: prefixOrAddress.optional(),
    family: family.optional(),
    neighbor: z.string().optional(),
    direction: z
      .enum(['in', 'out'], { error: 'must be in (what the neighbor sent) or out (what we advertise to it)' })
      .default('in'),
    longerPrefixes: z
      .enum(['true', 'false'], { error: 'must be true (PREFIX and every prefix inside it) or false' })
      .optional(),
    community: community.optional(),
    asPathContains: z
      .string({ error: AS_NUMBER })
      .regex(/^\d{1,10}$/, { error: AS_NUMBER })
      .refine((text) => Number(text) >= 1 && Number(text) <= 0xffffffff, { error: AS_NUMBER })
      .optional(),
  })
  .superRefine((query, context) => {
    if (query.longerPrefixes === 'true' && !(query.prefix ?? '').includes('/'))
      context.addIssue({
        code: 'custom',
        path: ['prefix'],
        message: 'longerPrefixes needs a prefix, e.g. 10.233.0.0/16',
      });
  })
  .transform((query) => {
    const longer = query.longerPrefixes === 'true';
    const selection: RibSelection = {
      family:
        query.family ??
        (query.prefix === undefined ? null : familyOfPrefixOrAddress(query.prefix)) ??
        'ipv4-unicast',
      // Longer prefixes: the whole table, then those inside the prefix (rib-filter.ts).
      ...(query.prefix !== undefined && !longer ? { prefix: query.prefix } : {}),
    };
    const direction: RibDirection = query.direction;
    const filter: RibFilter = {
      ...(longer && query.prefix !== undefined ? { longerPrefixesOf: query.prefix } : {}),
      ...(query.community !== undefined ? { community: query.community } : {}),
      ...(query.asPathContains !== undefined ? { asPathContains: Number(query.asPathContains) } : {}),
    };
    return { selection, neighbor: query.neighbor ?? null, direction, filter };
  });

/** GET /v1/bfd: every session, or the one of a neighbor. */
export const bfdQuery = z
  .object({
    address: z
      .string({ error: NEIGHBOR_ADDRESS })
      .refine((text) => canonicalIp(text) !== null, { error: NEIGHBOR_ADDRESS })
      .optional(),
  })
  .transform((query) => ({ address: query.address === undefined ? null : canonicalIp(query.address) }));
const MONITOR_KINDS = 'must be rib, neighbor or rib,neighbor';

/** GET /v1/monitor: what to follow (default both). */
export const monitorQuery = z.object({
  kinds: z
    .string({ error: MONITOR_KINDS })
    .regex(/^(rib|neighbor)(,(rib|neighbor))?$/, { error: MONITOR_KINDS })
    .default('rib,neighbor')
    .transform((text): MonitorKind[] => [...new Set(text.split(','))] as MonitorKind[]),
});

/** DELETE /v1/rib: withdraw a route added with rib add. */
export const ribDeleteQuery = z.object({ prefix });

const writerNames = ['kernel', 'ovs'] as const satisfies readonly WriterName[];

/** GET /v1/fib and /v1/fib/diff. */
export const fibQuery = z.object({
  writer: z.enum(writerNames, { error: 'must be kernel or ovs' }).default('kernel'),
});
