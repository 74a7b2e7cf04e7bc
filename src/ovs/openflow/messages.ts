// OpenFlow 1.3 messages: a closed union, one encoder per message (writing
// into a shared ByteWriter so a batch of thousands is one buffer) and one
// decoder for a framed message. Errors are values: decodeMessage returns
// { ok: false, error } for malformed input; nothing here throws on bad bytes.
//
// Every message starts with ofp_header (§7.1):
//   version u8 (0x04) | type u8 | length u16 | xid u32
import {
  type Action,
  type Instruction,
  readActions,
  readInstructions,
  writeActions,
  writeInstructions,
} from './actions.js';
import { ByteReader, ByteWriter, DecodeError, TruncatedError } from './buffer.js';
import {
  OFP_HEADER_LENGTH,
  OFP_MAX_MESSAGE_LENGTH,
  OFP_NO_BUFFER,
  OFP_VERSION_1_3,
  OFPG_ANY,
  OFPHET_VERSIONBITMAP,
  OFPMPF_REPLY_MORE,
  OFPP_ANY,
  OfpErrorType,
  OfpFlowModCommand,
  OfpGroupModCommand,
  OfpGroupType,
  OfpMultipartType,
  OfpType,
  ONF_EXPERIMENTER_ID,
  ONFT_BUNDLE_ADD_MESSAGE,
  ONFT_BUNDLE_CONTROL,
} from './constants.js';
import { type Match, type OxmTlv, readMatch, readOxm, writeMatch } from './oxm.js';

export type FlowModCommand = 'add' | 'modify' | 'modifyStrict' | 'delete' | 'deleteStrict';
export type GroupModCommand = 'add' | 'modify' | 'delete';
export type GroupType = 'all' | 'select' | 'indirect' | 'fastFailover';

const FLOW_MOD_COMMANDS: readonly FlowModCommand[] = [
  'add',
  'modify',
  'modifyStrict',
  'delete',
  'deleteStrict',
];
const FLOW_MOD_CODES: Readonly<Record<FlowModCommand, number>> = {
  add: OfpFlowModCommand.ADD,
  modify: OfpFlowModCommand.MODIFY,
  modifyStrict: OfpFlowModCommand.MODIFY_STRICT,
  delete: OfpFlowModCommand.DELETE,
  deleteStrict: OfpFlowModCommand.DELETE_STRICT,
};
const GROUP_MOD_COMMANDS: readonly GroupModCommand[] = ['add', 'modify', 'delete'];
const GROUP_MOD_CODES: Readonly<Record<GroupModCommand, number>> = {
  add: OfpGroupModCommand.ADD,
  modify: OfpGroupModCommand.MODIFY,
  delete: OfpGroupModCommand.DELETE,
};
const GROUP_TYPES: readonly GroupType[] = ['all', 'select', 'indirect', 'fastFailover'];
const GROUP_TYPE_CODES: Readonly<Record<GroupType, number>> = {
  all: OfpGroupType.ALL,
  select: OfpGroupType.SELECT,
  indirect: OfpGroupType.INDIRECT,
  fastFailover: OfpGroupType.FF,
};

export interface FlowMod {
  readonly cookie: bigint;
  readonly cookieMask: bigint;
  readonly tableId: number;
  readonly command: FlowModCommand;
  readonly idleTimeout: number;
  readonly hardTimeout: number;
  readonly priority: number;
  readonly bufferId: number;
  readonly outPort: number;
  readonly outGroup: number;
  readonly flags: number;
  readonly match: Match;
  readonly instructions: readonly Instruction[];
}

/** Defaults for the fields a route flow never sets. */
export const flowModDefaults = {
  cookieMask: 0n,
  idleTimeout: 0,
  hardTimeout: 0,
  bufferId: OFP_NO_BUFFER,
  outPort: OFPP_ANY,
  outGroup: OFPG_ANY,
  flags: 0,
} as const;

export interface Bucket {
  readonly weight: number;
  readonly watchPort: number;
  readonly watchGroup: number;
  readonly actions: readonly Action[];
}

export interface GroupMod {
  readonly command: GroupModCommand;
  readonly groupType: GroupType;
  readonly groupId: number;
  readonly buckets: readonly Bucket[];
}

