// The main thread's end of the kernel writer's command socket, which lives
// in a worker thread (command-worker.ts says why). Datagrams go there by
// transfer, not copy; replies (ACKs, errors, dumps) come back in order.

import { Worker } from 'node:worker_threads';

export interface CommandChannelEvents {
  /** A datagram from the kernel: replies to what was sent, in order. */
  message(datagram: Buffer): void;
  error(message: string): void;
  /** There is room again after canSend was false. */
  writable(): void;
}

type Outgoing =
  | {
      readonly kind: 'ready';
      readonly port: number;
      readonly hardened: boolean;
      readonly error: string | null;
      readonly strictError: string | null;
    }
  | { readonly kind: 'message'; readonly data: Uint8Array }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'sent' };

/**
 * Datagrams handed to the worker and not yet to the kernel. Bounds the
 * memory a burst can queue (about 80 kB each) while keeping the worker busy.
 */
const MAX_IN_FLIGHT = 32;

export class CommandChannel {
  private closed = false;
  private inFlight = 0;

  private constructor(
    private readonly worker: Worker,
    /** The netlink port id of the command socket (the kernel stamps our changes' notifications with it). */
    readonly port: number,
    /** NETLINK_NO_ENOBUFS is set (see socket-options.ts); else why not. */
    readonly hardenError: string | null,
    /** The kernel filters dumps (NETLINK_GET_STRICT_CHK is set); else why not. */
    readonly strictError: string | null,
  ) {}

  static open(events: CommandChannelEvents): Promise<CommandChannel> {
    // The worker only moves datagrams: a small young generation (V8 lets
    // it grow to 32 MiB, all of it RSS after a full-table burst) is enough.
    const worker = new Worker(new URL('./command-worker.js', import.meta.url), {
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    return new Promise((resolve, reject) => {
      let channel: CommandChannel | null = null;
      worker.on('message', (message: Outgoing) => {
        switch (message.kind) {
          case 'ready':
            channel = new CommandChannel(worker, message.port, message.error, message.strictError);
            resolve(channel);
            break;
          case 'message': {
            const data = message.data;
            events.message(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
            break;
          }
          case 'error':
            events.error(message.message);
            break;
          case 'sent':
            if (channel !== null && channel.inFlight-- === MAX_IN_FLIGHT) events.writable();
            break;
        }
      });
      worker.on('error', (error) => {
        if (channel === null) reject(error);
        else events.error(`worker: ${error.message}`);
      });
      worker.on('exit', (code) => {
        if (channel === null) reject(new Error(`netlink worker exited with code ${code}`));
        else if (!channel.closed) events.error(`netlink worker exited with code ${code}`);
      });
    });
  }

  /**
   * Sends one datagram. A view of a whole ArrayBuffer is transferred (the
   * caller must not touch it again); anything else is copied first, so a
   * pooled Buffer is never detached.
   */
  send(datagram: Uint8Array): void {
    if (this.closed) return;
    this.inFlight++;
    const whole = datagram.byteOffset === 0 && datagram.byteLength === datagram.buffer.byteLength;
    const data = whole ? datagram : new Uint8Array(datagram);
    this.worker.postMessage({ kind: 'send', data }, [data.buffer as ArrayBuffer]);
  }

  /** False while MAX_IN_FLIGHT datagrams wait for the kernel: stop and wait for `writable`. */
  get canSend(): boolean {
    return this.inFlight < MAX_IN_FLIGHT;
  }

  /** Closes the socket once what was sent before has gone out, and ends the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ kind: 'close' });
    const timeout = setTimeout(() => void this.worker.terminate(), 2000);
    await exited;
    clearTimeout(timeout);
  }
}
