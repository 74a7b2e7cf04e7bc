// How an update group's members share the writing of one turn. A socket on
// a fast link takes whatever it is given, so serving one member until it
// was done or the turn's time ran out kept the turn's writing to the first
// members: in a full-table withdrawal to ten clients the last one heard
// nothing for half a second. Now each member whose socket takes more gets
// one piece (a log chunk, a scan slice, End-of-RIB) in turn, and the turn
// starts at a different member each time.

/** What serveInTurn needs of a member (src/rib/group-member.ts). */
export interface TurnMember {
  /** Its socket takes more now. */
  readonly writable: boolean;
  /** Writes one piece of what it lacks; false when it has nothing more for now. */
  step(): boolean;
}

/**
 * Pieces to `members` in turn, from member `first` (modulo their number) on,
 * until none has more to write now or `now()` reaches `deadline`. Returns
 * the pieces written.
 */
export function serveInTurn(
  members: readonly TurnMember[],
  first: number,
  deadline: number,
  now: () => number,
): number {
  const count = members.length;
  if (count === 0) return 0;
  // A copy: a member's write may end its session and take it out of the group.
  const turn: TurnMember[] = [];
  for (let k = 0; k < count; k++) turn.push(members[(first + k) % count] as TurnMember);
  let pieces = 0;
  while (turn.length > 0) {
    for (let k = 0; k < turn.length; ) {
      if (now() >= deadline) return pieces;
      const member = turn[k] as TurnMember;
      if (member.writable && member.step()) {
        pieces++;
        k++;
      } else turn.splice(k, 1);
    }
  }
  return pieces;
}