export interface FlowStatsRequest {
  readonly tableId: number;
  readonly outPort: number;
  readonly outGroup: number;
  readonly cookie: bigint;
  readonly cookieMask: bigint;
  readonly match: Match;
}

export interface AsyncConfig {
  /** [master/equal, slave] masks, one bit per reason (§7.3.10). */
  readonly packetInMask: readonly [number, number];
  readonly portStatusMask: readonly [number, number];
  readonly flowRemovedMask: readonly [number, number];
}

/** Every OpenFlow 1.3 message this codec knows; the rest decode as 'other'. */
export type OfMessage =
  | {
      readonly type: 'hello';
      readonly xid: number;
      /** The header's version: the highest the sender speaks. */
      readonly version: number;
      /** Versions from a version-bitmap element, or null when the HELLO has none (§7.5.1). */
      readonly bitmap: readonly number[] | null;
    }
  | {
      readonly type: 'error';
      readonly xid: number;
      readonly errorType: number;
      readonly code: number;
      /** Experimenter id for OFPET_EXPERIMENTER errors (ONF bundle errors: 0x4f4e4600). */
      readonly experimenter: number | null;
      /** Usually the start of the offending request. */
      readonly data: Buffer;
    }
  | { readonly type: 'echoRequest'; readonly xid: number; readonly data: Buffer }
  | { readonly type: 'echoReply'; readonly xid: number; readonly data: Buffer }
  | { readonly type: 'featuresRequest'; readonly xid: number }
  | {
      readonly type: 'featuresReply';
      readonly xid: number;
      readonly datapathId: bigint;
      readonly nBuffers: number;
      readonly nTables: number;
      readonly auxiliaryId: number;
      readonly capabilities: number;
    }
  | {
      readonly type: 'setConfig';
      readonly xid: number;
      readonly flags: number;
      readonly missSendLength: number;
    }
  | { readonly type: 'setAsync'; readonly xid: number; readonly config: AsyncConfig }
  | {
      readonly type: 'flowRemoved';
      readonly xid: number;
      readonly cookie: bigint;
      readonly priority: number;
      readonly reason: number;
      readonly tableId: number;
      readonly match: Match;
    }
  | ({ readonly type: 'flowMod'; readonly xid: number } & FlowMod)
  | ({ readonly type: 'groupMod'; readonly xid: number } & GroupMod)
  | {
      readonly type: 'multipartRequest';
      readonly xid: number;
      readonly multipartType: number;
      readonly flags: number;
      readonly body: Buffer;
    }
  | {
      readonly type: 'multipartReply';
      readonly xid: number;
      readonly multipartType: number;
      readonly flags: number;
      readonly body: Buffer;
    }
  | { readonly type: 'barrierRequest'; readonly xid: number }
  | { readonly type: 'barrierReply'; readonly xid: number }
  | {
      readonly type: 'bundleControl';
      readonly xid: number;
      readonly bundleId: number;
      readonly controlType: number;
      readonly flags: number;
    }
  | {
      readonly type: 'bundleAdd';
      readonly xid: number;
      readonly bundleId: number;
      readonly flags: number;
      /** The embedded message, its own header included. */
      readonly message: Buffer;
    }
  | { readonly type: 'other'; readonly xid: number; readonly messageType: number; readonly body: Buffer };

export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

// --- framing ----------------------------------------------------------------

/**
 * Length of the message starting at `offset`, or null when fewer than 8 bytes
 * are there; -1 when the header is impossible (length < 8 or not 1.3).
 */
export function frameLength(buffer: Buffer, offset = 0): number | null {
  if (buffer.length - offset < OFP_HEADER_LENGTH) return null;
  const length = buffer.readUInt16BE(offset + 2);
  if (length < OFP_HEADER_LENGTH) return -1;
  return length;
}

// --- encoders ---------------------------------------------------------------

/** Writes a header with length 0 and returns its offset; finish() patches the length. */
function begin(w: ByteWriter, type: number, xid: number): number {
  const start = w.length;
  w.u8(OFP_VERSION_1_3);
  w.u8(type);
  w.u16(0);
  w.u32(xid);
  return start;
}

function finish(w: ByteWriter, start: number): void {
  const length = w.length - start;
  if (length > OFP_MAX_MESSAGE_LENGTH)
    throw new RangeError(`OpenFlow message of ${length} bytes exceeds 65535`);
  w.patchU16(start + 2, length);
}

