// The configuration file's schema (/etc/agent/agent.yaml). Every message is
// phrased as the fix ("must be ..."), so an error names the field and what to
// write there. Keys are the public interface (../shared/DESIGN.md): keep them.

import { z } from 'zod';
import { maskedIfHostBits, parsedPrefixText, parsePrefix } from '../bgp/codec/nlri.js';
import { type AddressFamily, addressFamilies } from '../bgp/family.js';
import { parseCommunity, parseLargeCommunity } from '../bgp/format/communities.js';
import { rangeContains } from '../bgp/listen-ranges.js';
import { ipFamilyOf, parseIpv4 } from '../net/ip.js';
import { parsePrefixMatch } from '../rib/prefix-match.js';

const asn = z
  .number({ error: 'must be an AS number from 1 to 4294967295' })
  .int({ error: 'must be an AS number from 1 to 4294967295' })
  .min(1, { error: 'must be an AS number from 1 to 4294967295' })
  .max(4294967295, { error: 'must be an AS number from 1 to 4294967295' });

const ipv4 = z
  .string({ error: 'must be a dotted-quad IPv4 address, e.g. 172.18.8.101' })
  .refine((value) => parseIpv4(value) !== null, {
    error: 'must be a dotted-quad IPv4 address, e.g. 172.18.8.101',
  });

/** RFC 6286 §2.1: the BGP Identifier is a non-zero 4-octet number; 0.0.0.0 is refused by every peer. */
const bgpIdentifier = ipv4.refine((value) => parseIpv4(value) !== 0, {
  error:
    "must not be 0.0.0.0: the BGP Identifier is a non-zero IPv4 address (RFC 6286), e.g. this node's address",
});

const ipAddress = z
  .string({ error: 'must be an IPv4 or IPv6 address, e.g. 172.18.8.102 or fd00::2' })
  .refine((value) => ipFamilyOf(value) !== null, {
    error: 'must be an IPv4 or IPv6 address, e.g. 172.18.8.102 or fd00::2',
  });

/** The text of a prefix as the agent writes it (lower case, RFC 5952), or the text itself when it is none. */
export function canonicalPrefix(text: string): string {
  const parsed = parsePrefix(text);
  return parsed === null ? text : parsedPrefixText(parsed);
}

/** Host bits are refused with the prefix meant (nlri.ts maskedIfHostBits: one rule everywhere). */
function refuseHostBits(text: string, context: z.RefinementCtx): void {
  const masked = maskedIfHostBits(text.trim().split(/\s+/)[0] ?? '');
  if (masked !== null) context.addIssue({ code: 'custom', message: `host bits are set; write ${masked}` });
}

const prefix = z
  .string({ error: 'must be a prefix, e.g. 10.233.1.0/24 or fd00:233:1::/64' })
  .refine((value) => parsePrefix(value) !== null, {
    error: 'must be a prefix, e.g. 10.233.1.0/24 or fd00:233:1::/64',
  })
  .superRefine(refuseHostBits);

const prefixMatch = z
  .string({ error: 'must be a prefix with optional ge/le, e.g. "10.233.0.0/16 le 32"' })
  .refine((value) => typeof parsePrefixMatch(value) !== 'string', {
    error:
      'must be a prefix with optional ge/le, e.g. "10.233.0.0/16 le 32" (ge/le between the length and 32, or 128)',
  })
  .superRefine(refuseHostBits);

const community = z
  .string({
    error:
      'must be a community: AS:VALUE (e.g. 64512:100), blackhole, no-export, no-advertise or no-export-subconfed',
  })
  .refine((value) => parseCommunity(value) !== null, {
    error:
      'must be a community: AS:VALUE (e.g. 64512:100), blackhole, no-export, no-advertise or no-export-subconfed',
  });

const largeCommunity = z
  .string({ error: 'must be a large community GLOBAL:DATA1:DATA2, e.g. 64512:1:2' })
  .refine((value) => parseLargeCommunity(value) !== null, {
    error: 'must be a large community GLOBAL:DATA1:DATA2, e.g. 64512:1:2',
  });

