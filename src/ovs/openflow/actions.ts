// Actions (OpenFlow 1.3 §7.2.5) and instructions (§7.2.4). Every action and
// instruction is a TLV of (type u16, length u16) padded to 8 bytes; types
// this writer does not use are kept as raw bytes so a dump still decodes.
//
//  ofp_action_output   type=0  len=16: port u32, max_len u16, pad[6]
//  ofp_action_group    type=22 len=8 : group_id u32
//  ofp_action_generic  type=24 len=8 : pad[4]                (DEC_NW_TTL)
//  ofp_action_set_field type=25 len=pad8(4+oxm): one OXM TLV, no mask
//  ofp_instruction_actions type=4 (APPLY_ACTIONS) len=8+actions: pad[4], actions
import { type ByteReader, type ByteWriter, DecodeError } from './buffer.js';
import {
  OFPP_ALL,
  OFPP_ANY,
  OFPP_CONTROLLER,
  OFPP_FLOOD,
  OFPP_IN_PORT,
  OFPP_LOCAL,
  OFPP_NORMAL,
  OFPP_TABLE,
  OfpActionType,
  OfpInstructionType,
} from './constants.js';
import { formatOxmValue, type OxmTlv, oxmLength, oxmName, readOxm, writeOxm } from './oxm.js';

export type Action =
  | { readonly type: 'output'; readonly port: number; readonly maxLength: number }
  | { readonly type: 'group'; readonly groupId: number }
  | { readonly type: 'decNwTtl' }
  | { readonly type: 'setField'; readonly field: OxmTlv }
  | { readonly type: 'unknown'; readonly actionType: number; readonly body: Uint8Array };

export type Instruction =
  | { readonly type: 'applyActions'; readonly actions: readonly Action[] }
  | { readonly type: 'writeActions'; readonly actions: readonly Action[] }
  | { readonly type: 'unknown'; readonly instructionType: number; readonly body: Uint8Array };

/** max_len only matters for output to CONTROLLER; 0 as ovs-ofctl sends it. */
export const output = (port: number): Action => ({ type: 'output', port, maxLength: 0 });
export const group = (groupId: number): Action => ({ type: 'group', groupId });
export const decNwTtl: Action = { type: 'decNwTtl' };
export const setField = (field: OxmTlv): Action => ({ type: 'setField', field });

export function actionLength(action: Action): number {
  switch (action.type) {
    case 'output':
      return 16;
    case 'group':
    case 'decNwTtl':
      return 8;
    case 'setField':
      return (4 + oxmLength(action.field) + 7) & ~7;
    case 'unknown':
      return 4 + action.body.length;
  }
}

export function actionsLength(actions: readonly Action[]): number {
  let length = 0;
  for (const action of actions) length += actionLength(action);
  return length;
}

export function writeAction(w: ByteWriter, action: Action): void {
  switch (action.type) {
    case 'output':
      w.u16(OfpActionType.OUTPUT);
      w.u16(16);
      w.u32(action.port);
      w.u16(action.maxLength);
      w.zeros(6);
      return;
    case 'group':
      w.u16(OfpActionType.GROUP);
      w.u16(8);
      w.u32(action.groupId);
      return;
    case 'decNwTtl':
      w.u16(OfpActionType.DEC_NW_TTL);
      w.u16(8);
      w.zeros(4);
      return;
    case 'setField': {
      const start = w.length;
      w.u16(OfpActionType.SET_FIELD);
      w.u16((4 + oxmLength(action.field) + 7) & ~7);
      writeOxm(w, action.field);
      w.padTo8(start);
      return;
    }
    case 'unknown':
      w.u16(action.actionType);
      w.u16(4 + action.body.length);
      w.bytes(action.body);
      return;
  }
}

export function writeActions(w: ByteWriter, actions: readonly Action[]): void {
  for (const action of actions) writeAction(w, action);
}

/** Reads actions until the reader is exhausted. */
export function readActions(r: ByteReader): Action[] {
  const actions: Action[] = [];
  while (r.remaining > 0) {
    const type = r.u16('action type');
    const length = r.u16('action length');
    if (length < 8 || length % 8 !== 0) throw new ActionLengthError(type, length);
    const body = r.sub(length - 4, 'action body');
    switch (type) {
      case OfpActionType.OUTPUT: {
        if (length !== 16) throw new ActionLengthError(type, length);
        const port = body.u32();
        const maxLength = body.u16();
        actions.push({ type: 'output', port, maxLength });
        break;
      }
      case OfpActionType.GROUP:
        if (length !== 8) throw new ActionLengthError(type, length);
        actions.push({ type: 'group', groupId: body.u32() });
        break;
      case OfpActionType.DEC_NW_TTL:
        if (length !== 8) throw new ActionLengthError(type, length);
        actions.push({ type: 'decNwTtl' });
        break;
      case OfpActionType.SET_FIELD:
        actions.push({ type: 'setField', field: readOxm(body) });
        break;
      default:
        actions.push({
          type: 'unknown',
          actionType: type,
          body: Uint8Array.from(body.bytes(body.remaining)),
        });
    }
  }
  return actions;
}

