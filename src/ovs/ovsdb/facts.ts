// What the flow writer needs from the Open_vSwitch database, as pure
// functions over a monitor replica: does the bridge exist, and for each of
// its ports the OpenFlow port number and MAC (RFC 7047 data: sets of one
// element may be sent bare, uuids as ["uuid", "..."], sets as ["set", [...]]).
import type { Json } from './framing.js';

export type Row = { readonly [column: string]: Json };
/** table name -> row uuid -> row (monitored columns only). */
export type Replica = Map<string, Map<string, Row>>;

export interface OvsPort {
  readonly name: string;
  /** OpenFlow port number; null while unassigned or failed (ofport -1 or empty). */
  readonly ofport: number | null;
  /** mac_in_use of the port's interface (lower case), or null. */
  readonly mac: string | null;
  /** Interface type: "" (system), internal, vxlan, geneve, ... */
  readonly type: string;
}

export interface BridgeFacts {
  readonly bridge: string;
  /** False: no Bridge row of that name. */
  readonly present: boolean;
  /** By port name, and by interface name where that differs. */
  readonly ports: ReadonlyMap<string, OvsPort>;
}

/** The tables and columns the writer monitors. */
export const MONITOR_REQUESTS: { readonly [table: string]: Json } = {
  Bridge: { columns: ['name', 'ports'] },
  Port: { columns: ['name', 'interfaces'] },
  Interface: { columns: ['name', 'ofport', 'mac_in_use', 'type'] },
};

/** RFC 7047 §5.1: a set is ["set", [atoms]] or a single atom. */
export function setAtoms(value: Json | undefined): readonly Json[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value) && value[0] === 'set' && Array.isArray(value[1]))
    return value[1] as readonly Json[];
  return [value];
}

/** ["uuid", "x"] -> "x". */
export function uuidOf(atom: Json): string | null {
  return Array.isArray(atom) && atom[0] === 'uuid' && typeof atom[1] === 'string' ? atom[1] : null;
}

function stringOf(value: Json | undefined): string | null {
  const atoms = setAtoms(value);
  return atoms.length === 1 && typeof atoms[0] === 'string' ? atoms[0] : null;
}

function integerOf(value: Json | undefined): number | null {
  const atoms = setAtoms(value);
  return atoms.length === 1 && typeof atoms[0] === 'number' ? atoms[0] : null;
}

/**
 * Applies RFC 7047 §4.1.6 <table-updates>: "new" alone or with "old" is an
 * insert or a modify (monitor v1 sends every monitored column in "new"),
 * "old" alone a delete. Returns false when the shape is not table-updates.
 */
export function applyTableUpdates(replica: Replica, updates: Json): boolean {
  if (typeof updates !== 'object' || updates === null || Array.isArray(updates)) return false;
  for (const [table, rows] of Object.entries(updates as { readonly [k: string]: Json })) {
    if (typeof rows !== 'object' || rows === null || Array.isArray(rows)) return false;
    let tableRows = replica.get(table);
    if (!tableRows) {
      tableRows = new Map();
      replica.set(table, tableRows);
    }
    for (const [uuid, change] of Object.entries(rows as { readonly [k: string]: Json })) {
      if (typeof change !== 'object' || change === null || Array.isArray(change)) return false;
      const next = (change as { readonly [k: string]: Json }).new;
      if (next !== undefined && typeof next === 'object' && next !== null && !Array.isArray(next)) {
        const previous = tableRows.get(uuid);
        tableRows.set(uuid, previous ? { ...previous, ...(next as Row) } : (next as Row));
      } else {
        tableRows.delete(uuid);
      }
    }
  }
  return true;
}

export function bridgeFacts(replica: Replica, bridgeName: string): BridgeFacts {
  const ports = new Map<string, OvsPort>();
  let bridgeRow: Row | undefined;
  for (const row of replica.get('Bridge')?.values() ?? [])
    if (stringOf(row.name) === bridgeName) bridgeRow = row;
  if (!bridgeRow) return { bridge: bridgeName, present: false, ports };
  const portRows = replica.get('Port');
  const interfaceRows = replica.get('Interface');
  for (const portAtom of setAtoms(bridgeRow.ports)) {
    const portUuid = uuidOf(portAtom);
    const port = portUuid === null ? undefined : portRows?.get(portUuid);
    if (!port) continue;
    const portName = stringOf(port.name);
    if (portName === null) continue;
    let first: OvsPort | null = null;
    for (const ifaceAtom of setAtoms(port.interfaces)) {
      const ifaceUuid = uuidOf(ifaceAtom);
      const iface = ifaceUuid === null ? undefined : interfaceRows?.get(ifaceUuid);
      if (!iface) continue;
      const ofport = integerOf(iface.ofport);
      const facts: OvsPort = {
        name: stringOf(iface.name) ?? portName,
        ofport: ofport === null || ofport < 0 ? null : ofport,
        mac: stringOf(iface.mac_in_use)?.toLowerCase() ?? null,
        type: stringOf(iface.type) ?? '',
      };
      first ??= facts;
      if (facts.name !== portName) ports.set(facts.name, facts);
    }
    ports.set(
      portName,
      first ? { ...first, name: portName } : { name: portName, ofport: null, mac: null, type: '' },
    );
  }
  return { bridge: bridgeName, present: true, ports };
}

/** Stable text of the facts, for change detection and logs. */
export function factsKey(facts: BridgeFacts): string {
  const ports = [...facts.ports.values()]
    .map((p) => `${p.name}=${p.ofport ?? '-'}/${p.mac ?? '-'}/${p.type}`)
    .sort();
  return `${facts.bridge}:${facts.present ? 'present' : 'absent'}:${ports.join(',')}`;
}
