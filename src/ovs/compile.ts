// Next hops -> OpenFlow actions: pure. Routes with the same next hops share
// one compiled action list (a "next-hop set"), so 100,000 routes through one
// gateway compile once and their flow mods copy the same instruction bytes.
// The facts are what the bridge and the kernel know right now (ports with
// their OpenFlow numbers and MACs from OVSDB, next-hop MACs from the
// neighbour table); the writer compiles again when they change.
//
// Actions by mode (the flow's match is eth_type + destination prefix, see prefix.ts):
//   routed:    set_field:<port mac>->eth_src, set_field:<next-hop mac>->eth_dst, dec_ttl, output:<port>
//              without an uplink port (and a next hop whose interface is not a
//              bridge port): the bridge's own (LOCAL) MAC as source, and NORMAL,
//              the bridge's L2 forwarding, finds the port that leads to the
//              next hop's MAC, as it does for every other frame on the bridge
//   tunnel:    set_field:<next hop>->tun_dst (tun_ipv6_dst), output:<tunnel port>
//   ECMP:      [dec_ttl,] group:<id>; a select group (OpenFlow 1.3 §5.6.1) whose
//              buckets carry the per-next-hop actions above, minus dec_ttl
//   blackhole: no instructions: the packet is dropped (§5.9: an empty action set drops)
import type { FibNextHop, FibRoute } from '../fib/types.js';
import { parseIpv4, parseIpv6 } from '../net/ip.js';
import {
  type Action,
  decNwTtl,
  formatActions,
  group as groupAction,
  output,
  setField,
} from './openflow/actions.js';
import { OFPG_ANY, OFPG_MAX, OFPP_ANY, OFPP_NORMAL } from './openflow/constants.js';
import { type Bucket, encodeInstructions } from './openflow/messages.js';
import { macBytes, type OxmTlv } from './openflow/oxm.js';
import type { OvsPort } from './ovsdb/facts.js';

/** The high 32 bits of a flow's cookie say who owns it; dumps and deletes match on them only. */
export const OWNER_COOKIE_MASK = 0xffff_ffff_0000_0000n;

export type OvsMode = 'routed' | 'tunnel';

export interface CompileConfig {
  readonly mode: OvsMode;
  /** The bridge: its LOCAL interface (same name) gives the source MAC when NORMAL forwards. */
  readonly bridge: string;
  /** Routed mode: the port toward next hops whose interface is not itself a bridge port; null: NORMAL. */
  readonly uplinkPort: string | null;
  /** Tunnel mode: a flow-based VXLAN/Geneve port (options:remote_ip=flow). */
  readonly tunnelPort: string | null;
}

export interface CompileFacts {
  /** Bridge ports by name (ovsdb/facts.ts). */
  readonly ports: ReadonlyMap<string, OvsPort>;
  /** The next hop's MAC (aa:bb:cc:dd:ee:ff), or null while it is not resolved. */
  neighborMac(address: string): string | null;
}

export interface GroupSpec {
  readonly buckets: readonly Bucket[];
  /** "bucket=weight:1,actions=...;bucket=..." for comparison with a dump. */
  readonly text: string;
}

export type Compiled =
  | {
      readonly ok: true;
      /** The flow's instructions as bytes (empty: drop). */
      readonly instructions: Buffer;
      /** The flow's actions as ovs-ofctl prints them, for comparison with a dump. */
      readonly text: string;
      readonly groupId: number | null;
      readonly group: GroupSpec | null;
    }
  | { readonly ok: false; readonly reason: string };

/** What routes sharing a compiled action list have in common. */
export interface NextHopSet {
  readonly key: string;
  readonly nextHops: readonly FibNextHop[];
  readonly blackhole: boolean;
}

function hopKey(hop: FibNextHop): string {
  return hop.interfaceName === undefined ? hop.address : `${hop.address}%${hop.interfaceName}`;
}

/** The next-hop set's identity: "blackhole", one next hop's address, or the sorted addresses. */
export function nextHopSetKey(route: FibRoute): string {
  if (route.blackhole) return 'blackhole';
  const hops = route.nextHops;
  if (hops.length === 1) return hopKey(hops[0] as FibNextHop);
  if (hops.length === 0) return '';
  return hops.map(hopKey).sort().join(',');
}

export function isEcmp(set: {
  readonly nextHops: readonly FibNextHop[];
  readonly blackhole: boolean;
}): boolean {
  return !set.blackhole && set.nextHops.length > 1;
}

const DROP: Compiled = { ok: true, instructions: Buffer.alloc(0), text: 'drop', groupId: null, group: null };

function compiledActions(
  actions: readonly Action[],
  groupId: number | null,
  group: GroupSpec | null,
): Compiled {
  return {
    ok: true,
    instructions: encodeInstructions(actions.length === 0 ? [] : [{ type: 'applyActions', actions }]),
    text: formatActions(actions),
    groupId,
    group,
  };
}

/**
 * The actions for a next-hop set against the current facts, or why it cannot
 * be programmed yet. `groupId` is the select group an ECMP set uses.
 */
