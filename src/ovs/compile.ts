// Route -> flow compilation: pure. A FibRoute plus what is known about the
// bridge (ports: OpenFlow numbers and MACs) and the neighbours (next-hop
// MACs) becomes one flow, and for ECMP one select group shared by every
// route with the same next-hop set. Nothing here does I/O or reads a clock;
// the writer builds a Compiler whenever the facts change.
//
// One flow per prefix, in the configured table:
//   priority = PRIORITY_BASE + prefix length   (longest prefix wins; v4 and v6 never overlap: eth_type differs)
//   match    = eth_type=0x0800 + ipv4_dst/mask   or   eth_type=0x86dd + ipv6_dst/mask
//   cookie   = the configured cookie (ownership: its high 32 bits, see OWNER_COOKIE_MASK)
//   actions  routed:  set_field:<port mac>->eth_src, set_field:<next-hop mac>->eth_dst, dec_ttl, output:<port>
//            tunnel:  set_field:<next hop>->tun_dst (tun_ipv6_dst), output:<tunnel port>
//            ECMP:    [dec_ttl,] group:<id>; the select group's buckets carry the per-next-hop actions
//            blackhole: none (drop)
import type { FibNextHop, FibRoute, IpVersion } from '../fib/types.js';
import { formatIpv6, parseIpv4, parseIpv6 } from '../net/ip.js';
import {
  type Action,
  decNwTtl,
  formatActions,
  group as groupAction,
  output,
  setField,
} from './openflow/actions.js';
import { ETH_TYPE_IPV4, ETH_TYPE_IPV6, OFPG_ANY, OFPG_MAX, OFPP_ANY } from './openflow/constants.js';
import type { Bucket } from './openflow/messages.js';
import { type Match, macBytes, maskPrefixLength, type OxmTlv, prefixMask } from './openflow/oxm.js';
import type { OvsPort } from './ovsdb/facts.js';

/** Route flows sit at PRIORITY_BASE + prefix length: 1024-1056 for IPv4, 1024-1152 for IPv6. */
export const PRIORITY_BASE = 1024;

/** The high 32 bits of a flow's cookie say who owns it; dumps and deletes match on them only. */
export const OWNER_COOKIE_MASK = 0xffff_ffff_0000_0000n;

export type OvsMode = 'routed' | 'tunnel';

export interface CompileConfig {
  readonly table: number;
  readonly mode: OvsMode;
  readonly cookie: bigint;
  /** Routed mode: the port toward next hops whose interface is not itself a bridge port. */
  readonly uplinkPort: string | null;
  /** Tunnel mode: a flow-based VXLAN/Geneve port (options:remote_ip=flow). */
  readonly tunnelPort: string | null;
}

export interface CompileFacts {
  readonly ports: ReadonlyMap<string, OvsPort>;
  /** The next hop's MAC (aa:bb:cc:dd:ee:ff), or null while it is not resolved. */
  neighborMac(address: string): string | null;
}

export interface GroupSpec {
  /** Identity: the next-hop set (the group keeps its id while the MACs behind it change). */
  readonly key: string;
  readonly buckets: readonly Bucket[];
  /** Buckets as text, for comparison with a dump. */
  readonly text: string;
}

export interface FlowSpec {
  readonly version: IpVersion;
  /** Canonical prefix text, the flow's identity. */
  readonly prefix: string;
  /** The prefix as bytes and length (the match is built from these when encoding). */
  readonly address: Uint8Array;
  readonly length: number;
  readonly priority: number;
  /** Shared by every route with the same next hop (built once per Compiler). */
  readonly actions: readonly Action[];
  /** Actions in ovs-ofctl syntax, for comparison with a dump. */
  readonly actionsText: string;
  /** ECMP: the select group the actions forward to. */
  readonly groupId: number | null;
  readonly group: GroupSpec | null;
}

export type CompileResult =
  | { readonly ok: true; readonly flow: FlowSpec }
  | { readonly ok: false; readonly reason: string };

/** Hands out group ids by next-hop-set key (see GroupIdAllocator); null when the range is full. */
export type GroupIdLookup = (key: string) => number | null;

// --- prefixes ---------------------------------------------------------------

export interface ParsedPrefix {
  readonly version: IpVersion;
  readonly address: Uint8Array;
  readonly length: number;
}

