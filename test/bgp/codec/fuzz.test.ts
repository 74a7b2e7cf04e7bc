// Bounded fuzzing: random and mutated messages into the decoder and the
// framer. Nothing may throw, hang, or read outside the message: the input is
// wrapped in a Proxy that throws on any index read past its end.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CodecContext,
  codecContext,
  decodeMessage,
  encodeMessage,
  MessageFramer,
} from '../../../src/bgp/codec/index.js';
import { contextArbitrary, notificationArbitrary, openArbitrary, updateArbitrary } from './arbitraries.js';

/** A Uint8Array whose out-of-range index reads throw (typed arrays would return undefined). */
function guarded(bytes: Uint8Array): Uint8Array {
  return new Proxy(bytes, {
    get(target, property) {
      if (typeof property === 'string' && /^\d+$/.test(property) && Number(property) >= target.length) {
        throw new RangeError(`read of index ${property} past the end (${target.length})`);
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function decodeGuarded(bytes: Uint8Array, context: CodecContext): void {
  const started = performance.now();
  const result = decodeMessage(guarded(bytes), context);
  expect(typeof result.ok).toBe('boolean');
  if (!result.ok) {
    expect(result.error.code).toBeGreaterThanOrEqual(1);
    expect(['session-reset', 'treat-as-withdraw', 'attribute-discard']).toContain(result.error.action);
  }
  expect(performance.now() - started).toBeLessThan(250);
}

const validMessage = contextArbitrary.chain((context) =>
  fc.tuple(
    fc.constant(context),
    fc
      .oneof(updateArbitrary(context), openArbitrary, notificationArbitrary)
      .map((message) => encodeMessage(message, context)),
  ),
);

/** Byte-level mutations: overwrite, insert, delete, truncate, and corrupt a length field. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = [...bytes];
  for (const m of mutations) {
    if (out.length === 0) break;
    const at = 19 + (m.at % Math.max(1, out.length - 19));
    if (m.kind === 'set') out[at] = m.value;
    else if (m.kind === 'insert') out.splice(at, 0, m.value);
    else if (m.kind === 'delete') out.splice(at, 1);
    else out = out.slice(0, at);
  }
  // Keep the header's length field honest half the time so the body parsers are reached.
  const fixed = Uint8Array.from(out);
  if (fixed.length >= 19 && (mutations.length & 1) === 0) {
    fixed[16] = (fixed.length >> 8) & 0xff;
    fixed[17] = fixed.length & 0xff;
  }
  return fixed;
}

describe('fuzz', () => {
  it('mutated valid messages never make the decoder throw, hang or read past the end', () => {
    fc.assert(
      fc.property(
        validMessage,
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        ([context, bytes], mutations) => {
          decodeGuarded(mutate(bytes, mutations), context);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random bodies behind a valid header never make the decoder throw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ maxLength: 600 }),
        contextArbitrary,
        (type, body, context) => {
          const bytes = new Uint8Array(19 + body.length);
          bytes.fill(0xff, 0, 16);
          bytes[16] = (bytes.length >> 8) & 0xff;
          bytes[17] = bytes.length & 0xff;
          bytes[18] = type;
          bytes.set(body, 19);
          decodeGuarded(bytes, context);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random bytes never make the framer throw, and it never buffers more than one message', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const framer = new MessageFramer();
        for (const chunk of chunks) {
          const result = framer.push(chunk);
          if (!Array.isArray(result)) break;
          for (const message of result) decodeGuarded(message, codecContext());
          expect(framer.bufferedLength).toBeLessThan(4096);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