/** HELLO with a version bitmap element for 1.3 only (§7.5.1). */
export function writeHello(w: ByteWriter, xid: number): void {
  writeHelloWith(w, xid, OFP_VERSION_1_3, [OFP_VERSION_1_3]);
}

function writeHelloWith(w: ByteWriter, xid: number, version: number, bitmap: readonly number[] | null): void {
  const start = w.length;
  w.u8(version);
  w.u8(OfpType.HELLO);
  w.u16(0);
  w.u32(xid);
  if (bitmap !== null) {
    const words = Math.max(1, Math.ceil((Math.max(0, ...bitmap) + 1) / 32));
    const elementStart = w.length;
    w.u16(OFPHET_VERSIONBITMAP);
    w.u16(4 + 4 * words);
    for (let word = 0; word < words; word++) {
      let bits = 0;
      for (const v of bitmap) if (v >= word * 32 && v < word * 32 + 32) bits |= 1 << (v - word * 32);
      w.u32(bits >>> 0);
    }
    w.padTo8(elementStart);
  }
  finish(w, start);
}

/** What a peer's HELLO says it speaks: the bitmap, or every version up to the header's (§7.5.1). */
export function helloVersions(hello: {
  readonly version: number;
  readonly bitmap: readonly number[] | null;
}): number[] {
  if (hello.bitmap !== null) return [...hello.bitmap];
  const versions: number[] = [];
  for (let v = 1; v <= hello.version; v++) versions.push(v);
  return versions;
}

export function writeEcho(w: ByteWriter, type: 'request' | 'reply', xid: number, data: Uint8Array): void {
  const start = begin(w, type === 'request' ? OfpType.ECHO_REQUEST : OfpType.ECHO_REPLY, xid);
  w.bytes(data);
  finish(w, start);
}

export function writeFeaturesRequest(w: ByteWriter, xid: number): void {
  finish(w, begin(w, OfpType.FEATURES_REQUEST, xid));
}

export function writeBarrierRequest(w: ByteWriter, xid: number): void {
  finish(w, begin(w, OfpType.BARRIER_REQUEST, xid));
}

export function writeSetConfig(w: ByteWriter, xid: number, flags: number, missSendLength: number): void {
  const start = begin(w, OfpType.SET_CONFIG, xid);
  w.u16(flags);
  w.u16(missSendLength);
  finish(w, start);
}

export function writeSetAsync(w: ByteWriter, xid: number, config: AsyncConfig): void {
  const start = begin(w, OfpType.SET_ASYNC, xid);
  for (const mask of [config.packetInMask, config.portStatusMask, config.flowRemovedMask]) {
    w.u32(mask[0]);
    w.u32(mask[1]);
  }
  finish(w, start);
}

/*
 * ofp_flow_mod (§7.3.4.1), after the header:
 *   cookie u64 | cookie_mask u64 | table_id u8 | command u8 | idle_timeout u16
 *   hard_timeout u16 | priority u16 | buffer_id u32 | out_port u32 | out_group u32
 *   flags u16 | pad[2] | ofp_match | instructions
 */
export function writeFlowMod(w: ByteWriter, xid: number, fm: FlowMod): void {
  const start = begin(w, OfpType.FLOW_MOD, xid);
  w.u64(fm.cookie);
  w.u64(fm.cookieMask);
  w.u8(fm.tableId);
  w.u8(FLOW_MOD_CODES[fm.command]);
  w.u16(fm.idleTimeout);
  w.u16(fm.hardTimeout);
  w.u16(fm.priority);
  w.u32(fm.bufferId);
  w.u32(fm.outPort);
  w.u32(fm.outGroup);
  w.u16(fm.flags);
  w.zeros(2);
  writeMatch(w, fm.match);
  writeInstructions(w, fm.instructions);
  finish(w, start);
}

/*
 * ofp_group_mod (§7.3.4.2): command u16 | type u8 | pad u8 | group_id u32 | buckets
 * ofp_bucket: len u16 | weight u16 | watch_port u32 | watch_group u32 | pad[4] | actions
 */
export function writeGroupMod(w: ByteWriter, xid: number, gm: GroupMod): void {
  const start = begin(w, OfpType.GROUP_MOD, xid);
  w.u16(GROUP_MOD_CODES[gm.command]);
  w.u8(GROUP_TYPE_CODES[gm.groupType]);
  w.u8(0);
  w.u32(gm.groupId);
  writeBuckets(w, gm.buckets);
  finish(w, start);
}