const ETH_IPV4: OxmTlv = { kind: 'ethType', value: ETH_TYPE_IPV4 };
const ETH_IPV6: OxmTlv = { kind: 'ethType', value: ETH_TYPE_IPV6 };
const MASKS_V4 = Array.from({ length: 33 }, (_, length) => prefixMask(length, 4));
const MASKS_V6 = Array.from({ length: 129 }, (_, length) => prefixMask(length, 16));

/** "10.233.2.0/24" -> bytes and length; null for bad text or host bits set. */
export function parsePrefix(version: IpVersion, text: string): ParsedPrefix | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) return null;
  const length = Number(lengthText);
  let address: Uint8Array | null;
  if (version === 4) {
    const value = parseIpv4(text.slice(0, slash));
    if (value === null || length > 32) return null;
    address = Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  } else {
    address = parseIpv6(text.slice(0, slash));
    if (address === null || length > 128) return null;
  }
  const mask = (version === 4 ? MASKS_V4 : MASKS_V6)[length] ?? prefixMask(length, address.length);
  for (let i = 0; i < address.length; i++)
    if (((address[i] ?? 0) & ~(mask[i] ?? 0) & 0xff) !== 0) return null;
  return { version, address, length };
}

/** The match for a prefix: eth_type plus the destination (unmasked for a host route, absent for /0). */
export function prefixMatch(prefix: {
  readonly version: IpVersion;
  readonly address: Uint8Array;
  readonly length: number;
}): Match {
  const ethType = prefix.version === 4 ? ETH_IPV4 : ETH_IPV6;
  if (prefix.length === 0) return { fields: [ethType] };
  const full = prefix.version === 4 ? 32 : 128;
  const kind = prefix.version === 4 ? 'ipv4Dst' : 'ipv6Dst';
  const mask =
    prefix.length === full ? null : ((prefix.version === 4 ? MASKS_V4 : MASKS_V6)[prefix.length] ?? null);
  return { fields: [ethType, { kind, value: prefix.address, mask }] };
}

/** The match of a flow known by prefix text (deletes, diffs). */
export function matchOfPrefix(version: IpVersion, prefix: string): Match {
  const parsed = parsePrefix(version, prefix);
  return parsed === null ? { fields: [] } : prefixMatch(parsed);
}

/** "ip,nw_dst=10.233.2.0/24" as ovs-ofctl prints the match of a prefix flow. */
export function prefixMatchText(version: IpVersion, prefix: string): string {
  const [address, length] = prefix.split('/');
  const full = version === 4 ? '32' : '128';
  const head = version === 4 ? 'ip' : 'ipv6';
  if (length === '0') return head;
  const field = version === 4 ? 'nw_dst' : 'ipv6_dst';
  return `${head},${field}=${length === full ? address : prefix}`;
}

/**
 * The prefix a dumped match stands for, when it has exactly our shape
 * (eth_type ip/ipv6 and at most a contiguous-mask destination); else null.
 */
export function prefixOfMatch(match: Match): { readonly version: IpVersion; readonly prefix: string } | null {
  let version: IpVersion | null = null;
  let dst: Extract<OxmTlv, { mask: Uint8Array | null }> | null = null;
  for (const tlv of match.fields) {
    if (tlv.kind === 'ethType' && tlv.value === ETH_TYPE_IPV4 && version === null) version = 4;
    else if (tlv.kind === 'ethType' && tlv.value === ETH_TYPE_IPV6 && version === null) version = 6;
    else if ((tlv.kind === 'ipv4Dst' || tlv.kind === 'ipv6Dst') && dst === null) dst = tlv;
    else return null;
  }
  if (version === null) return null;
  if (dst === null) return { version, prefix: version === 4 ? '0.0.0.0/0' : '::/0' };
  if ((dst.kind === 'ipv4Dst') !== (version === 4)) return null;
  const length = dst.mask === null ? dst.value.length * 8 : maskPrefixLength(dst.mask);
  if (length === null) return null;
  const text = dst.kind === 'ipv4Dst' ? ipv4Text(dst.value) : ipv6Text(dst.value);
  const parsed = parsePrefix(version, `${text}/${length}`);
  return parsed === null ? null : { version, prefix: `${text}/${length}` };
}

/**
 * prefixOfMatch straight from OXM TLV bytes (a dump's match), without
 * building TLV objects: eth_type 0x0800/0x86dd and at most one ipv4_dst /
 * ipv6_dst, masked or not. Anything else: null.
 */
