// How a column of typed arrays grows. Growing copies it, and on these VMs a
// copy costs what the kernel charges for fresh pages, not what memcpy
// does: each 4 KiB page faults in at some 12 µs, so doubling a 16 MiB
// column held the event loop for 50-80 ms in one turn. Small tables double;
// one that grows past DOUBLING_LIMIT entries jumps at once to room for
// RESERVED_ENTRIES. That room is address space only: a large zeroed
// allocation is fresh mmap'd memory, and the kernel backs a page when a
// slot on it is first written, so pages fault in one by one as the table
// fills and RSS follows what is used, not what is reserved. Past
// RESERVED_ENTRIES (four million routes or prefixes) a table doubles again.
// Columns that grow this way must not be filled: 0 has to mean "nothing".
//
// The jump itself copies what is there, so it comes early: at 64k entries
// the route store's eight columns were 1.7 MB of fresh pages, 17-32 ms in
// one turn of a full-table burst, plus the major GC V8 starts when a
// process's array buffers grow by a hundred MB at once (measured: one
// mark-compact right after, none more). At 4k entries both are a few
// hundred microseconds.

/** Up to this many entries a column doubles (its copies are small). */
export const DOUBLING_LIMIT = 1 << 12;
/** The room a column jumps to once it outgrows DOUBLING_LIMIT. */
export const RESERVED_ENTRIES = 1 << 22;

/** The capacity a column of `current` entries grows to so that index `needed` fits. */
export function grownCapacity(current: number, needed: number): number {
  let capacity = Math.max(current * 2, 1);
  while (capacity <= needed) capacity *= 2;
  if (capacity > DOUBLING_LIMIT && capacity < RESERVED_ENTRIES) return RESERVED_ENTRIES;
  return capacity;
}

type Column = Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** A copy of `column` with room for `capacity` entries (the new room reads 0). */
export function grownColumn<T extends Column>(column: T, capacity: number): T {
  const grown = new (column.constructor as new (length: number) => T)(capacity);
  grown.set(column);
  return grown;
}
