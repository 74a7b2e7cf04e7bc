// OPEN building and validation, and capability negotiation (RFC 4271 §6.2,
// RFC 5492, RFC 6793, RFC 4760, RFC 7911, RFC 8654, RFC 4724, RFC 2918,
// RFC 7313). Pure: values in, a negotiated session or the NOTIFICATION out.

import { parseIpv4 } from '../net/ip.js';
import type { AddPathMode, Capability, GracefulRestartFamily } from './codec/capabilities.js';
import { encodeCapability } from './codec/capabilities.js';
import { type CodecContext, codecContext } from './codec/context.js';
import {
  AS_TRANS,
  BGP_VERSION,
  ErrorCode,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MAX_TWO_OCTET_AS,
  OpenSubcode,
} from './codec/iana.js';
import { type OpenMessage, openCapabilities } from './codec/open.js';
import { BufferWriter } from './codec/writer.js';
import { type AddressFamily, familyAfiSafi, familyOf } from './family.js';
import type { NotificationSpec } from './fsm.js';

export interface GracefulRestartConfig {
  /** Advertised Restart Time (RFC 4724 §3), at most 4095 s. */
  readonly restartTimeSeconds: number;
  /** R bit: we are restarting (set for the first session after a restart). */
  readonly restarting: boolean;
  /** F bit per family: forwarding state was preserved across our restart. */
  readonly forwardingPreserved: boolean;
}

/** What we offer to one neighbor. */
export interface LocalOpenConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly holdTimeSeconds: number;
  readonly families: readonly AddressFamily[];
  readonly addPath: AddPathMode | null;
  readonly gracefulRestart: GracefulRestartConfig | null;
  readonly extendedMessage: boolean;
  readonly hostname: string | null;
  /** The AS the neighbor must have (RFC 4271 §6.2 Bad Peer AS). */
  readonly peerAsn: number;
}

export interface AddPathDirections {
  /** We may send several paths per prefix (with path identifiers). */
  readonly send: boolean;
  /** The peer sends path identifiers to us. */
  readonly receive: boolean;
}

export interface PeerGracefulRestart {
  readonly restartTimeSeconds: number;
  /** R bit: the peer has just restarted. */
  readonly restarting: boolean;
  readonly notification: boolean;
  /** Families the peer preserves across a restart, with their F bit. */
  readonly families: ReadonlyMap<AddressFamily, { readonly forwardingPreserved: boolean }>;
}

export interface NegotiatedSession {
  readonly peerAsn: number;
  readonly peerRouterId: string;
  readonly holdTimeSeconds: number;
  readonly keepaliveSeconds: number;
  /** Families both sides advertised. */
  readonly families: readonly AddressFamily[];
  readonly asn4: boolean;
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  readonly extendedMessage: boolean;
  readonly addPath: ReadonlyMap<AddressFamily, AddPathDirections>;
  /** The peer's Graceful Restart capability (RFC 4724), when both sides advertised one. */
  readonly gracefulRestart: PeerGracefulRestart | null;
  readonly peerHostname: string | null;
  readonly peerCapabilities: readonly Capability[];
  /** How to decode what the peer sends. */
  readonly receiveContext: CodecContext;
  /** How to encode what we send. */
  readonly sendContext: CodecContext;
}

/** Our OPEN for this neighbor: one optional parameter carrying every capability. */
export function buildOpen(local: LocalOpenConfig): OpenMessage {
  const capabilities: Capability[] = local.families.map((family) => ({
    kind: 'multiprotocol',
    ...familyAfiSafi(family),
  }));
  capabilities.push({ kind: 'route-refresh' }, { kind: 'enhanced-route-refresh' });
  capabilities.push({ kind: 'four-octet-as', asn: local.asn });
  if (local.gracefulRestart !== null) {
    const gr = local.gracefulRestart;
    capabilities.push({
      kind: 'graceful-restart',
      restarting: gr.restarting,
      notification: false,
      restartTimeSeconds: Math.min(gr.restartTimeSeconds, 4095),
      families: local.families.map(
        (family): GracefulRestartFamily => ({
          ...familyAfiSafi(family),
          forwardingPreserved: gr.forwardingPreserved,
        }),
      ),
    });
  }
  if (local.addPath !== null) {
    const mode = local.addPath;
    capabilities.push({
      kind: 'add-path',
      families: local.families.map((family) => ({ ...familyAfiSafi(family), mode })),
    });
  }
  if (local.extendedMessage) capabilities.push({ kind: 'extended-message' });
  if (local.hostname !== null) capabilities.push({ kind: 'fqdn', hostname: local.hostname, domainName: '' });
  return {
    type: 'open',
    version: BGP_VERSION,
    myAsn: local.asn > MAX_TWO_OCTET_AS ? AS_TRANS : local.asn,
    holdTimeSeconds: local.holdTimeSeconds,
    bgpIdentifier: local.routerId,
    parameters: [{ type: 'capabilities', capabilities }],
    extendedParameters: false,
  };
}

function openError(subcode: number, reason: string, data?: Uint8Array): NotificationSpec {
  return data === undefined
    ? { code: ErrorCode.openMessage, subcode, reason }
    : { code: ErrorCode.openMessage, subcode, reason, data };
}

const sends = (mode: AddPathMode): boolean => mode === 'send' || mode === 'both';
const receives = (mode: AddPathMode): boolean => mode === 'receive' || mode === 'both';

/**
 * Validates the peer's OPEN against what we expect (RFC 4271 §6.2) and
 * negotiates the session. The codec has already checked the version, a
 * hold time of 1 or 2 and a zero BGP Identifier.
 */
