// Round robin over a changing set of parties, each with a stable order (its
// creation number): who goes first this round is the first after last
// round's first, wrapping around. Pure, so the fairness is unit-tested.

export interface Ordered {
  readonly order: number;
}

/** `ready` in the order to serve them, and the cursor for the next round. */
export function roundRobin<T extends Ordered>(
  ready: readonly T[],
  cursor: number,
): { order: T[]; cursor: number } {
  const sorted = [...ready].sort((a, b) => a.order - b.order);
  if (sorted.length === 0) return { order: sorted, cursor };
  let first = sorted.findIndex((party) => party.order > cursor);
  if (first < 0) first = 0;
  return {
    order: [...sorted.slice(first), ...sorted.slice(0, first)],
    cursor: (sorted[first] as T).order,
  };
}
