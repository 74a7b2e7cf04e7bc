// The injector's JSON-lines report, read back from its log file (lab/process.ts
// sends the process's stdout there).

import { readFileSync } from 'node:fs';
import { sleep } from './clock.js';

export interface InjectorEvent {
  readonly event: string;
  /** CLOCK_MONOTONIC ms (bench/lib/clock.ts). */
  readonly t: number;
  readonly [field: string]: unknown;
}

/** Events that mean the session is gone or never came. */
const FATAL = new Set(['error', 'closed', 'notification-received', 'notification-sent']);

export class InjectorLog {
  constructor(
    private readonly file: string,
    private readonly running: () => boolean,
  ) {}

  events(): InjectorEvent[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const events: InjectorEvent[] = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const value: unknown = JSON.parse(line);
        if (typeof value === 'object' && value !== null) {
          const event: unknown = Reflect.get(value, 'event');
          const t: unknown = Reflect.get(value, 't');
          if (typeof event === 'string' && typeof t === 'number') events.push(value as InjectorEvent);
        }
      } catch {
        // a line being written: read again next time
      }
    }
    return events;
  }

  find(name: string): InjectorEvent | undefined {
    return this.events().find((e) => e.event === name);
  }

  /** The first fatal event (session refused, dropped, or the injector failed), if any. */
  fatal(): InjectorEvent | undefined {
    return this.events().find((e) => FATAL.has(e.event));
  }

  /** Everything the injector printed that is not an event (e.g. a stack trace). */
  otherOutput(): string {
    try {
      return readFileSync(this.file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.startsWith('{'))
        .join('\n');
    } catch {
      return '';
    }
  }

  /** Waits for event `name`; throws on a fatal event, on the injector's exit, or after `timeoutMs`. */
  async waitFor(name: string, timeoutMs: number): Promise<InjectorEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.find(name);
      if (found) return found;
      const fatal = this.fatal();
      if (fatal) throw new Error(`injector: ${JSON.stringify(fatal)}`);
      if (!this.running())
        throw new Error(`injector exited before "${name}": ${this.otherOutput().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`injector: no "${name}" within ${timeoutMs} ms`);
      await sleep(20);
    }
  }
}
