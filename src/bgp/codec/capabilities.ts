// Capabilities (RFC 5492 §4): each a (code, length, value) TLV inside an OPEN
// optional parameter of type 2. One small codec per capability; anything we
// do not understand is kept as raw bytes and re-encoded unchanged.
//
//   +------------------------------+
//   | Capability Code (1 octet)    |
//   +------------------------------+
//   | Capability Length (1 octet)  |
//   +------------------------------+
//   | Capability Value (variable)  |
//   +------------------------------+

import { CapabilityCode } from './iana.js';
import type { BufferWriter } from './writer.js';

export type AddPathMode = 'receive' | 'send' | 'both';

export interface GracefulRestartFamily {
  readonly afi: number;
  readonly safi: number;
  /** F bit: forwarding state was preserved across the restart (RFC 4724 §3). */
  readonly forwardingPreserved: boolean;
}

export interface AddPathFamily {
  readonly afi: number;
  readonly safi: number;
  readonly mode: AddPathMode;
}

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly kind: 'route-refresh' }
  | { readonly kind: 'route-refresh-cisco' }
  | { readonly kind: 'enhanced-route-refresh' }
  | { readonly kind: 'extended-message' }
  | { readonly kind: 'four-octet-as'; readonly asn: number }
  | {
      readonly kind: 'graceful-restart';
      /** R bit: the sender has restarted (RFC 4724 §3). */
      readonly restarting: boolean;
      /** N bit: the sender supports Graceful Notification (RFC 8538 §2). */
      readonly notification: boolean;
      readonly restartTimeSeconds: number;
      readonly families: readonly GracefulRestartFamily[];
    }
  | { readonly kind: 'add-path'; readonly families: readonly AddPathFamily[] }
  | { readonly kind: 'fqdn'; readonly hostname: string; readonly domainName: string }
  | { readonly kind: 'unknown'; readonly code: number; readonly data: Uint8Array };

export type CapabilityKind = Capability['kind'];

const addPathModes: readonly (AddPathMode | null)[] = [null, 'receive', 'send', 'both'];
const addPathModeValue: Readonly<Record<AddPathMode, number>> = { receive: 1, send: 2, both: 3 };

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
}

/** Decodes one capability value; a string is the reason it is malformed. */
export function decodeCapability(
  code: number,
  bytes: Uint8Array,
  start: number,
  end: number,
): Capability | string {
  const length = end - start;
  const fixedLength = (expected: number, name: string): string | null =>
    length === expected ? null : `${name} capability length ${length}, expected ${expected}`;
  switch (code) {
    case CapabilityCode.multiprotocol: {
      // RFC 4760 §8: AFI (2), Reserved (1), SAFI (1).
      const problem = fixedLength(4, 'multiprotocol');
      if (problem !== null) return problem;
      return { kind: 'multiprotocol', afi: u16(bytes, start), safi: bytes[start + 3] as number };
    }
    case CapabilityCode.routeRefresh:
      return fixedLength(0, 'route-refresh') ?? { kind: 'route-refresh' };
    case CapabilityCode.routeRefreshCisco:
      return fixedLength(0, 'route-refresh-cisco') ?? { kind: 'route-refresh-cisco' };
    case CapabilityCode.enhancedRouteRefresh:
      return fixedLength(0, 'enhanced-route-refresh') ?? { kind: 'enhanced-route-refresh' };
    case CapabilityCode.extendedMessage:
      return fixedLength(0, 'extended-message') ?? { kind: 'extended-message' };
    case CapabilityCode.fourOctetAs: {
      const problem = fixedLength(4, '4-octet-as');
      if (problem !== null) return problem;
      const asn =
        (((bytes[start] as number) << 24) |
          ((bytes[start + 1] as number) << 16) |
          ((bytes[start + 2] as number) << 8) |
          (bytes[start + 3] as number)) >>>
        0;
      return { kind: 'four-octet-as', asn };
    }
    case CapabilityCode.gracefulRestart: {
      // RFC 4724 §3: Restart Flags (4 bits) + Restart Time (12 bits), then
      // per family AFI (2), SAFI (1), Flags for Address Family (1).
      if (length < 2 || (length - 2) % 4 !== 0) {
        return `graceful-restart capability length ${length}, expected 2 + 4 per family`;
      }
      const header = u16(bytes, start);
      const families: GracefulRestartFamily[] = [];
      for (let at = start + 2; at < end; at += 4) {
        families.push({
          afi: u16(bytes, at),
          safi: bytes[at + 2] as number,
          forwardingPreserved: ((bytes[at + 3] as number) & 0x80) !== 0,
        });
      }
      return {
        kind: 'graceful-restart',
        restarting: (header & 0x8000) !== 0,
        notification: (header & 0x4000) !== 0,
        restartTimeSeconds: header & 0x0fff,
        families,
      };
    }
    case CapabilityCode.addPath: {
      // RFC 7911 §4: AFI (2), SAFI (1), Send/Receive (1), repeated.
      if (length === 0 || length % 4 !== 0)
        return `add-path capability length ${length}, expected a multiple of 4`;
      const families: AddPathFamily[] = [];
      for (let at = start; at < end; at += 4) {
        const mode = addPathModes[bytes[at + 3] as number];
        // A Send/Receive value other than 1-3 voids that family only (as FRR does).
        if (mode === undefined || mode === null) continue;
        families.push({ afi: u16(bytes, at), safi: bytes[at + 2] as number, mode });
      }
      return { kind: 'add-path', families };
    }
    case CapabilityCode.fqdn: {
      // draft-walton-bgp-hostname-capability §3: hostname length (1) + hostname,
      // domain name length (1) + domain name.
      if (length < 1) return 'fqdn capability is empty';
      const hostLength = bytes[start] as number;
      const domainAt = start + 1 + hostLength;
      if (domainAt >= end)
        return `fqdn capability: hostname length ${hostLength} leaves no domain name length`;
      const domainLength = bytes[domainAt] as number;
      if (domainAt + 1 + domainLength !== end) {
        return `fqdn capability: domain name length ${domainLength} does not match the capability length`;
      }
      return {
        kind: 'fqdn',
        hostname: utf8Decoder.decode(bytes.subarray(start + 1, domainAt)),
        domainName: utf8Decoder.decode(bytes.subarray(domainAt + 1, end)),
      };
    }
    default:
      return { kind: 'unknown', code, data: bytes.slice(start, end) };
  }
}

