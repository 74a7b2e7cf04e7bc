import { describe, expect, it } from 'vitest';
import { type DrainOutcome, PacedInput } from '../../src/bgp/paced-input.js';
import { message } from './codec/build.js';

const keepalive = message(4, []);
/** A distinguishable message: a ROUTE-REFRESH whose AFI carries `n`. */
const numbered = (n: number): Uint8Array => message(5, [n >> 8, n & 0xff, 0, 1]);
const numberOf = (bytes: Uint8Array): number => ((bytes[19] as number) << 8) | (bytes[20] as number);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/** A turn's input share of `perTurn` messages: a fake clock the pacer reads. */
function turns(perTurn: number): { spent: () => boolean; nextTurn: () => void } {
  let used = 0;
  return {
    spent: () => used++ >= perTurn,
    nextTurn: () => {
      used = 0;
    },
  };
}

describe('PacedInput', () => {
  it('hands on at most the turn share of a chunk, the rest in order on later turns', () => {
    const clock = turns(3);
    const input = new PacedInput(4096, clock.spent);
    input.push(concat(...Array.from({ length: 8 }, (_, i) => numbered(i))));
    const seen: number[][] = [];
    let outcome: DrainOutcome;
    do {
      const turn: number[] = [];
      outcome = input.drain((bytes) => turn.push(numberOf(bytes)) > 0, true);
      seen.push(turn);
      clock.nextTurn();
    } while (outcome === 'more');
    expect(outcome).toBe('empty');
    expect(seen).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
    expect(input.queued).toBe(0);
  });

  it('queues a later chunk behind the messages still waiting', () => {
    const clock = turns(1);
    const input = new PacedInput(4096, clock.spent);
    input.push(concat(numbered(1), numbered(2)));
    const order: number[] = [];
    expect(input.drain((bytes) => order.push(numberOf(bytes)) > 0, true)).toBe('more');
    input.push(concat(numbered(3), numbered(4).subarray(0, 10)));
    clock.nextTurn();
    expect(input.drain((bytes) => order.push(numberOf(bytes)) > 0, false)).toBe('empty');
    input.push(numbered(4).subarray(10));
    expect(input.drain((bytes) => order.push(numberOf(bytes)) > 0, false)).toBe('empty');
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('unpaced (the connection closed) hands on everything at once', () => {
    const input = new PacedInput(4096, () => true);
    input.push(concat(keepalive, keepalive, keepalive));
    let count = 0;
    expect(input.drain(() => ++count > 0, true)).toBe('more');
    expect(count).toBe(0);
    expect(input.drain(() => ++count > 0, false)).toBe('empty');
    expect(count).toBe(3);
  });

  it('reports a framing error only after the messages framed before it', () => {
    const bad = keepalive.slice();
    bad[0] = 0; // marker not all ones: 1/1
    const clock = turns(1);
    const input = new PacedInput(4096, clock.spent);
    input.push(concat(numbered(1), numbered(2)));
    input.push(bad);
    const order: number[] = [];
    expect(input.drain((bytes) => order.push(numberOf(bytes)) > 0, true)).toBe('more');
    clock.nextTurn();
    expect(input.drain((bytes) => order.push(numberOf(bytes)) > 0, true)).toMatchObject({
      code: 1,
      subcode: 1,
    });
    expect(order).toEqual([1, 2]);
  });

  it('drops the queue when the receiver stops (the connection it was for went)', () => {
    const input = new PacedInput(4096, () => false);
    input.push(concat(keepalive, keepalive, keepalive));
    let count = 0;
    expect(input.drain(() => ++count < 2, true)).toBe('stopped');
    expect(count).toBe(2);
    expect(input.queued).toBe(0);
    expect(input.drain(() => true, true)).toBe('empty');
  });
});