function writeBuckets(w: ByteWriter, buckets: readonly Bucket[]): void {
  for (const bucket of buckets) {
    const bucketStart = w.length;
    w.u16(0);
    w.u16(bucket.weight);
    w.u32(bucket.watchPort);
    w.u32(bucket.watchGroup);
    w.zeros(4);
    writeActions(w, bucket.actions);
    w.patchU16(bucketStart, w.length - bucketStart);
  }
}

/*
 * ofp_multipart_request (§7.3.5): type u16 | flags u16 | pad[4] | body
 * OFPMP_FLOW body: table_id u8 | pad[3] | out_port u32 | out_group u32 | pad[4]
 *                  cookie u64 | cookie_mask u64 | ofp_match
 */
export function writeFlowStatsRequest(w: ByteWriter, xid: number, request: FlowStatsRequest): void {
  const start = begin(w, OfpType.MULTIPART_REQUEST, xid);
  w.u16(OfpMultipartType.FLOW);
  w.u16(0);
  w.zeros(4);
  w.u8(request.tableId);
  w.zeros(3);
  w.u32(request.outPort);
  w.u32(request.outGroup);
  w.zeros(4);
  w.u64(request.cookie);
  w.u64(request.cookieMask);
  writeMatch(w, request.match);
  finish(w, start);
}

/** OFPMP_GROUP_DESC: every group with its buckets; the request has no body. */
export function writeGroupDescRequest(w: ByteWriter, xid: number): void {
  const start = begin(w, OfpType.MULTIPART_REQUEST, xid);
  w.u16(OfpMultipartType.GROUP_DESC);
  w.u16(0);
  w.zeros(4);
  finish(w, start);
}

/*
 * ONF EXT-230 bundle messages (OpenFlow 1.4 bundles on 1.3), as experimenter messages:
 *   ofp_header(type=EXPERIMENTER) | experimenter u32 (0x4f4e4600) | exp_type u32 (2300/2301)
 *   ofp14_bundle_ctrl_msg: bundle_id u32 | type u16 | flags u16
 *   BUNDLE_ADD_MESSAGE: type unused (0), then the embedded message whose xid equals the outer xid.
 */
export function writeBundleControl(
  w: ByteWriter,
  xid: number,
  bundleId: number,
  controlType: number,
  flags: number,
): void {
  const start = begin(w, OfpType.EXPERIMENTER, xid);
  w.u32(ONF_EXPERIMENTER_ID);
  w.u32(ONFT_BUNDLE_CONTROL);
  w.u32(bundleId);
  w.u16(controlType);
  w.u16(flags);
  finish(w, start);
}

/** Opens a BUNDLE_ADD_MESSAGE; write the embedded message (same xid) next, then call endBundleAdd. */
export function beginBundleAdd(w: ByteWriter, xid: number, bundleId: number, flags: number): number {
  const start = begin(w, OfpType.EXPERIMENTER, xid);
  w.u32(ONF_EXPERIMENTER_ID);
  w.u32(ONFT_BUNDLE_ADD_MESSAGE);
  w.u32(bundleId);
  w.u16(0);
  w.u16(flags);
  return start;
}

export function endBundleAdd(w: ByteWriter, start: number): void {
  finish(w, start);
}