const seconds = (what: string, min: number, max: number) =>
  z
    .number({ error: `must be ${what} in seconds, ${min} to ${max}` })
    .int({ error: `must be ${what} in seconds, ${min} to ${max}` })
    .min(min, { error: `must be ${what} in seconds, ${min} to ${max}` })
    .max(max, { error: `must be ${what} in seconds, ${min} to ${max}` });

const uint32 = (what: string) =>
  z
    .number({ error: `must be ${what}, an integer from 0 to 4294967295` })
    .int({ error: `must be ${what}, an integer from 0 to 4294967295` })
    .min(0, { error: `must be ${what}, an integer from 0 to 4294967295` })
    .max(4294967295, { error: `must be ${what}, an integer from 0 to 4294967295` });

const holdTime = z
  .number({ error: 'must be 0 (no keepalives) or 3 to 65535 seconds (RFC 4271 §4.2)' })
  .int({ error: 'must be 0 (no keepalives) or 3 to 65535 seconds (RFC 4271 §4.2)' })
  .refine((value) => value === 0 || (value >= 3 && value <= 65535), {
    error: 'must be 0 (no keepalives) or 3 to 65535 seconds (RFC 4271 §4.2)',
  });

const family = z.enum(addressFamilies as [AddressFamily, ...AddressFamily[]], {
  error: `must be ${addressFamilies.join(' or ')}`,
});

const policySet = z
  .object(
    {
      localPref: uint32('a LOCAL_PREF').optional(),
      med: uint32('a MED').optional(),
      addCommunities: z.array(community, { error: 'must be a list of communities' }).optional(),
      removeCommunities: z.array(community, { error: 'must be a list of communities' }).optional(),
      addLargeCommunities: z
        .array(largeCommunity, { error: 'must be a list of large communities' })
        .optional(),
      prependAs: z
        .number({ error: 'must be how many times to prepend our AS, 1 to 10' })
        .int({ error: 'must be how many times to prepend our AS, 1 to 10' })
        .min(1, { error: 'must be how many times to prepend our AS, 1 to 10' })
        .max(10, { error: 'must be how many times to prepend our AS, 1 to 10' })
        .optional(),
    },
    {
      error:
        'must be a mapping of localPref, med, addCommunities, removeCommunities, addLargeCommunities, prependAs',
    },
  )
  .strict();

const policyTerm = z
  .object({
    /** Route must match one of these (a prefix list); absent: any prefix. */
    prefixes: z.array(prefixMatch, { error: 'must be a list like ["10.233.0.0/16 le 32"]' }).optional(),
    /** Route must carry one of these communities; absent: any. */
    communities: z.array(community, { error: 'must be a list of communities' }).optional(),
    action: z.enum(['accept', 'reject'], { error: 'must be accept or reject' }).optional(),
    set: policySet.optional(),
  })
  .strict();

/** accept-all | reject-all | one term | a list of terms (first match wins; no match rejects). */
export const policySchema = z.union(
  [
    z.enum(['accept-all', 'reject-all']),
    policyTerm,
    z.array(policyTerm, { error: 'must be accept-all, reject-all, a term, or a list of terms' }),
  ],
  {
    error:
      'must be accept-all, reject-all, or { prefixes: ["10.233.0.0/16 le 32"] } (terms: prefixes, communities, action, set)',
  },
);

const maxPrefix = z
  .object(
    {
      limit: z
        .number({ error: 'must be the most prefixes to accept, a positive integer' })
        .int({ error: 'must be the most prefixes to accept, a positive integer' })
        .min(1, { error: 'must be the most prefixes to accept, a positive integer' }),
      warningOnly: z.boolean({ error: 'must be true (only log) or false (Cease 6/1)' }).optional(),
      warningThresholdPercent: z
        .number({ error: 'must be a percentage of limit, 1 to 100' })
        .min(1, { error: 'must be a percentage of limit, 1 to 100' })
        .max(100, { error: 'must be a percentage of limit, 1 to 100' })
        .optional(),
      restartSeconds: seconds(
        'how long to wait before reconnecting after the limit was hit',
        0,
        86400,
      ).optional(),
    },
    {
      error: 'must be { limit: 100 } (and optionally warningOnly, warningThresholdPercent, restartSeconds)',
    },
  )
  .strict();