export function prefixOfRawMatch(
  tlvs: Uint8Array,
): { readonly version: IpVersion; readonly prefix: string } | null {
  let version: IpVersion | null = null;
  let dstAt = -1;
  let dstLength = 0;
  let dstMasked = false;
  let dstField = -1;
  let offset = 0;
  while (offset + 4 <= tlvs.length) {
    const oxmClass = ((tlvs[offset] ?? 0) << 8) | (tlvs[offset + 1] ?? 0);
    const fieldAndMask = tlvs[offset + 2] ?? 0;
    const length = tlvs[offset + 3] ?? 0;
    const field = fieldAndMask >>> 1;
    const masked = (fieldAndMask & 1) === 1;
    if (offset + 4 + length > tlvs.length || oxmClass !== 0x8000) return null;
    if (field === 5 && !masked && length === 2 && version === null) {
      const ethType = ((tlvs[offset + 4] ?? 0) << 8) | (tlvs[offset + 5] ?? 0);
      if (ethType === ETH_TYPE_IPV4) version = 4;
      else if (ethType === ETH_TYPE_IPV6) version = 6;
      else return null;
    } else if ((field === 12 || field === 27) && dstAt < 0) {
      dstAt = offset + 4;
      dstLength = masked ? length / 2 : length;
      dstMasked = masked;
      dstField = field;
    } else {
      return null;
    }
    offset += 4 + length;
  }
  if (offset !== tlvs.length || version === null) return null;
  if (dstAt < 0) return { version, prefix: version === 4 ? '0.0.0.0/0' : '::/0' };
  if ((dstField === 12) !== (version === 4) || dstLength !== (version === 4 ? 4 : 16)) return null;
  const value = tlvs.subarray(dstAt, dstAt + dstLength);
  const length = dstMasked
    ? maskPrefixLength(tlvs.subarray(dstAt + dstLength, dstAt + 2 * dstLength))
    : dstLength * 8;
  if (length === null) return null;
  const mask = (version === 4 ? MASKS_V4 : MASKS_V6)[length];
  for (let i = 0; i < dstLength; i++) if (((value[i] ?? 0) & ~(mask?.[i] ?? 0) & 0xff) !== 0) return null;
  return { version, prefix: `${version === 4 ? ipv4Text(value) : ipv6Text(value)}/${length}` };
}

function ipv4Text(bytes: Uint8Array): string {
  return `${bytes[0] ?? 0}.${bytes[1] ?? 0}.${bytes[2] ?? 0}.${bytes[3] ?? 0}`;
}

function ipv6Text(bytes: Uint8Array): string {
  return formatIpv6(bytes);
}

export function priorityFor(prefixLength: number): number {
  return PRIORITY_BASE + prefixLength;
}

// --- group ids --------------------------------------------------------------

/**
 * Our select groups live in a 65,536-id range derived from the cookie:
 * [(cookie >> 48) << 16, ... + 0xffff], capped below OFPG_MAX. The default
 * cookie 0xb6b0000000000000 gives 0xb6b00000-0xb6b0ffff (3065053184-3065118719).
 * Groups in that range are ours (groups have no cookie), so hand-made groups
 * must stay out of it.
 */
export function groupIdRange(cookie: bigint): { readonly first: number; readonly last: number } {
  const first = Number((cookie >> 48n) & 0xffffn) * 0x10000;
  return { first, last: Math.min(first + 0xffff, OFPG_MAX) };
}

/** Stable group ids by next-hop-set key within the range; ids are reused only after release(). */
export class GroupIdAllocator {
  private readonly byKey = new Map<string, number>();
  private readonly byId = new Map<number, string>();
  private cursor: number;

  constructor(readonly range: { readonly first: number; readonly last: number }) {
    this.cursor = range.first;
  }

  get size(): number {
    return this.byKey.size;
  }

  idOf(key: string): number | null {
    return this.byKey.get(key) ?? null;
  }

  keyOf(id: number): string | null {
    return this.byId.get(id) ?? null;
  }

  /** The key's id, allocating the next free one; null when all 65,536 are taken. */
  acquire(key: string): number | null {
    const existing = this.byKey.get(key);
    if (existing !== undefined) return existing;
    const span = this.range.last - this.range.first + 1;
    for (let i = 0; i < span; i++) {
      const id = this.cursor;
      this.cursor = this.cursor >= this.range.last ? this.range.first : this.cursor + 1;
      if (!this.byId.has(id)) {
        this.byKey.set(key, id);
        this.byId.set(id, key);
        return id;
      }
    }
    return null;
  }