/** Encodes any message of the union (the hot paths call the writers above directly). */
export function writeMessage(w: ByteWriter, message: OfMessage): void {
  const { xid } = message;
  switch (message.type) {
    case 'hello':
      writeHelloWith(w, xid, message.version, message.bitmap);
      return;
    case 'error': {
      const start = begin(w, OfpType.ERROR, xid);
      w.u16(message.errorType);
      if (message.errorType === OfpErrorType.EXPERIMENTER) {
        w.u16(message.code);
        w.u32(message.experimenter ?? 0);
      } else {
        w.u16(message.code);
      }
      w.bytes(message.data);
      finish(w, start);
      return;
    }
    case 'echoRequest':
      writeEcho(w, 'request', xid, message.data);
      return;
    case 'echoReply':
      writeEcho(w, 'reply', xid, message.data);
      return;
    case 'featuresRequest':
      writeFeaturesRequest(w, xid);
      return;
    case 'featuresReply': {
      const start = begin(w, OfpType.FEATURES_REPLY, xid);
      w.u64(message.datapathId);
      w.u32(message.nBuffers);
      w.u8(message.nTables);
      w.u8(message.auxiliaryId);
      w.zeros(2);
      w.u32(message.capabilities);
      w.u32(0);
      finish(w, start);
      return;
    }
    case 'setConfig':
      writeSetConfig(w, xid, message.flags, message.missSendLength);
      return;
    case 'setAsync':
      writeSetAsync(w, xid, message.config);
      return;
    case 'flowRemoved': {
      const start = begin(w, OfpType.FLOW_REMOVED, xid);
      w.u64(message.cookie);
      w.u16(message.priority);
      w.u8(message.reason);
      w.u8(message.tableId);
      w.zeros(4 + 4 + 2 + 2 + 8 + 8);
      writeMatch(w, message.match);
      finish(w, start);
      return;
    }
    case 'flowMod':
      writeFlowMod(w, xid, message);
      return;
    case 'groupMod':
      writeGroupMod(w, xid, message);
      return;
    case 'multipartRequest':
    case 'multipartReply': {
      const start = begin(
        w,
        message.type === 'multipartRequest' ? OfpType.MULTIPART_REQUEST : OfpType.MULTIPART_REPLY,
        xid,
      );
      w.u16(message.multipartType);
      w.u16(message.flags);
      w.zeros(4);
      w.bytes(message.body);
      finish(w, start);
      return;
    }
    case 'barrierRequest':
      writeBarrierRequest(w, xid);
      return;
    case 'barrierReply':
      finish(w, begin(w, OfpType.BARRIER_REPLY, xid));
      return;
    case 'bundleControl':
      writeBundleControl(w, xid, message.bundleId, message.controlType, message.flags);
      return;
    case 'bundleAdd': {
      const start = beginBundleAdd(w, xid, message.bundleId, message.flags);
      w.bytes(message.message);
      endBundleAdd(w, start);
      return;
    }
    case 'other': {
      const start = begin(w, message.messageType, xid);
      w.bytes(message.body);
      finish(w, start);
      return;
    }
  }
}

export function encodeMessage(message: OfMessage): Buffer {
  const w = new ByteWriter(256);
  writeMessage(w, message);
  return w.toBuffer();
}

// --- decoders ---------------------------------------------------------------

/** Decodes one framed message (exactly `header.length` bytes). */
export function decodeMessage(frame: Buffer): DecodeResult<OfMessage> {
  if (frame.length < OFP_HEADER_LENGTH) return { ok: false, error: 'message shorter than the 8-byte header' };
  const version = frame[0] ?? 0;
  const type = frame[1] ?? 0;
  const length = frame.readUInt16BE(2);
  const xid = frame.readUInt32BE(4);
  if (length !== frame.length)
    return { ok: false, error: `header length ${length} but frame has ${frame.length} bytes` };
  // HELLO may carry another version: negotiation happens on its bitmap.
  if (version !== OFP_VERSION_1_3 && type !== OfpType.HELLO && type !== OfpType.ERROR)
    return { ok: false, error: `OpenFlow version 0x${version.toString(16)} is not 1.3` };
  const r = new ByteReader(frame, OFP_HEADER_LENGTH, length);
  try {
    return { ok: true, value: decodeBody(type, xid, r, frame) };
  } catch (error) {
    if (error instanceof DecodeError)
      return { ok: false, error: `${messageTypeName(type)}: ${error.message}` };
    throw error;
  }
}