const milliseconds = (what: string, min: number, max: number) =>
  z
    .number({ error: `must be ${what} in milliseconds, ${min} to ${max}` })
    .int({ error: `must be ${what} in milliseconds, ${min} to ${max}` })
    .min(min, { error: `must be ${what} in milliseconds, ${min} to ${max}` })
    .max(max, { error: `must be ${what} in milliseconds, ${min} to ${max}` });

/** BFD (RFC 5880) for a neighbor, or the defaults every neighbor starts from. */
const bfd = z
  .object({
    enabled: z.boolean({ error: 'must be true (run BFD with this neighbor) or false' }).optional(),
    minRxMs: milliseconds('the slowest rate we want to receive BFD packets at', 10, 60000).optional(),
    minTxMs: milliseconds('the rate we would like to send BFD packets at', 10, 60000).optional(),
    multiplier: z
      .number({ error: 'must be the detect multiplier, 1 to 255 (packets missed before Down)' })
      .int({ error: 'must be the detect multiplier, 1 to 255 (packets missed before Down)' })
      .min(1, { error: 'must be the detect multiplier, 1 to 255 (packets missed before Down)' })
      .max(255, { error: 'must be the detect multiplier, 1 to 255 (packets missed before Down)' })
      .optional(),
    hops: z
      .number({ error: 'must be 1 (single-hop, RFC 5881) or up to 255 hops (multihop, RFC 5883)' })
      .int({ error: 'must be 1 (single-hop, RFC 5881) or up to 255 hops (multihop, RFC 5883)' })
      .min(1, { error: 'must be 1 (single-hop, RFC 5881) or up to 255 hops (multihop, RFC 5883)' })
      .max(255, { error: 'must be 1 (single-hop, RFC 5881) or up to 255 hops (multihop, RFC 5883)' })
      .optional(),
  })
  .strict();

/** A neighbor's settings besides its address: what a peer group sets for its members. */
const neighborSettings = {
  asn: asn.optional(),
  peerGroup: z
    .string({ error: 'must be the name of a group under peerGroups' })
    .min(1, { error: 'must be the name of a group under peerGroups' })
    .optional(),
  port: z
    .number({ error: 'must be a TCP port, 1 to 65535' })
    .int({ error: 'must be a TCP port, 1 to 65535' })
    .min(1, { error: 'must be a TCP port, 1 to 65535' })
    .max(65535, { error: 'must be a TCP port, 1 to 65535' })
    .optional(),
  localAddress: ipAddress.optional(),
  description: z.string({ error: 'must be text' }).optional(),
  families: z
    .array(family, { error: 'must be a list: [ipv4-unicast] and/or [ipv6-unicast]' })
    .min(1, { error: 'must list at least one family: ipv4-unicast and/or ipv6-unicast' })
    .optional(),
  holdTimeSeconds: holdTime.optional(),
  connectRetrySeconds: seconds('the connect retry interval', 1, 65535).optional(),
  delayOpenSeconds: seconds('the DelayOpen time (0 = off)', 0, 240).optional(),
  passive: z.boolean({ error: 'must be true or false' }).optional(),
  password: z
    .string({ error: 'must be the TCP MD5 password (text, at most 80 octets)' })
    .min(1, { error: 'must not be empty (omit it for no TCP MD5)' })
    .refine((value) => Buffer.byteLength(value) <= 80, {
      error: 'must be at most 80 octets (the kernel TCP_MD5SIG limit)',
    })
    .optional(),
  ttlSecurity: z.boolean({ error: 'must be true (GTSM, RFC 5082) or false' }).optional(),
  routeReflectorClient: z.boolean({ error: 'must be true or false' }).optional(),
  addPath: z
    .enum(['receive', 'send', 'both'], { error: 'must be receive, send or both (RFC 7911)' })
    .optional(),
  nextHopSelf: z.boolean({ error: 'must be true or false' }).optional(),
  enforceFirstAs: z.boolean({ error: 'must be true or false' }).optional(),
  shutdown: z.boolean({ error: 'must be true (configured but down) or false' }).optional(),
  import: policySchema.optional(),
  export: policySchema.optional(),
  maxPrefix: maxPrefix.optional(),
  bfd: bfd.optional(),
};

