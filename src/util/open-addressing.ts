// What the open-addressing tables (the prefix table, the byte-key index)
// share: linear probing over a power-of-two slot array, 0 for an empty slot.

/** How a table tells where an entry's probe chain starts. */
export interface HomeSlots {
  /** The slot the probe for `entry` (a slot's content) starts at, under `mask`. */
  homeSlot(entry: number, mask: number): number;
}

/**
 * Empties slot `hole` without breaking a probe chain (backward-shift
 * deletion): each later entry of the run moves into the hole unless its home
 * slot lies cyclically between the hole and itself, and the last hole left
 * is emptied. No tombstones, so lookups never slow down with churn.
 */
export function closeHole(
  slots: Int32Array | Uint32Array,
  mask: number,
  hole: number,
  table: HomeSlots,
): void {
  let probe = (hole + 1) & mask;
  for (;;) {
    const entry = slots[probe] as number;
    if (entry === 0) break;
    const home = table.homeSlot(entry, mask);
    const between = hole <= probe ? home > hole && home <= probe : home > hole || home <= probe;
    if (!between) {
      slots[hole] = entry;
      hole = probe;
    }
    probe = (probe + 1) & mask;
  }
  slots[hole] = 0;
}
