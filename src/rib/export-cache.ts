// An update group's export results by best attribute set, for export
// policies that do not look at the prefix: a set from one source exports
// the same way for every prefix that has it as best. Columns indexed by the
// set's id, not a WeakMap of Maps: with an Internet-like table (250k sets)
// that was 250k Maps and as many ephemerons for every major GC to trace.
// One entry per set id: the source it was computed for and the result; a
// different source simply computes again and takes the entry. Ids are
// reused once a set goes, so each entry also keeps the generation of the
// set id (and of the result's id) it was made for (AttributeStore.generationOf).

import { grownCapacity, grownColumn } from '../util/capacity.js';
import type { AttributeStore, AttrSet } from './attribute-store.js';

/** What lookup() found: not cached, "not advertised", or the outgoing set (with one more reference). */
export type CachedExport = AttrSet | null | undefined;

export class ExportCache {
  /** Source id + 1 of the entry; 0: no entry. */
  private sourcePlusOne = new Int32Array(0);
  private generation = new Uint32Array(0);
  /** Outgoing set id + 1; 0: not advertised. */
  private resultPlusOne = new Int32Array(0);
  private resultGeneration = new Uint32Array(0);

  constructor(private readonly attrs: AttributeStore) {}

  /** The cached export of (`attr`, `sourceId`): undefined when unknown, null when not advertised. */
  lookup(attr: AttrSet, sourceId: number): CachedExport {
    const id = attr.id;
    if (id >= this.sourcePlusOne.length || this.sourcePlusOne[id] !== sourceId + 1) return undefined;
    if (this.generation[id] !== this.attrs.generationOf(id)) return undefined;
    const resultPlusOne = this.resultPlusOne[id] as number;
    if (resultPlusOne === 0) return null;
    const resultId = resultPlusOne - 1;
    // The result went (its last holder let go): made again by the caller.
    if (this.resultGeneration[id] !== this.attrs.generationOf(resultId)) return undefined;
    const result = this.attrs.peek(resultId);
    if (result === undefined) return undefined;
    this.attrs.retain(resultId);
    return result;
  }

  store(attr: AttrSet, sourceId: number, result: AttrSet | null): void {
    const id = attr.id;
    if (id >= this.sourcePlusOne.length) this.grow(id);
    this.sourcePlusOne[id] = sourceId + 1;
    this.generation[id] = this.attrs.generationOf(id);
    this.resultPlusOne[id] = result === null ? 0 : result.id + 1;
    this.resultGeneration[id] = result === null ? 0 : this.attrs.generationOf(result.id);
  }

  /** Forgets every entry (the export target changed). */
  clear(): void {
    this.sourcePlusOne = new Int32Array(this.sourcePlusOne.length);
  }

  private grow(id: number): void {
    const capacity = grownCapacity(this.sourcePlusOne.length, id);
    this.sourcePlusOne = grownColumn(this.sourcePlusOne, capacity);
    this.generation = grownColumn(this.generation, capacity);
    this.resultPlusOne = grownColumn(this.resultPlusOne, capacity);
    this.resultGeneration = grownColumn(this.resultGeneration, capacity);
  }
}