const neighbor = z
  .object(
    { address: ipAddress, ...neighborSettings },
    { error: 'must be a neighbor: { address: 172.18.8.102, asn: 64512, ... }' },
  )
  .strict();

/** peerGroups.NAME: the settings of a neighbor, less its address, as a template (neighbors and listenRanges name it). */
const { peerGroup: _groupOfGroup, ...peerGroupSettings } = neighborSettings;
const peerGroup = z
  .object(peerGroupSettings, {
    error: 'must be neighbor settings without an address: { asn: 64512, routeReflectorClient: true, ... }',
  })
  .strict();

/** listenRanges[]: connections from this prefix become neighbors with the group's settings (dynamic neighbors). */
const listenRange = z
  .object(
    {
      prefix,
      peerGroup: z
        .string({ error: 'must be the name of a group under peerGroups' })
        .min(1, { error: 'must be the name of a group under peerGroups' }),
      limit: z
        .number({ error: 'must be the most neighbors this range may have at once, 1 to 65535' })
        .int({ error: 'must be the most neighbors this range may have at once, 1 to 65535' })
        .min(1, { error: 'must be the most neighbors this range may have at once, 1 to 65535' })
        .max(65535, { error: 'must be the most neighbors this range may have at once, 1 to 65535' })
        .optional(),
    },
    { error: 'must be { prefix: 172.18.8.0/24, peerGroup: nodes, limit: 100 }' },
  )
  .strict();

const originate = z
  .object(
    {
      prefix,
      nextHop: ipAddress.optional(),
      communities: z
        .array(community, { error: 'must be a list of communities, e.g. [64512:100, blackhole]' })
        .optional(),
      largeCommunities: z.array(largeCommunity, { error: 'must be a list of large communities' }).optional(),
      med: uint32('a MED').optional(),
      localPref: uint32('a LOCAL_PREF').optional(),
    },
    { error: 'must be { prefix: 10.233.1.0/24 } (and optionally nextHop, communities, med, localPref)' },
  )
  .strict();

const kernel = z
  .object(
    {
      enabled: z.boolean({ error: 'must be true or false' }).optional(),
      table: z
        .number({ error: 'must be a routing table id, 1 to 4294967295 (254 is main)' })
        .int({ error: 'must be a routing table id, 1 to 4294967295 (254 is main)' })
        .min(1, { error: 'must be a routing table id, 1 to 4294967295 (254 is main)' })
        .max(4294967295, { error: 'must be a routing table id, 1 to 4294967295 (254 is main)' })
        .optional(),
      protocol: z
        .number({ error: 'must be a route protocol id, 5 to 255 (186 is bgp)' })
        .int({ error: 'must be a route protocol id, 5 to 255 (186 is bgp)' })
        .min(5, { error: 'must be a route protocol id, 5 to 255 (0-4 belong to the kernel; 186 is bgp)' })
        .max(255, { error: 'must be a route protocol id, 5 to 255 (186 is bgp)' })
        .optional(),
      metric: uint32('a route metric').optional(),
    },
    { error: 'must be { enabled, table, protocol, metric }, e.g. { enabled: true, table: 254 }' },
  )
  .strict();

