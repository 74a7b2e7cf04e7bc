// OPEN message (RFC 4271 §4.2), optional parameters (RFC 5492), and the
// extended optional parameters length of RFC 9072.
//
//   +-+-+-+-+-+-+-+-+
//   |    Version    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     My Autonomous System      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Hold Time           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                         BGP Identifier                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Opt Parm Len  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |             Optional Parameters (variable)                    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// RFC 9072 §2: Opt Parm Len 255 followed by a parameter type of 255 means the
// real length follows as 2 octets, and every parameter length is 2 octets.

import { formatIpv4, parseIpv4 } from '../../net/ip.js';
import { type Capability, decodeCapability, encodeCapability } from './capabilities.js';
import { type BgpError, bgpError, type DecodeResult, fail, ok } from './errors.js';
import { BGP_VERSION, ErrorCode, HEADER_LENGTH, OpenSubcode, OptionalParameterType } from './iana.js';
import { BufferWriter } from './writer.js';

export type OptionalParameter =
  | { readonly type: 'capabilities'; readonly capabilities: readonly Capability[] }
  | { readonly type: 'unknown'; readonly code: number; readonly data: Uint8Array };

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS when the real AS needs 4 octets). */
  readonly myAsn: number;
  readonly holdTimeSeconds: number;
  /** RFC 4271 §4.2 / RFC 6286: a 4-octet identifier, shown as a dotted quad. */
  readonly bgpIdentifier: string;
  /** Parameters in wire order (implementations differ in how they group capabilities). */
  readonly parameters: readonly OptionalParameter[];
  /** True when the RFC 9072 extended-length encoding was (or is to be) used. */
  readonly extendedParameters: boolean;
}

/** Every capability of the OPEN, in order, whatever parameter carried it. */
export function openCapabilities(open: OpenMessage): Capability[] {
  const capabilities: Capability[] = [];
  for (const parameter of open.parameters) {
    if (parameter.type === 'capabilities') capabilities.push(...parameter.capabilities);
  }
  return capabilities;
}

const OPEN_FIXED_LENGTH = 10; // version..opt parm len

function openError(subcode: number, reason: string, data?: Uint8Array): BgpError {
  return bgpError(ErrorCode.openMessage, subcode, reason, data);
}

