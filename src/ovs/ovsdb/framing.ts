// RFC 7047 §4: OVSDB JSON-RPC runs over a plain byte stream with no framing:
// the messages are concatenated JSON texts. This splitter finds where each
// top-level object or array ends by counting braces and brackets outside
// strings (escapes respected), scanning every byte once however the stream
// is chunked. UTF-8 sequences split across chunks are handled by decoding
// to text with a StringDecoder first.
import { StringDecoder } from 'node:string_decoder';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export type SplitResult =
  | { readonly ok: true; readonly texts: readonly string[] }
  | { readonly ok: false; readonly error: string };

export class JsonStreamSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  /** Where scanning resumes in `pending`. */
  private scanned = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;

  /** Bytes buffered without a complete text yet (a cap protects against a runaway peer). */
  get bufferedLength(): number {
    return this.pending.length;
  }

  /** Feeds a chunk; returns every JSON text completed by it, in order. */
  push(chunk: Buffer | string): SplitResult {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const texts: string[] = [];
    const text = this.pending;
    let consumed = 0;
    for (let i = this.scanned; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === 0x5c /* \ */) this.escaped = true;
        else if (ch === 0x22 /* " */) this.inString = false;
        continue;
      }
      if (ch === 0x22) {
        if (this.depth === 0) return { ok: false, error: 'a string outside any JSON object' };
        this.inString = true;
      } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
        if (this.depth === 0) this.start = i;
        this.depth++;
      } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
        if (this.depth === 0) return { ok: false, error: `unbalanced '${String.fromCharCode(ch)}'` };
        this.depth--;
        if (this.depth === 0) {
          texts.push(text.slice(this.start, i + 1));
          consumed = i + 1;
          this.start = -1;
        }
      } else if (this.depth === 0 && ch !== 0x20 && ch !== 0x0a && ch !== 0x0d && ch !== 0x09) {
        return { ok: false, error: `unexpected '${String.fromCharCode(ch)}' between JSON texts` };
      }
    }
    if (this.depth === 0) {
      this.pending = '';
      this.scanned = 0;
    } else {
      this.pending = text.slice(consumed);
      this.start -= consumed;
      this.scanned = this.pending.length;
    }
    return { ok: true, texts };
  }

  reset(): void {
    this.pending = '';
    this.scanned = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.start = -1;
  }
}
