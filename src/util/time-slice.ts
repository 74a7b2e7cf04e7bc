// A turn's share of time for a loop over many small items (prefixes,
// routes): the clock is read once every `stride` items, not per item, and
// the loop stops at the first reading past the slice's end.

export class TimeSlice {
  private left: number;

  constructor(
    /** performance.now() at which the slice ends. */
    private readonly until: number,
    private readonly stride = 256,
  ) {
    this.left = stride;
  }

  /** Counts one item; true once the slice's time is up (the clock is read every `stride` items). */
  spent(): boolean {
    if (--this.left > 0) return false;
    this.left = this.stride;
    return performance.now() >= this.until;
  }
}