/** Decodes an OPEN body (`bytes` is the whole message, header included). */
export function decodeOpen(bytes: Uint8Array): DecodeResult<OpenMessage> {
  const body = HEADER_LENGTH;
  if (bytes.length < body + OPEN_FIXED_LENGTH) {
    return fail(
      openError(0, `OPEN body is ${bytes.length - body} octets, at least ${OPEN_FIXED_LENGTH} needed`),
    );
  }
  const version = bytes[body] as number;
  if (version !== BGP_VERSION) {
    // RFC 4271 §6.2: data is the largest locally supported version, 2 octets.
    return fail(
      openError(
        OpenSubcode.unsupportedVersionNumber,
        `BGP version ${version} is not supported (only 4)`,
        Uint8Array.of(0, BGP_VERSION),
      ),
    );
  }
  const myAsn = ((bytes[body + 1] as number) << 8) | (bytes[body + 2] as number);
  const holdTimeSeconds = ((bytes[body + 3] as number) << 8) | (bytes[body + 4] as number);
  const identifier =
    (((bytes[body + 5] as number) << 24) |
      ((bytes[body + 6] as number) << 16) |
      ((bytes[body + 7] as number) << 8) |
      (bytes[body + 8] as number)) >>>
    0;
  // RFC 4271 §6.2: hold time 1 or 2 is unacceptable (0 means no keepalives).
  if (holdTimeSeconds === 1 || holdTimeSeconds === 2) {
    // Data: the hold time received (as FRR and BIRD send it).
    return fail(
      openError(
        OpenSubcode.unacceptableHoldTime,
        `hold time ${holdTimeSeconds} s (must be 0 or >= 3)`,
        bytes.slice(body + 3, body + 5),
      ),
    );
  }
  // RFC 6286 §2.2: the identifier is a non-zero 32-bit value.
  if (identifier === 0) {
    return fail(
      openError(OpenSubcode.badBgpIdentifier, 'BGP identifier is 0.0.0.0', bytes.slice(body + 5, body + 9)),
    );
  }

  let optionalLength = bytes[body + 9] as number;
  let at = body + OPEN_FIXED_LENGTH;
  let extendedParameters = false;
  if (optionalLength === 255 && at < bytes.length && bytes[at] === OptionalParameterType.extendedLength) {
    // RFC 9072 §2: Non-Ext OP Type 255, then Extended Opt. Parm. Length (2 octets).
    if (bytes.length < at + 3) return fail(openError(0, 'extended optional parameters length is truncated'));
    optionalLength = ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number);
    at += 3;
    extendedParameters = true;
  }
  if (at + optionalLength !== bytes.length) {
    return fail(
      openError(
        0,
        `optional parameters length ${optionalLength} does not match the ${bytes.length - at} octets that follow`,
      ),
    );
  }
  const lengthOctets = extendedParameters ? 2 : 1;
  const parameters: OptionalParameter[] = [];
  const end = bytes.length;
  while (at < end) {
    if (at + 1 + lengthOctets > end) return fail(openError(0, 'optional parameter header is truncated'));
    const type = bytes[at] as number;
    const length = extendedParameters
      ? ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number)
      : (bytes[at + 1] as number);
    const valueAt = at + 1 + lengthOctets;
    if (valueAt + length > end) {
      return fail(openError(0, `optional parameter ${type} length ${length} runs past the message`));
    }
    if (type !== OptionalParameterType.capabilities) {
      // RFC 4271 §6.2: an unrecognized optional parameter.
      return fail(
        openError(
          OpenSubcode.unsupportedOptionalParameter,
          `optional parameter type ${type} is not supported`,
          bytes.slice(at, valueAt + length),
        ),
      );
    }
    const capabilities: Capability[] = [];
    let capabilityAt = valueAt;
    const parameterEnd = valueAt + length;
    while (capabilityAt < parameterEnd) {
      if (capabilityAt + 2 > parameterEnd) return fail(openError(0, 'capability header is truncated'));
      const code = bytes[capabilityAt] as number;
      const capabilityLength = bytes[capabilityAt + 1] as number;
      const capabilityEnd = capabilityAt + 2 + capabilityLength;
      if (capabilityEnd > parameterEnd) {
        return fail(openError(0, `capability ${code} length ${capabilityLength} runs past its parameter`));
      }
      const capability = decodeCapability(code, bytes, capabilityAt + 2, capabilityEnd);
      if (typeof capability === 'string') {
        return fail(openError(0, capability, bytes.slice(capabilityAt, capabilityEnd)));
      }
      capabilities.push(capability);
      capabilityAt = capabilityEnd;
    }
    parameters.push({ type: 'capabilities', capabilities });
    at = parameterEnd;
  }
  return ok({
    type: 'open',
    version,
    myAsn,
    holdTimeSeconds,
    bgpIdentifier: formatIpv4(identifier),
    parameters,
    extendedParameters,
  });
}

/**
 * Writes the OPEN body. The RFC 9072 extended-length form is used when the
 * message asks for it or when the parameters do not fit 1-octet lengths.
 */
export function encodeOpenBody(writer: BufferWriter, open: OpenMessage): void {
  const identifier = parseIpv4(open.bgpIdentifier);
  if (identifier === null) throw new Error(`BGP identifier is not a dotted quad: ${open.bgpIdentifier}`);
  const encoded = open.parameters.map((parameter) => {
    if (parameter.type === 'unknown') return { code: parameter.code, value: parameter.data };
    const value = new BufferWriter(64);
    for (const capability of parameter.capabilities) encodeCapability(value, capability);
    return { code: OptionalParameterType.capabilities, value: value.toBytes() };
  });
  const shortTotal = encoded.reduce((sum, parameter) => sum + 2 + parameter.value.length, 0);
  const extended =
    open.extendedParameters || shortTotal > 255 || encoded.some((parameter) => parameter.value.length > 255);
  writer.u8(open.version).u16(open.myAsn).u16(open.holdTimeSeconds).u32(identifier);
  if (!extended) {
    writer.u8(shortTotal);
    for (const parameter of encoded)
      writer.u8(parameter.code).u8(parameter.value.length).bytes(parameter.value);
    return;
  }
  // RFC 9072 §2: Opt Parm Len 255, Non-Ext OP Type 255, then 2-octet lengths.
  const longTotal = encoded.reduce((sum, parameter) => sum + 3 + parameter.value.length, 0);
  writer.u8(255).u8(OptionalParameterType.extendedLength).u16(longTotal);
  for (const parameter of encoded)
    writer.u8(parameter.code).u16(parameter.value.length).bytes(parameter.value);
}