export class ActionLengthError extends DecodeError {
  constructor(
    readonly actionType: number,
    readonly actionLength: number,
  ) {
    super(`bad length ${actionLength} for action type ${actionType}`);
  }
}

export function instructionsLength(instructions: readonly Instruction[]): number {
  let length = 0;
  for (const instruction of instructions)
    length +=
      instruction.type === 'unknown' ? 4 + instruction.body.length : 8 + actionsLength(instruction.actions);
  return length;
}

export function writeInstructions(w: ByteWriter, instructions: readonly Instruction[]): void {
  for (const instruction of instructions) {
    if (instruction.type === 'unknown') {
      w.u16(instruction.instructionType);
      w.u16(4 + instruction.body.length);
      w.bytes(instruction.body);
      continue;
    }
    w.u16(
      instruction.type === 'applyActions'
        ? OfpInstructionType.APPLY_ACTIONS
        : OfpInstructionType.WRITE_ACTIONS,
    );
    w.u16(8 + actionsLength(instruction.actions));
    w.zeros(4);
    writeActions(w, instruction.actions);
  }
}

export function readInstructions(r: ByteReader): Instruction[] {
  const instructions: Instruction[] = [];
  while (r.remaining > 0) {
    const type = r.u16('instruction type');
    const length = r.u16('instruction length');
    if (length < 4) throw new ActionLengthError(type, length);
    const body = r.sub(length - 4, 'instruction body');
    if (type === OfpInstructionType.APPLY_ACTIONS || type === OfpInstructionType.WRITE_ACTIONS) {
      body.skip(4);
      const actions = readActions(body);
      instructions.push(
        type === OfpInstructionType.APPLY_ACTIONS
          ? { type: 'applyActions', actions }
          : { type: 'writeActions', actions },
      );
    } else {
      instructions.push({
        type: 'unknown',
        instructionType: type,
        body: Uint8Array.from(body.bytes(body.remaining)),
      });
    }
  }
  return instructions;
}

const PORT_NAMES = new Map<number, string>([
  [OFPP_IN_PORT, 'IN_PORT'],
  [OFPP_TABLE, 'TABLE'],
  [OFPP_NORMAL, 'NORMAL'],
  [OFPP_FLOOD, 'FLOOD'],
  [OFPP_ALL, 'ALL'],
  [OFPP_CONTROLLER, 'CONTROLLER'],
  [OFPP_LOCAL, 'LOCAL'],
  [OFPP_ANY, 'ANY'],
]);

/** Reserved ports ovs-ofctl prints as an action of their own ("NORMAL", not "output:NORMAL"). */
const BARE_PORTS: ReadonlySet<number> = new Set([
  OFPP_NORMAL,
  OFPP_FLOOD,
  OFPP_ALL,
  OFPP_LOCAL,
  OFPP_IN_PORT,
]);

export function formatPort(port: number): string {
  return PORT_NAMES.get(port) ?? String(port);
}

/** ovs-ofctl syntax: "set_field:02:00:00:00:00:01->eth_src,dec_ttl,output:1"; no actions: "drop". */
export function formatActions(actions: readonly Action[]): string {
  if (actions.length === 0) return 'drop';
  const parts: string[] = [];
  for (const action of actions) {
    switch (action.type) {
      case 'output':
        // As ovs-ofctl prints them: the bridge's own forwarding and LOCAL bare, ports numbered.
        parts.push(
          BARE_PORTS.has(action.port) ? formatPort(action.port) : `output:${formatPort(action.port)}`,
        );
        break;
      case 'group':
        parts.push(`group:${action.groupId}`);
        break;
      case 'decNwTtl':
        parts.push('dec_ttl');
        break;
      case 'setField':
        parts.push(`set_field:${formatOxmValue(action.field)}->${oxmName(action.field)}`);
        break;
      case 'unknown':
        parts.push(`action(${action.actionType}:0x${Buffer.from(action.body).toString('hex')})`);
        break;
    }
  }
  return parts.join(',');
}

/** The apply-actions of an instruction list as text; other instructions are shown by type. */
export function formatInstructions(instructions: readonly Instruction[]): string {
  if (instructions.length === 0) return 'drop';
  const parts: string[] = [];
  for (const instruction of instructions) {
    if (instruction.type === 'applyActions') parts.push(formatActions(instruction.actions));
    else if (instruction.type === 'writeActions')
      parts.push(`write_actions(${formatActions(instruction.actions)})`);
    else parts.push(`instruction(${instruction.instructionType})`);
  }
  return parts.join(',');
}