export function negotiate(local: LocalOpenConfig, open: OpenMessage): NegotiatedSession | NotificationSpec {
  const capabilities = openCapabilities(open);
  const as4 = capabilities.find((c) => c.kind === 'four-octet-as');
  // RFC 6793 §4.1: a NEW speaker's real AS is in the capability.
  const peerAsn = as4 !== undefined ? as4.asn : open.myAsn;
  if (peerAsn !== local.peerAsn || peerAsn === 0) {
    // RFC 7607 §2: AS 0 is refused too. Data: the AS received, 4 octets when
    // it came from the capability (as FRR and BIRD send it).
    const data =
      as4 !== undefined
        ? Uint8Array.of(peerAsn >>> 24, (peerAsn >>> 16) & 0xff, (peerAsn >>> 8) & 0xff, peerAsn & 0xff)
        : Uint8Array.of(open.myAsn >> 8, open.myAsn & 0xff);
    return openError(OpenSubcode.badPeerAs, `peer AS ${peerAsn}, configured ${local.peerAsn}`, data);
  }
  const internal = peerAsn === local.asn;
  // RFC 6286 §2.2: an internal peer must not have our BGP Identifier.
  if (internal && open.bgpIdentifier === local.routerId) {
    const id = parseIpv4(open.bgpIdentifier) ?? 0;
    return openError(
      OpenSubcode.badBgpIdentifier,
      `internal peer has our own BGP identifier ${open.bgpIdentifier}`,
      Uint8Array.of(id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff),
    );
  }

  // RFC 4760 §8 / RFC 2858: a peer that advertises no Multiprotocol
  // capability speaks IPv4 unicast only.
  const advertised = capabilities.filter((c) => c.kind === 'multiprotocol');
  const peerFamilies = new Set<AddressFamily>(
    advertised.length === 0
      ? ['ipv4-unicast']
      : advertised.flatMap((c) => {
          const family = familyOf(c.afi, c.safi);
          return family === null ? [] : [family];
        }),
  );
  const families = local.families.filter((family) => peerFamilies.has(family));
  if (families.length === 0) {
    // RFC 5492 §5: Unsupported Capability, carrying the capabilities we need.
    const writer = new BufferWriter(32);
    for (const family of local.families)
      encodeCapability(writer, { kind: 'multiprotocol', ...familyAfiSafi(family) });
    return openError(
      OpenSubcode.unsupportedCapability,
      `no common address family: we offer ${local.families.join(', ')}, the peer ${[...peerFamilies].join(', ') || 'none'}`,
      writer.toBytes(),
    );
  }

  const holdTimeSeconds = Math.min(local.holdTimeSeconds, open.holdTimeSeconds);
  const asn4 = as4 !== undefined;
  // RFC 8654 §3: we may receive extended messages once we advertised the
  // capability, and send them only when the peer advertised it too.
  const extendedMessage = local.extendedMessage && capabilities.some((c) => c.kind === 'extended-message');

  const addPath = new Map<AddressFamily, AddPathDirections>();
  const peerAddPath = capabilities.find((c) => c.kind === 'add-path');
  for (const family of families) {
    const { afi, safi } = familyAfiSafi(family);
    const theirs = peerAddPath?.families.find((f) => f.afi === afi && f.safi === safi)?.mode;
    const ours = local.addPath;
    // RFC 7911 §4: path identifiers flow from a sender to a receiver that both said so.
    const send = ours !== null && theirs !== undefined && sends(ours) && receives(theirs);
    const receive = ours !== null && theirs !== undefined && receives(ours) && sends(theirs);
    addPath.set(family, { send, receive });
  }

  const peerGr = capabilities.find((c) => c.kind === 'graceful-restart');
  let gracefulRestart: PeerGracefulRestart | null = null;
  if (peerGr !== undefined && local.gracefulRestart !== null) {
    const grFamilies = new Map<AddressFamily, { forwardingPreserved: boolean }>();
    for (const f of peerGr.families) {
      const family = familyOf(f.afi, f.safi);
      if (family !== null && families.includes(family))
        grFamilies.set(family, { forwardingPreserved: f.forwardingPreserved });
    }
    gracefulRestart = {
      restartTimeSeconds: peerGr.restartTimeSeconds,
      restarting: peerGr.restarting,
      notification: peerGr.notification,
      families: grFamilies,
    };
  }
  const fqdn = capabilities.find((c) => c.kind === 'fqdn');
  const peerType = internal ? 'ibgp' : 'ebgp';
  const sendLimit = extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  const receiveLimit = local.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  return {
    peerAsn,
    peerRouterId: open.bgpIdentifier,
    holdTimeSeconds,
    keepaliveSeconds: holdTimeSeconds === 0 ? 0 : Math.max(1, Math.floor(holdTimeSeconds / 3)),
    families,
    asn4,
    routeRefresh: capabilities.some((c) => c.kind === 'route-refresh' || c.kind === 'route-refresh-cisco'),
    enhancedRouteRefresh: capabilities.some((c) => c.kind === 'enhanced-route-refresh'),
    extendedMessage,
    addPath,
    gracefulRestart,
    peerHostname: fqdn === undefined ? null : fqdn.hostname,
    peerCapabilities: capabilities,
    receiveContext: codecContext({
      asn4,
      addPathIpv4: addPath.get('ipv4-unicast')?.receive ?? false,
      addPathIpv6: addPath.get('ipv6-unicast')?.receive ?? false,
      maxMessageLength: receiveLimit,
      peerType,
    }),
    sendContext: codecContext({
      asn4,
      addPathIpv4: addPath.get('ipv4-unicast')?.send ?? false,
      addPathIpv6: addPath.get('ipv6-unicast')?.send ?? false,
      maxMessageLength: sendLimit,
      peerType,
    }),
  };
}

export function isNotification(value: NegotiatedSession | NotificationSpec): value is NotificationSpec {
  return 'code' in value && 'subcode' in value;
}