const ovs = z
  .object(
    {
      enabled: z.boolean({ error: 'must be true or false' }).optional(),
      bridge: z
        .string({ error: 'must be a bridge name, e.g. br-int' })
        .min(1, { error: 'must be a bridge name, e.g. br-int' })
        .optional(),
      table: z
        .number({ error: 'must be an OpenFlow table, 0 to 254' })
        .int({ error: 'must be an OpenFlow table, 0 to 254' })
        .min(0, { error: 'must be an OpenFlow table, 0 to 254' })
        .max(254, { error: 'must be an OpenFlow table, 0 to 254' })
        .optional(),
      mode: z.enum(['routed', 'tunnel'], { error: 'must be routed or tunnel' }).optional(),
      openflow: z
        .string({ error: 'must be unix:PATH or tcp:HOST:PORT' })
        .regex(/^(unix:.+|tcp:.+:\d+)$/, { error: 'must be unix:PATH or tcp:HOST:PORT' })
        .nullable()
        .optional(),
      ovsdb: z
        .string({ error: 'must be unix:PATH or tcp:HOST:PORT' })
        .regex(/^(unix:.+|tcp:.+:\d+)$/, { error: 'must be unix:PATH or tcp:HOST:PORT' })
        .optional(),
      uplinkPort: z.string({ error: 'must be an OVS port name' }).nullable().optional(),
      tunnelPort: z
        .string({ error: 'must be the name of a flow-based VXLAN or Geneve port' })
        .nullable()
        .optional(),
      cookie: z
        .string({ error: 'must be a 64-bit cookie in hex, e.g. 0xb6b0000000000000' })
        .regex(/^0x[0-9a-fA-F]{1,16}$/, { error: 'must be a 64-bit cookie in hex, e.g. 0xb6b0000000000000' })
        .optional(),
    },
    { error: 'must be { enabled: true, bridge: br-int, mode: routed, uplinkPort: eth1, ... } (see README)' },
  )
  .strict();

/** Cross-subnet VXLAN overlay (RFC 7348): see README "Overlay across subnets". */
const overlay = z
  .object({
    mode: z
      .enum(['never', 'cross-subnet', 'always'], { error: 'must be never, cross-subnet or always' })
      .optional(),
    vni: z
      .number({ error: 'must be a VXLAN network identifier, 1 to 16777215 (RFC 7348 §5: 24 bits)' })
      .int({ error: 'must be a VXLAN network identifier, 1 to 16777215 (RFC 7348 §5: 24 bits)' })
      .min(1, { error: 'must be a VXLAN network identifier, 1 to 16777215 (RFC 7348 §5: 24 bits)' })
      .max(16777215, { error: 'must be a VXLAN network identifier, 1 to 16777215 (RFC 7348 §5: 24 bits)' })
      .optional(),
    port: z
      .number({ error: "must be a UDP port, 1 to 65535 (4789 is VXLAN's, RFC 7348 §5)" })
      .int({ error: "must be a UDP port, 1 to 65535 (4789 is VXLAN's, RFC 7348 §5)" })
      .min(1, { error: "must be a UDP port, 1 to 65535 (4789 is VXLAN's, RFC 7348 §5)" })
      .max(65535, { error: "must be a UDP port, 1 to 65535 (4789 is VXLAN's, RFC 7348 §5)" })
      .optional(),
    device: z
      .string({ error: 'must be an interface name, 1 to 15 characters, e.g. agent.vxlan' })
      .regex(/^[^\s/:]{1,15}$/, {
        error: 'must be an interface name, 1 to 15 characters without spaces, "/" or ":", e.g. agent.vxlan',
      })
      .optional(),
    mtu: z
      .number({ error: 'must be the device MTU, 576 to 65485 (default: underlay MTU - 50)' })
      .int({ error: 'must be the device MTU, 576 to 65485 (default: underlay MTU - 50)' })
      .min(576, { error: 'must be the device MTU, 576 to 65485 (default: underlay MTU - 50)' })
      .max(65485, { error: 'must be the device MTU, 576 to 65485 (default: underlay MTU - 50)' })
      .optional(),
    localAddress: ipAddress.optional(),
  })
  .strict();

/** HOST:PORT with a real port: the listener would fail only at start, after --check said OK. */
const metricsListen = z
  .string({ error: 'must be HOST:PORT (e.g. 127.0.0.1:9179), or "" to disable' })
  .regex(/^$|^(\[[0-9a-fA-F:.]+\]|[^:]+):\d{1,5}$/, {
    error: 'must be HOST:PORT (e.g. 127.0.0.1:9179), or "" to disable',
  })
  .refine(
    (value) => {
      if (value === '') return true;
      const port = Number(value.slice(value.lastIndexOf(':') + 1));
      return port >= 1 && port <= 65535;
    },
    { error: 'the port must be 1 to 65535, e.g. 127.0.0.1:9179 (or "" to disable)' },
  );