export function compileNextHopSet(
  set: NextHopSet,
  config: CompileConfig,
  facts: CompileFacts,
  groupId: number | null,
): Compiled {
  if (set.blackhole) return DROP;
  if (set.nextHops.length === 0) return { ok: false, reason: 'no next hop' };
  if (set.nextHops.length === 1) {
    const hop = hopActions(set.nextHops[0] as FibNextHop, config, facts);
    if (!hop.ok) return hop;
    // routed: set eth_src, set eth_dst, dec_ttl, output; tunnel: set tun_dst, output.
    const actions =
      config.mode === 'routed'
        ? [...hop.actions.slice(0, 2), decNwTtl, ...hop.actions.slice(2)]
        : hop.actions;
    return compiledActions(actions, null, null);
  }
  if (groupId === null) return { ok: false, reason: 'no free group id for this ECMP next-hop set' };
  const sorted = [...set.nextHops].sort((a, b) =>
    hopKey(a) < hopKey(b) ? -1 : hopKey(a) > hopKey(b) ? 1 : 0,
  );
  const buckets: Bucket[] = [];
  let firstReason: string | null = null;
  for (const hop of sorted) {
    const result = hopActions(hop, config, facts);
    if (!result.ok) {
      firstReason ??= result.reason;
      continue;
    }
    buckets.push({ weight: 1, watchPort: OFPP_ANY, watchGroup: OFPG_ANY, actions: result.actions });
  }
  // Next hops that cannot be reached yet are left out of the group; none at all: not programmable.
  if (buckets.length === 0) return { ok: false, reason: firstReason ?? 'no usable next hop' };
  const actions = config.mode === 'routed' ? [decNwTtl, groupAction(groupId)] : [groupAction(groupId)];
  return compiledActions(actions, groupId, { buckets, text: bucketsText(buckets) });
}

type HopActions =
  | { readonly ok: true; readonly actions: readonly Action[] }
  | { readonly ok: false; readonly reason: string };

function hopActions(hop: FibNextHop, config: CompileConfig, facts: CompileFacts): HopActions {
  return config.mode === 'routed' ? routedHop(hop, config, facts) : tunnelHop(hop, config, facts);
}

function routedHop(hop: FibNextHop, config: CompileConfig, facts: CompileFacts): HopActions {
  const portName =
    hop.interfaceName !== undefined && facts.ports.has(hop.interfaceName)
      ? hop.interfaceName
      : config.uplinkPort;
  const neighborText = facts.neighborMac(hop.address);
  const neighborMac = neighborText === null ? null : macBytes(neighborText);
  if (portName === null) return normalHop(hop, config, facts, neighborMac);
  const port = facts.ports.get(portName);
  if (port === undefined) return { ok: false, reason: `port ${portName} is not on the bridge` };
  if (port.ofport === null) return { ok: false, reason: `port ${portName} has no OpenFlow port number yet` };
  const portMac = port.mac === null ? null : macBytes(port.mac);
  if (portMac === null) return { ok: false, reason: `port ${portName} has no MAC (mac_in_use) yet` };
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

/** Routed mode without an uplink port: the MACs rewritten, then the bridge's L2 forwarding (NORMAL). */
function normalHop(
  hop: FibNextHop,
  config: CompileConfig,
  facts: CompileFacts,
  neighborMac: Uint8Array | null,
): HopActions {
  const local = facts.ports.get(config.bridge);
  const localMac = local?.mac === null || local === undefined ? null : macBytes(local.mac);
  if (localMac === null)
    return { ok: false, reason: `bridge ${config.bridge}: its LOCAL interface has no MAC (mac_in_use) yet` };
  if (neighborMac === null)
    return { ok: false, reason: `next hop ${hop.address}: no MAC in the neighbour table yet` };
  return {
    ok: true,
    actions: [
      setField({ kind: 'ethSrc', value: localMac, mask: null }),
      setField({ kind: 'ethDst', value: neighborMac, mask: null }),
      output(OFPP_NORMAL),
    ],
  };
}

function tunnelHop(hop: FibNextHop, config: CompileConfig, facts: CompileFacts): HopActions {
  const portName = config.tunnelPort;
  if (portName === null) return { ok: false, reason: 'tunnel mode needs fib.ovs.tunnelPort' };
  const port = facts.ports.get(portName);
  if (port === undefined) return { ok: false, reason: `tunnel port ${portName} is not on the bridge` };
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

/** "bucket=weight:1,actions=...;bucket=..." in a stable order, for comparing with a dump. */
export function bucketsText(buckets: readonly Bucket[]): string {
  return buckets.map((b) => `bucket=weight:${b.weight},actions=${formatActions(b.actions)}`).join(';');
}

/** Same flow and group content: nothing to rewrite. */
export function sameCompiled(a: Compiled | null, b: Compiled | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.reason === b.reason;
  return a.text === b.text && a.groupId === b.groupId && (a.group?.text ?? null) === (b.group?.text ?? null);
}

// --- group ids --------------------------------------------------------------

/**
 * Our select groups live in a 65,536-id range derived from the cookie:
 * [(cookie >> 48) << 16, ... + 0xffff], capped below OFPG_MAX. The default
 * cookie 0xb6b0000000000000 gives 0xb6b00000-0xb6b0ffff. Groups have no
 * cookie (OpenFlow 1.3 §7.3.4.2), so the id range is how we know ours:
 * hand-made groups must stay out of it.
 */
export function groupIdRange(cookie: bigint): { readonly first: number; readonly last: number } {
  const first = Number((cookie >> 48n) & 0xffffn) * 0x10000;
  return { first, last: Math.min(first + 0xffff, OFPG_MAX) };
}

/** Stable group ids by next-hop-set key within the range; an id is reused only after release(). */
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

  /** The key's id, allocating the next free one; null when every id is taken. */
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