function decodeBody(type: number, xid: number, r: ByteReader, frame: Buffer): OfMessage {
  switch (type) {
    case OfpType.HELLO:
      return { type: 'hello', xid, version: frame[0] ?? 0, bitmap: decodeHelloBitmap(r) };
    case OfpType.ERROR: {
      const errorType = r.u16('error type');
      const code = r.u16('error code');
      const experimenter = errorType === OfpErrorType.EXPERIMENTER ? r.u32('error experimenter') : null;
      return { type: 'error', xid, errorType, code, experimenter, data: Buffer.from(r.bytes(r.remaining)) };
    }
    case OfpType.ECHO_REQUEST:
      return { type: 'echoRequest', xid, data: Buffer.from(r.bytes(r.remaining)) };
    case OfpType.ECHO_REPLY:
      return { type: 'echoReply', xid, data: Buffer.from(r.bytes(r.remaining)) };
    case OfpType.FEATURES_REQUEST:
      return { type: 'featuresRequest', xid };
    case OfpType.FEATURES_REPLY: {
      const datapathId = r.u64('datapath_id');
      const nBuffers = r.u32('n_buffers');
      const nTables = r.u8('n_tables');
      const auxiliaryId = r.u8('auxiliary_id');
      r.skip(2);
      const capabilities = r.u32('capabilities');
      return { type: 'featuresReply', xid, datapathId, nBuffers, nTables, auxiliaryId, capabilities };
    }
    case OfpType.SET_CONFIG:
      return { type: 'setConfig', xid, flags: r.u16('flags'), missSendLength: r.u16('miss_send_len') };
    case OfpType.SET_ASYNC: {
      const masks: number[] = [];
      for (let i = 0; i < 6; i++) masks.push(r.u32('async mask'));
      const pair = (i: number): [number, number] => [masks[i] ?? 0, masks[i + 1] ?? 0];
      return {
        type: 'setAsync',
        xid,
        config: { packetInMask: pair(0), portStatusMask: pair(2), flowRemovedMask: pair(4) },
      };
    }
    case OfpType.FLOW_REMOVED: {
      const cookie = r.u64('cookie');
      const priority = r.u16('priority');
      const reason = r.u8('reason');
      const tableId = r.u8('table_id');
      r.skip(4 + 4 + 2 + 2 + 8 + 8, 'flow removed counters');
      return { type: 'flowRemoved', xid, cookie, priority, reason, tableId, match: readMatch(r) };
    }
    case OfpType.FLOW_MOD:
      return { type: 'flowMod', xid, ...readFlowMod(r) };
    case OfpType.GROUP_MOD: {
      const command = GROUP_MOD_COMMANDS[r.u16('command')];
      const groupType = GROUP_TYPES[r.u8('group type')];
      r.skip(1);
      const groupId = r.u32('group_id');
      if (command === undefined || groupType === undefined)
        throw new DecodeError('unknown group command or type');
      return { type: 'groupMod', xid, command, groupType, groupId, buckets: readBuckets(r) };
    }
    case OfpType.MULTIPART_REQUEST:
    case OfpType.MULTIPART_REPLY: {
      const multipartType = r.u16('multipart type');
      const flags = r.u16('multipart flags');
      r.skip(4);
      const body = Buffer.from(r.bytes(r.remaining));
      return type === OfpType.MULTIPART_REQUEST
        ? { type: 'multipartRequest', xid, multipartType, flags, body }
        : { type: 'multipartReply', xid, multipartType, flags, body };
    }
    case OfpType.BARRIER_REQUEST:
      return { type: 'barrierRequest', xid };
    case OfpType.BARRIER_REPLY:
      return { type: 'barrierReply', xid };
    case OfpType.EXPERIMENTER: {
      const experimenter = r.u32('experimenter');
      const expType = r.u32('exp_type');
      if (experimenter === ONF_EXPERIMENTER_ID && expType === ONFT_BUNDLE_CONTROL) {
        const bundleId = r.u32('bundle_id');
        const controlType = r.u16('bundle control type');
        const flags = r.u16('bundle flags');
        return { type: 'bundleControl', xid, bundleId, controlType, flags };
      }
      if (experimenter === ONF_EXPERIMENTER_ID && expType === ONFT_BUNDLE_ADD_MESSAGE) {
        const bundleId = r.u32('bundle_id');
        r.skip(2);
        const flags = r.u16('bundle flags');
        const innerStart = r.offset;
        if (r.remaining < OFP_HEADER_LENGTH) throw new TruncatedError('embedded message header');
        const innerLength = frame.readUInt16BE(innerStart + 2);
        // ONF bundle extension: the embedded message is a whole OpenFlow message, header included.
        if (innerLength < OFP_HEADER_LENGTH)
          throw new DecodeError(
            `embedded message length ${innerLength} is shorter than its ${OFP_HEADER_LENGTH}-octet header`,
          );
        const message = Buffer.from(r.bytes(innerLength, 'embedded message'));
        return { type: 'bundleAdd', xid, bundleId, flags, message };
      }
      r.offset = OFP_HEADER_LENGTH;
      return {
        type: 'other',
        xid,
        messageType: OfpType.EXPERIMENTER,
        body: Buffer.from(r.bytes(r.remaining)),
      };
    }
    default:
      return { type: 'other', xid, messageType: type, body: Buffer.from(r.bytes(r.remaining)) };
  }
}

