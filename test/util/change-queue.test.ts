// The change queue against a Set model: every marked id comes out once
// however often it was marked, has() and size agree with the model, ids come
// out in ascending order from where the last take stopped (wrapping), and
// onPending fires only when the queue goes from empty to non-empty.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChangeQueue } from '../../src/util/change-queue.js';

describe('ChangeQueue', () => {
  it('behaves like a set of pending ids through marks, takes and growth', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constant(-1)), { maxLength: 800 }),
        (operations) => {
          const queue = new ChangeQueue();
          const model = new Set<number>();
          for (const op of operations) {
            if (op >= 0) {
              queue.mark(op);
              model.add(op);
            } else {
              const p = queue.take();
              if (model.size === 0) expect(p).toBe(-1);
              else {
                expect(model.has(p)).toBe(true);
                model.delete(p);
              }
            }
            expect(queue.size).toBe(model.size);
          }
          for (const p of [...operations, 5001]) if (p >= 0) expect(queue.has(p)).toBe(model.has(p));
          const rest: number[] = [];
          for (let p = queue.take(); p >= 0; p = queue.take()) rest.push(p);
          expect(rest.sort((a, b) => a - b)).toEqual([...model].sort((a, b) => a - b));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hands ids out in ascending order from where it stopped, and comes back for ids marked behind it', () => {
    const queue = new ChangeQueue();
    for (const p of [70, 3, 31, 32, 1000]) queue.mark(p);
    expect([queue.take(), queue.take(), queue.take()]).toEqual([3, 31, 32]);
    queue.mark(5); // behind the consumer
    queue.mark(33); // ahead of it
    expect([queue.take(), queue.take(), queue.take(), queue.take()]).toEqual([33, 70, 1000, 5]);
    expect(queue.take()).toBe(-1);
  });

  it('calls onPending when the first id arrives, not for every mark', () => {
    const queue = new ChangeQueue();
    let calls = 0;
    queue.onPending = () => calls++;
    queue.mark(7);
    queue.mark(8);
    queue.mark(7);
    expect(calls).toBe(1);
    queue.clear();
    expect(queue.size).toBe(0);
    expect(queue.has(7)).toBe(false);
    queue.mark(9);
    expect(calls).toBe(2);
  });
});
