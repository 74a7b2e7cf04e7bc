// TimeSlice: the clock is read once per stride of items, and the slice is
// spent at the first reading at or past its end.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TimeSlice } from '../../src/util/time-slice.js';

describe('TimeSlice', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads the clock every `stride` items and is spent from the first reading at its end', () => {
    let nowMs = 0;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => nowMs++);
    const slice = new TimeSlice(2, 3);
    const spent = Array.from({ length: 9 }, () => slice.spent());
    expect(spent).toEqual([false, false, false, false, false, false, false, false, true]);
    expect(clock).toHaveBeenCalledTimes(3);
  });
});