function decodeHelloBitmap(r: ByteReader): number[] | null {
  let versions: number[] | null = null;
  while (r.remaining >= 4) {
    const elementType = r.u16('hello element type');
    const elementLength = r.u16('hello element length');
    if (elementLength < 4) break;
    const body = r.sub(elementLength - 4, 'hello element');
    if (elementType === OFPHET_VERSIONBITMAP) {
      versions ??= [];
      let word = 0;
      while (body.remaining >= 4) {
        const bits = body.u32();
        for (let bit = 0; bit < 32; bit++) if (bits & (1 << bit)) versions.push(word * 32 + bit);
        word++;
      }
    }
    r.skip(Math.min(r.remaining, ((elementLength + 7) & ~7) - elementLength));
  }
  return versions;
}

function readFlowMod(r: ByteReader): FlowMod {
  const cookie = r.u64('cookie');
  const cookieMask = r.u64('cookie_mask');
  const tableId = r.u8('table_id');
  const command = FLOW_MOD_COMMANDS[r.u8('command')];
  const idleTimeout = r.u16('idle_timeout');
  const hardTimeout = r.u16('hard_timeout');
  const priority = r.u16('priority');
  const bufferId = r.u32('buffer_id');
  const outPort = r.u32('out_port');
  const outGroup = r.u32('out_group');
  const flags = r.u16('flags');
  r.skip(2);
  if (command === undefined) throw new DecodeError('unknown flow mod command');
  const match = readMatch(r);
  const instructions = readInstructions(r);
  return {
    cookie,
    cookieMask,
    tableId,
    command,
    idleTimeout,
    hardTimeout,
    priority,
    bufferId,
    outPort,
    outGroup,
    flags,
    match,
    instructions,
  };
}

function readBuckets(r: ByteReader): Bucket[] {
  const buckets: Bucket[] = [];
  while (r.remaining > 0) {
    const length = r.u16('bucket length');
    if (length < 16) throw new DecodeError(`bucket length ${length} < 16`);
    const weight = r.u16('weight');
    const watchPort = r.u32('watch_port');
    const watchGroup = r.u32('watch_group');
    r.skip(4);
    buckets.push({
      weight,
      watchPort,
      watchGroup,
      actions: readActions(r.sub(length - 16, 'bucket actions')),
    });
  }
  return buckets;
}

// --- multipart reply bodies -------------------------------------------------

export function isLastPart(message: { readonly flags: number }): boolean {
  return (message.flags & OFPMPF_REPLY_MORE) === 0;
}

/** One entry of an OFPMP_FLOW reply (ofp_flow_stats, §7.3.5.2). */
export interface FlowStats {
  readonly tableId: number;
  readonly durationSec: number;
  readonly priority: number;
  readonly idleTimeout: number;
  readonly hardTimeout: number;
  readonly flags: number;
  readonly cookie: bigint;
  readonly packetCount: bigint;
  readonly byteCount: bigint;
  readonly match: Match;
  readonly instructions: readonly Instruction[];
}

/*
 * ofp_flow_stats: length u16 | table_id u8 | pad | duration_sec u32 | duration_nsec u32
 *   priority u16 | idle_timeout u16 | hard_timeout u16 | flags u16 | pad[4]
 *   cookie u64 | packet_count u64 | byte_count u64 | ofp_match | instructions
 */
export function decodeFlowStats(body: Buffer, into: FlowStats[] = []): DecodeResult<FlowStats[]> {
  const r = new ByteReader(body);
  try {
    while (r.remaining > 0) {
      const length = r.u16('flow stats length');
      if (length < 56) return { ok: false, error: `flow stats entry of ${length} bytes` };
      const e = r.sub(length - 2, 'flow stats entry');
      const tableId = e.u8();
      e.skip(1);
      const durationSec = e.u32();
      e.skip(4);
      const priority = e.u16();
      const idleTimeout = e.u16();
      const hardTimeout = e.u16();
      const flags = e.u16();
      e.skip(4);
      const cookie = e.u64();
      const packetCount = e.u64();
      const byteCount = e.u64();
      const match = readMatch(e);
      const instructions = readInstructions(e);
      into.push({
        tableId,
        durationSec,
        priority,
        idleTimeout,
        hardTimeout,
        flags,
        cookie,
        packetCount,
        byteCount,
        match,
        instructions,
      });
    }
    return { ok: true, value: into };
  } catch (error) {
    if (error instanceof DecodeError) return { ok: false, error: `flow stats: ${error.message}` };
    throw error;
  }
}

