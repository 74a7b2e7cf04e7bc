// serveInTurn: members whose sockets take everything share a turn piece by
// piece, the first member rotates, a full socket or an idle member drops
// out of the turn, and the deadline stops it between two pieces.
import { describe, expect, it } from 'vitest';
import { serveInTurn, type TurnMember } from '../../src/rib/serve-in-turn.js';

class FakeMember implements TurnMember {
  written: number[] = [];
  constructor(
    readonly name: string,
    private left: number,
    private room = Number.POSITIVE_INFINITY,
    private readonly log: string[] = [],
  ) {}
  get writable(): boolean {
    return this.room > 0;
  }
  step(): boolean {
    if (this.left === 0) return false;
    this.left--;
    this.room--;
    this.log.push(this.name);
    return true;
  }
}

/** A clock that advances one tick per reading. */
function ticking(): () => number {
  let t = 0;
  return () => t++;
}

describe('serveInTurn', () => {
  it('deals pieces out in turn until none has more, starting at member `first`', () => {
    const log: string[] = [];
    const members = [
      new FakeMember('a', 3, Infinity, log),
      new FakeMember('b', 1, Infinity, log),
      new FakeMember('c', 2, Infinity, log),
    ];
    expect(serveInTurn(members, 1, Number.POSITIVE_INFINITY, () => 0)).toBe(6);
    expect(log).toEqual(['b', 'c', 'a', 'c', 'a', 'a']);
  });

  it('a member whose socket is full drops out of the turn; the others go on', () => {
    const log: string[] = [];
    const members = [new FakeMember('a', 5, 1, log), new FakeMember('b', 3, Infinity, log)];
    serveInTurn(members, 0, Number.POSITIVE_INFINITY, () => 0);
    expect(log).toEqual(['a', 'b', 'b', 'b']);
  });

  it('stops at the deadline between two pieces, the later members not starved by the first', () => {
    const log: string[] = [];
    const members = ['a', 'b', 'c', 'd'].map((name) => new FakeMember(name, 1000, Infinity, log));
    // Each reading of the clock is one tick: six readings before the deadline, six pieces.
    expect(serveInTurn(members, 2, 6, ticking())).toBe(6);
    expect(log).toEqual(['c', 'd', 'a', 'b', 'c', 'd']);
  });

  it('no members, or a deadline already passed: nothing written', () => {
    expect(serveInTurn([], 3, Number.POSITIVE_INFINITY, () => 0)).toBe(0);
    const member = new FakeMember('a', 5);
    expect(serveInTurn([member], 0, 0, () => 0)).toBe(0);
  });
});