  /** Binds `key` to a specific free id (adopting a group found in the bridge). */
  adopt(key: string, id: number): boolean {
    if (this.byKey.has(key) || this.byId.has(id) || id < this.range.first || id > this.range.last)
      return false;
    this.byKey.set(key, id);
    this.byId.set(id, key);
    return true;
  }

  release(key: string): void {
    const id = this.byKey.get(key);
    if (id === undefined) return;
    this.byKey.delete(key);
    this.byId.delete(id);
  }

  contains(id: number): boolean {
    return id >= this.range.first && id <= this.range.last;
  }
}

// --- the compiler -----------------------------------------------------------

interface HopActions {
  readonly ok: true;
  /** Per-next-hop actions: routed: set eth_src, set eth_dst, output; tunnel: set tun_dst, output. */
  readonly actions: readonly Action[];
}

type HopResult = HopActions | { readonly ok: false; readonly reason: string };

/**
 * Compiles routes against one snapshot of the facts. Per next hop and per
 * next-hop set the actions are built once and shared by every route using
 * them (no per-route closures or strings beyond the prefix).
 */
export class Compiler {
  private readonly hops = new Map<string, HopResult>();
  private readonly single = new Map<
    string,
    | { readonly ok: true; readonly actions: readonly Action[]; readonly text: string }
    | { readonly ok: false; readonly reason: string }
  >();
  private readonly groups = new Map<string, GroupSpec | string>();
  private readonly groupActions = new Map<
    number,
    { readonly actions: readonly Action[]; readonly text: string }
  >();

  constructor(
    readonly config: CompileConfig,
    readonly facts: CompileFacts,
  ) {}

  compile(route: FibRoute, groupIdFor: GroupIdLookup): CompileResult {
    const parsed = parsePrefix(route.version, route.prefix);
    if (parsed === null) return { ok: false, reason: `bad prefix ${route.prefix}` };
    let actions: readonly Action[];
    let actionsText: string;
    let group: GroupSpec | null = null;
    let groupId: number | null = null;
    if (route.blackhole) {
      actions = NO_ACTIONS;
      actionsText = 'drop';
    } else if (route.nextHops.length === 0) {
      return { ok: false, reason: 'no next hop' };
    } else if (route.nextHops.length === 1) {
      const single = this.singleHop(route.nextHops[0] as FibNextHop);
      if (!single.ok) return single;
      actions = single.actions;
      actionsText = single.text;
    } else {
      const groupKey = `${this.config.mode}:${route.nextHops.map(hopKey).sort().join(',')}`;
      let built = this.groups.get(groupKey);
      if (built === undefined) {
        built = this.buildGroup(groupKey, route.nextHops);
        this.groups.set(groupKey, built);
      }
      if (typeof built === 'string') return { ok: false, reason: built };
      groupId = groupIdFor(groupKey);
      if (groupId === null)
        return { ok: false, reason: 'no free group id: 65,536 ECMP next-hop sets in use' };
      let shared = this.groupActions.get(groupId);
      if (shared === undefined) {
        const list: Action[] =
          this.config.mode === 'routed' ? [decNwTtl, groupAction(groupId)] : [groupAction(groupId)];
        shared = { actions: list, text: formatActions(list) };
        this.groupActions.set(groupId, shared);
      }
      actions = shared.actions;
      actionsText = shared.text;
      group = built;
    }
    return {
      ok: true,
      flow: {
        version: route.version,
        prefix: route.prefix,
        address: parsed.address,
        length: parsed.length,
        priority: priorityFor(parsed.length),
        actions,
        actionsText,
        groupId,
        group,
      },
    };
  }

  private singleHop(
    hop: FibNextHop,
  ):
    | { readonly ok: true; readonly actions: readonly Action[]; readonly text: string }
    | { readonly ok: false; readonly reason: string } {
    const key = hopKey(hop);
    const cached = this.single.get(key);
    if (cached) return cached;
    const result = this.hop(hop);
    let entry: { ok: true; actions: readonly Action[]; text: string } | { ok: false; reason: string };
    if (!result.ok) entry = result;
    else {
      // routed: set eth_src, set eth_dst, dec_ttl, output; tunnel: set tun_dst, output.
      const actions =
        this.config.mode === 'routed'
          ? [...result.actions.slice(0, 2), decNwTtl, ...result.actions.slice(2)]
          : result.actions;
      entry = { ok: true, actions, text: formatActions(actions) };
    }
    this.single.set(key, entry);
    return entry;
  }

