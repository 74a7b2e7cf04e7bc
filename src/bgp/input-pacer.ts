// A share of each turn of the event loop for BGP input. libuv reads a
// readable socket many times in one turn, so a peer sending a full table
// could keep one turn busy for hundreds of milliseconds, and with it every
// keepalive, timer and control-API request. Sessions ask here before each
// message they hand on (src/bgp/paced-input.ts): once this turn's input has
// had its share, the rest waits, the socket paused, for the next turn.

/** Input processing per turn of the event loop, for all sessions together. */
// With the background work's shared budget (8 ms, src/util/turn-budget.ts)
// a turn stays near 20 ms even in a full-table burst, however many update
// groups there are, so a control request, which needs two or three turns
// (accept, read, reply), is answered within 100 ms (bench:fanout
// --responsiveness: median 20-24 ms, worst 48-73 ms).
const INPUT_SLICE_MS = 8;

let sliceStart = -1;

/** True when this turn's input share is used up (the caller pauses its socket until the next turn). */
export function inputSliceSpent(nowMs: number): boolean {
  if (sliceStart < 0) {
    sliceStart = nowMs;
    setImmediate(() => {
      sliceStart = -1;
    });
  }
  return nowMs - sliceStart > INPUT_SLICE_MS;
}