export function capabilityCode(capability: Capability): number {
  switch (capability.kind) {
    case 'multiprotocol':
      return CapabilityCode.multiprotocol;
    case 'route-refresh':
      return CapabilityCode.routeRefresh;
    case 'route-refresh-cisco':
      return CapabilityCode.routeRefreshCisco;
    case 'enhanced-route-refresh':
      return CapabilityCode.enhancedRouteRefresh;
    case 'extended-message':
      return CapabilityCode.extendedMessage;
    case 'four-octet-as':
      return CapabilityCode.fourOctetAs;
    case 'graceful-restart':
      return CapabilityCode.gracefulRestart;
    case 'add-path':
      return CapabilityCode.addPath;
    case 'fqdn':
      return CapabilityCode.fqdn;
    case 'unknown':
      return capability.code;
    default:
      return assertNever(capability);
  }
}

/** Writes the capability TLV (code, length, value). */
export function encodeCapability(writer: BufferWriter, capability: Capability): void {
  writer.u8(capabilityCode(capability));
  const lengthAt = writer.length;
  writer.u8(0);
  switch (capability.kind) {
    case 'multiprotocol':
      writer.u16(capability.afi).u8(0).u8(capability.safi);
      break;
    case 'route-refresh':
    case 'route-refresh-cisco':
    case 'enhanced-route-refresh':
    case 'extended-message':
      break;
    case 'four-octet-as':
      writer.u32(capability.asn);
      break;
    case 'graceful-restart':
      writer.u16(
        (capability.restarting ? 0x8000 : 0) |
          (capability.notification ? 0x4000 : 0) |
          (capability.restartTimeSeconds & 0x0fff),
      );
      for (const family of capability.families) {
        writer
          .u16(family.afi)
          .u8(family.safi)
          .u8(family.forwardingPreserved ? 0x80 : 0);
      }
      break;
    case 'add-path':
      for (const family of capability.families) {
        writer.u16(family.afi).u8(family.safi).u8(addPathModeValue[family.mode]);
      }
      break;
    case 'fqdn': {
      const host = utf8Encoder.encode(capability.hostname).subarray(0, 255);
      const domain = utf8Encoder.encode(capability.domainName).subarray(0, 255);
      writer.u8(host.length).bytes(host).u8(domain.length).bytes(domain);
      break;
    }
    case 'unknown':
      writer.bytes(capability.data);
      break;
    default:
      assertNever(capability);
  }
  writer.patchU8(lengthAt, writer.length - lengthAt - 1);
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
