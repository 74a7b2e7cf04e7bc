// A process's JSON-lines report (bench/counting-peer.ts, bench/injector.ts),
// read back incrementally from its log file: each read() parses only what was
// appended since the last one, so polling every 50 ms stays cheap however
// long the run.

import { closeSync, openSync, readSync } from 'node:fs';
import type { InjectorEvent } from './events.js';

export class JsonLinesTail {
  private offset = 0;
  private partial = '';
  readonly events: InjectorEvent[] = [];
  /** Lines that are not JSON events (stack traces and the like). */
  readonly other: string[] = [];

  constructor(private readonly file: string) {}

  /** Reads what was appended; returns the new events. */
  read(): InjectorEvent[] {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return [];
    }
    const chunks: Buffer[] = [];
    try {
      const buffer = Buffer.alloc(1 << 16);
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (n <= 0) break;
        chunks.push(Buffer.from(buffer.subarray(0, n)));
        this.offset += n;
      }
    } finally {
      closeSync(fd);
    }
    if (chunks.length === 0) return [];
    const text = this.partial + Buffer.concat(chunks).toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    const fresh: InjectorEvent[] = [];
    for (const line of lines) {
      if (!line.startsWith('{')) {
        if (line.trim() !== '') this.other.push(line);
        continue;
      }
      try {
        const value: unknown = JSON.parse(line);
        if (typeof value === 'object' && value !== null) {
          const event: unknown = Reflect.get(value, 'event');
          const t: unknown = Reflect.get(value, 't');
          if (typeof event === 'string' && typeof t === 'number') fresh.push(value as InjectorEvent);
        }
      } catch {
        this.other.push(line);
      }
    }
    this.events.push(...fresh);
    return fresh;
  }

  /** Events named `name` seen so far (after read()). */
  all(name: string): InjectorEvent[] {
    return this.events.filter((e) => e.event === name);
  }

  last(name: string): InjectorEvent | undefined {
    for (let i = this.events.length - 1; i >= 0; i--)
      if (this.events[i]?.event === name) return this.events[i];
    return undefined;
  }
}