export const configSchema = z
  .object({
    asn,
    routerId: bgpIdentifier,
    hostname: z.string({ error: 'must be text' }).optional(),
    listen: z
      .object(
        {
          address: ipAddress.optional(),
          port: z
            .number({ error: 'must be a TCP port, 0 (do not listen) to 65535' })
            .int({ error: 'must be a TCP port, 0 (do not listen) to 65535' })
            .min(0, { error: 'must be a TCP port, 0 (do not listen) to 65535' })
            .max(65535, { error: 'must be a TCP port, 0 (do not listen) to 65535' })
            .optional(),
        },
        { error: 'must be { address: "0.0.0.0", port: 179 }' },
      )
      .strict()
      .optional(),
    maxPaths: z
      .number({ error: 'must be 1 to 64 (more than 1 installs equal paths as ECMP)' })
      .int({ error: 'must be 1 to 64 (more than 1 installs equal paths as ECMP)' })
      .min(1, { error: 'must be 1 to 64 (more than 1 installs equal paths as ECMP)' })
      .max(64, { error: 'must be 1 to 64 (more than 1 installs equal paths as ECMP)' })
      .optional(),
    // RFC 4456 §7: CLUSTER_ID is a 4-octet id like the router id; 0 is as wrong.
    clusterId: bgpIdentifier.optional(),
    alwaysCompareMed: z.boolean({ error: 'must be true or false' }).optional(),
    preferOldestEbgpPath: z.boolean({ error: 'must be true or false' }).optional(),
    advertisementIntervalMs: z
      .number({ error: 'must be milliseconds, 0 to 60000' })
      .int({ error: 'must be milliseconds, 0 to 60000' })
      .min(0, { error: 'must be milliseconds, 0 to 60000' })
      .max(60000, { error: 'must be milliseconds, 0 to 60000' })
      .optional(),
    gracefulRestart: z
      .object(
        {
          enabled: z.boolean({ error: 'must be true or false' }).optional(),
          restartTimeSeconds: seconds('the advertised restart time', 1, 4095).optional(),
          staleRoutesTimeSeconds: seconds('how long to keep a restarting peer routes', 1, 3600).optional(),
        },
        { error: 'must be { enabled: true|false, restartTimeSeconds, staleRoutesTimeSeconds }' },
      )
      .strict()
      .optional(),
    bfd: bfd.optional(),
    neighbors: z.array(neighbor, { error: 'must be a list of neighbors' }).optional(),
    peerGroups: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, {
          error: 'a peer group name is 1 to 64 letters, digits, ".", "_" or "-"',
        }),
        peerGroup,
        { error: 'must be a mapping of group names to neighbor settings, e.g. { nodes: { asn: 64512 } }' },
      )
      .optional(),
    listenRanges: z
      .array(listenRange, { error: 'must be a list of { prefix, peerGroup, limit }' })
      .optional(),
    originate: z.array(originate, { error: 'must be a list of { prefix: ... }' }).optional(),
    fib: z
      .object(
        { kernel: kernel.optional(), ovs: ovs.optional() },
        { error: 'must be a mapping with kernel and/or ovs' },
      )
      .strict()
      .optional(),
    overlay: overlay.optional(),
    api: z
      .object(
        { socket: z.string({ error: 'must be a path' }).min(1, { error: 'must be a path' }).optional() },
        { error: 'must be { socket: /run/agent/agent.sock }' },
      )
      .strict()
      .optional(),
    metrics: z
      .object(
        { listen: metricsListen.optional() },
        { error: 'must be { listen: "127.0.0.1:9179" } (or listen: "" to disable)' },
      )
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((config, context) => {
    const ovs = config.fib?.ovs;
    // Routed mode needs no uplinkPort: without one the bridge's NORMAL forwarding finds the port.
    if (ovs?.mode === 'tunnel' && (ovs.tunnelPort ?? '') === '') {
      context.addIssue({
        code: 'custom',
        path: ['fib', 'ovs', 'tunnelPort'],
        message:
          'mode is tunnel: set it to the name of a flow-based VXLAN or Geneve port (options:remote_ip=flow), or use mode: routed',
      });
    }
    if ((config.overlay?.mode ?? 'never') !== 'never' && config.fib?.kernel?.enabled === false) {
      context.addIssue({
        code: 'custom',
        path: ['overlay', 'mode'],
        message: 'needs the kernel writer (fib.kernel.enabled: true): the overlay routes are kernel routes',
      });
    }
    const groups = config.peerGroups ?? {};
    (config.neighbors ?? []).forEach((n, index) => {
      const group = n.peerGroup === undefined ? undefined : groups[n.peerGroup];
      if (n.peerGroup !== undefined && group === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['neighbors', index, 'peerGroup'],
          message: `names no group: define peerGroups.${n.peerGroup}, or remove the key`,
        });
      } else if (n.asn === undefined && group?.asn === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['neighbors', index, 'asn'],
          message:
            n.peerGroup === undefined
              ? "must be the neighbor's AS number, 1 to 4294967295"
              : `must be the neighbor's AS number, here or in peerGroups.${n.peerGroup}.asn`,
        });
      }
    });
    const ranges = new Map<string, number>();
    if ((config.listenRanges ?? []).length > 0 && config.listen?.port === 0) {
      context.addIssue({
        code: 'custom',
        path: ['listen', 'port'],
        message: 'is 0 (no listener), but listenRanges wait for connections: set it to 179',
      });
    }
    const listenAddress = config.listen?.address;
    (config.listenRanges ?? []).forEach((range, index) => {
      const rangeFamily = ipFamilyOf(range.prefix.split('/')[0] ?? '');
      if (
        listenAddress !== undefined &&
        listenAddress !== '0.0.0.0' &&
        listenAddress !== '::' &&
        ipFamilyOf(listenAddress) !== rangeFamily
      ) {
        context.addIssue({
          code: 'custom',
          path: ['listenRanges', index, 'prefix'],
          message: `is IPv${rangeFamily}, but listen.address ${listenAddress} only takes IPv${ipFamilyOf(listenAddress)} connections: listen on ${rangeFamily === 6 ? '"::"' : '0.0.0.0'} or drop the range`,
        });
      }
      const password = groups[range.peerGroup]?.password;
      if (password !== undefined) {
        // The kernel signs with the most specific key: the range's would apply
        // to a configured neighbor inside it that has none, and its SYNs would be dropped.
        (config.neighbors ?? []).forEach((n, neighborIndex) => {
          const own = n.password ?? (n.peerGroup === undefined ? undefined : groups[n.peerGroup]?.password);
          if (own === undefined && rangeContains(range.prefix, n.address)) {
            context.addIssue({
              code: 'custom',
              path: ['neighbors', neighborIndex, 'password'],
              message: `must be set: the neighbor is inside listenRanges[${index}] (${range.prefix}), whose TCP MD5 key the kernel would use for it; give it the same password or take it out of the range`,
            });
          }
        });
      }
      const group = groups[range.peerGroup];
      if (group === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['listenRanges', index, 'peerGroup'],
          message: `names no group: define peerGroups.${range.peerGroup} with the settings its neighbors get`,
        });
      } else if (group.asn === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['peerGroups', range.peerGroup, 'asn'],
          message: `must be the AS number of the neighbors from listenRanges[${index}]`,
        });
      }
      // Compared as the prefix it is ("FD00:0::/64" is "fd00::/64").
      const canonical = canonicalPrefix(range.prefix);
      const first = ranges.get(canonical);
      if (first !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['listenRanges', index, 'prefix'],
          message: `duplicates listenRanges[${first}]: each prefix may appear once`,
        });
      } else {
        ranges.set(canonical, index);
      }
    });
    const seen = new Map<string, number>();
    (config.neighbors ?? []).forEach((n, index) => {
      const key = n.address.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['neighbors', index, 'address'],
          message: `duplicates neighbors[${first}]: each neighbor address may appear once`,
        });
      } else {
        seen.set(key, index);
      }
    });
  });

export type RawConfig = z.infer<typeof configSchema>;
export type RawPolicy = z.infer<typeof policySchema>;
export type RawNeighbor = z.infer<typeof neighbor>;
export type RawPeerGroup = z.infer<typeof peerGroup>;