/**
 * A flow stats entry with match and instructions left as bytes: a full sync
 * reads 100,000 of these, and the caller decodes each distinct instruction
 * list once. `match` is the OXM TLVs (no ofp_match header or padding).
 */
export interface RawFlowStats {
  readonly tableId: number;
  readonly priority: number;
  readonly cookie: bigint;
  readonly match: Buffer;
  readonly instructions: Buffer;
}

export function scanFlowStats(body: Buffer, into: RawFlowStats[] = []): DecodeResult<RawFlowStats[]> {
  let offset = 0;
  while (offset < body.length) {
    if (body.length - offset < 56) return { ok: false, error: 'truncated flow stats entry' };
    const length = body.readUInt16BE(offset);
    if (length < 56 || offset + length > body.length)
      return { ok: false, error: `flow stats entry of ${length} bytes` };
    const matchType = body.readUInt16BE(offset + 48);
    const matchLength = body.readUInt16BE(offset + 50);
    const instructionsAt = offset + 48 + ((matchLength + 7) & ~7);
    if (matchType !== 1 || matchLength < 4 || instructionsAt > offset + length)
      return { ok: false, error: `flow stats match of type ${matchType}, ${matchLength} bytes` };
    into.push({
      tableId: body[offset + 2] ?? 0,
      priority: body.readUInt16BE(offset + 12),
      cookie: body.readBigUInt64BE(offset + 24),
      match: body.subarray(offset + 52, offset + 48 + matchLength),
      instructions: body.subarray(instructionsAt, offset + length),
    });
    offset += length;
  }
  return { ok: true, value: into };
}

/** Decodes OXM TLV bytes (as in RawFlowStats.match); null when malformed. */
export function decodeRawMatch(tlvs: Buffer): Match | null {
  const r = new ByteReader(tlvs);
  try {
    const fields: OxmTlv[] = [];
    while (r.remaining > 0) fields.push(readOxm(r));
    return { fields };
  } catch (error) {
    if (error instanceof DecodeError) return null;
    throw error;
  }
}

export function decodeInstructions(bytes: Buffer): DecodeResult<Instruction[]> {
  try {
    return { ok: true, value: readInstructions(new ByteReader(bytes)) };
  } catch (error) {
    if (error instanceof DecodeError) return { ok: false, error: error.message };
    throw error;
  }
}

export function encodeInstructions(instructions: readonly Instruction[]): Buffer {
  const w = new ByteWriter(64);
  writeInstructions(w, instructions);
  return w.toBuffer();
}

/** One entry of an OFPMP_GROUP_DESC reply (ofp_group_desc: length u16 | type u8 | pad | group_id u32 | buckets). */
export interface GroupDesc {
  readonly groupType: GroupType;
  readonly groupId: number;
  readonly buckets: readonly Bucket[];
}

export function decodeGroupDesc(body: Buffer, into: GroupDesc[] = []): DecodeResult<GroupDesc[]> {
  const r = new ByteReader(body);
  try {
    while (r.remaining > 0) {
      const length = r.u16('group desc length');
      if (length < 8) return { ok: false, error: `group desc entry of ${length} bytes` };
      const e = r.sub(length - 2, 'group desc entry');
      const groupType = GROUP_TYPES[e.u8()];
      e.skip(1);
      const groupId = e.u32();
      if (groupType === undefined) return { ok: false, error: 'unknown group type' };
      into.push({ groupType, groupId, buckets: readBuckets(e) });
    }
    return { ok: true, value: into };
  } catch (error) {
    if (error instanceof DecodeError) return { ok: false, error: `group desc: ${error.message}` };
    throw error;
  }
}

const TYPE_NAMES = new Map<number, string>(Object.entries(OfpType).map(([name, code]) => [code, name]));

export function messageTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `type ${type}`;
}
