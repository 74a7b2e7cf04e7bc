import { describe, expect, it } from 'vitest';
import { dropFromPortProgram } from '../../src/netlink/socket-options.js';

/** A classic BPF interpreter for the few instructions the program uses. */
function run(program: ReturnType<typeof dropFromPortProgram>, packet: Buffer): number {
  let accumulator = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const op = program[pc];
    if (op === undefined) break;
    if (op.code === 0x20) accumulator = packet.readUInt32BE(op.k);
    else if (op.code === 0x15) pc += accumulator === op.k ? op.jt : op.jf;
    else if (op.code === 0x06) return op.k;
    else throw new Error(`unexpected opcode ${op.code}`);
  }
  throw new Error('fell off the program');
}

function notification(pid: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32LE(16, 0);
  header.writeUInt16LE(24, 4); // RTM_NEWROUTE
  header.writeUInt32LE(pid, 12); // nlmsg_pid, host order
  return header;
}

describe('netlink echo filter', () => {
  it('drops notifications stamped with our command port and keeps everyone else’s', () => {
    const program = dropFromPortProgram(0x12345678);
    expect(run(program, notification(0x12345678))).toBe(0);
    expect(run(program, notification(0x12345679))).toBe(0xffffffff);
    expect(run(program, notification(0))).toBe(0xffffffff); // the kernel's own changes
  });
});
