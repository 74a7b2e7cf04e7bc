// What the wire format depends on, settled once per session at OPEN
// negotiation (Holo's DecodeCxt/EncodeCxt): built once, passed explicitly.

import { Afi, MAX_MESSAGE_LENGTH } from './iana.js';

export type PeerType = 'ibgp' | 'ebgp' | 'unknown';

export interface CodecContext {
  /** RFC 6793: AS_PATH and AGGREGATOR carry 4-octet AS numbers. */
  readonly asn4: boolean;
  /** RFC 7911: IPv4 unicast NLRI carry path identifiers (in this direction). */
  readonly addPathIpv4: boolean;
  /** RFC 7911: IPv6 unicast NLRI carry path identifiers (in this direction). */
  readonly addPathIpv6: boolean;
  /** 4096, or 65535 once RFC 8654 Extended Message is negotiated. */
  readonly maxMessageLength: number;
  /**
   * RFC 7606 §7.5, §7.9, §7.10 treat LOCAL_PREF, ORIGINATOR_ID and
   * CLUSTER_LIST differently on external sessions; 'unknown' (a message
   * decoded out of session, e.g. by `agentctl decode`) applies neither rule.
   */
  readonly peerType: PeerType;
}

/** RFC 7911: whether NLRI of `afi` carry path identifiers in this direction. */
export function sendsPathIds(context: CodecContext, afi: number): boolean {
  return afi === Afi.ipv4 ? context.addPathIpv4 : context.addPathIpv6;
}

/** A 4-octet-AS session with no ADD-PATH and standard-size messages. */
export const defaultContext: CodecContext = Object.freeze({
  asn4: true,
  addPathIpv4: false,
  addPathIpv6: false,
  maxMessageLength: MAX_MESSAGE_LENGTH,
  peerType: 'unknown',
});

export function codecContext(overrides: Partial<CodecContext> = {}): CodecContext {
  return { ...defaultContext, ...overrides };
}
