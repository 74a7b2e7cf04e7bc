// The BFD worker thread: the engine (sockets, timers, the pure state machine)
// away from the main thread, whose RIB and netlink work would otherwise delay
// a 100 ms transmit or a 300 ms detection timer. State changes go to the main
// thread as messages; the protocol is in messages.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { BfdEngine, defaultEngineOptions } from './engine.js';
import type { FromWorker, ListenOptions, ToWorker } from './messages.js';

const parent = parentPort;
if (parent === null) throw new Error('bfd/worker.ts runs as a worker thread');

const post = (message: FromWorker) => parent.postMessage(message);
// Where to listen: the well-known ports on every address unless the starter
// says otherwise (benchmarks and tests on loopback).
const listen = (workerData ?? {}) as Partial<ListenOptions>;
const engine = new BfdEngine(post, { ...defaultEngineOptions, ...listen });

parent.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'configure':
      engine.configure(message.sessions).catch((error: unknown) => {
        post({ kind: 'error', key: null, message: `configure: ${(error as Error).message}` });
      });
      break;
    case 'stats':
      post({ kind: 'stats', id: message.id, stats: engine.stats() });
      break;
    case 'stop':
      engine.stop().finally(() => {
        post({ kind: 'stopped' });
        parent.close();
      });
      break;
    default: {
      const unreachable: never = message;
      throw new Error(`unknown message ${String(unreachable)}`);
    }
  }
});

post({ kind: 'ready' });