  private buildGroup(key: string, nextHops: readonly FibNextHop[]): GroupSpec | string {
    const sorted = [...nextHops].sort((a, b) => (hopKey(a) < hopKey(b) ? -1 : hopKey(a) > hopKey(b) ? 1 : 0));
    const buckets: Bucket[] = [];
    let firstReason: string | null = null;
    for (const hop of sorted) {
      const result = this.hop(hop);
      if (!result.ok) {
        firstReason ??= result.reason;
        continue;
      }
      buckets.push({ weight: 1, watchPort: OFPP_ANY, watchGroup: OFPG_ANY, actions: result.actions });
    }
    if (buckets.length === 0) return firstReason ?? 'no usable next hop';
    return { key, buckets, text: bucketsText(buckets) };
  }

  /** The per-next-hop actions, or why this next hop cannot be programmed yet. */
  private hop(hop: FibNextHop): HopResult {
    const key = hopKey(hop);
    const cached = this.hops.get(key);
    if (cached) return cached;
    const result = this.config.mode === 'routed' ? this.routedHop(hop) : this.tunnelHop(hop);
    this.hops.set(key, result);
    return result;
  }

  private routedHop(hop: FibNextHop): HopResult {
    const ports = this.facts.ports;
    const portName =
      hop.interfaceName !== undefined && ports.has(hop.interfaceName)
        ? hop.interfaceName
        : this.config.uplinkPort;
    if (portName === null)
      return {
        ok: false,
        reason: `next hop ${hop.address}: no bridge port toward it (set fib.ovs.uplinkPort, or give the next hop an interface that is a bridge port)`,
      };
    const port = ports.get(portName);
    if (!port) return { ok: false, reason: `port ${portName} is not on the bridge` };
    if (port.ofport === null)
      return { ok: false, reason: `port ${portName} has no OpenFlow port number yet` };
    const portMac = port.mac === null ? null : macBytes(port.mac);
    if (portMac === null) return { ok: false, reason: `port ${portName} has no MAC (mac_in_use)` };
    const neighborText = this.facts.neighborMac(hop.address);
    const neighborMac = neighborText === null ? null : macBytes(neighborText);
    if (neighborMac === null)
      return { ok: false, reason: `next hop ${hop.address}: no MAC in the neighbour table yet` };
    return {
      ok: true,
      actions: [
        setField({ kind: 'ethSrc', value: portMac, mask: null }),
        setField({ kind: 'ethDst', value: neighborMac, mask: null }),
        output(port.ofport),
      ],
    };
  }

  private tunnelHop(hop: FibNextHop): HopResult {
    const portName = this.config.tunnelPort;
    if (portName === null) return { ok: false, reason: 'tunnel mode needs fib.ovs.tunnelPort' };
    const port = this.facts.ports.get(portName);
    if (!port) return { ok: false, reason: `tunnel port ${portName} is not on the bridge` };
    if (port.ofport === null)
      return { ok: false, reason: `tunnel port ${portName} has no OpenFlow port number yet` };
    const v4 = parseIpv4(hop.address);
    let destination: OxmTlv;
    if (v4 !== null) {
      destination = {
        kind: 'tunIpv4Dst',
        value: Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff),
        mask: null,
      };
    } else {
      const v6 = parseIpv6(hop.address);
      if (v6 === null) return { ok: false, reason: `bad next hop ${hop.address}` };
      destination = { kind: 'tunIpv6Dst', value: v6, mask: null };
    }
    return { ok: true, actions: [setField(destination), output(port.ofport)] };
  }
}

const NO_ACTIONS: readonly Action[] = [];

function hopKey(hop: FibNextHop): string {
  return hop.interfaceName === undefined ? hop.address : `${hop.address}%${hop.interfaceName}`;
}

/** "bucket=weight:1,actions=...;bucket=..." in a stable order, for comparing with a dump. */
export function bucketsText(buckets: readonly Bucket[]): string {
  return buckets.map((b) => `bucket=weight:${b.weight},actions=${formatActions(b.actions)}`).join(';');
}
