// BFD timers under main-thread load: does RIB-like work on the main thread
// delay BFD? Two BFD sessions over loopback (127.0.0.1 <-> 127.0.0.2) at
// --interval ms x 3, while the main thread runs blocking bursts of
// --block-ms every --every-ms (what a big UPDATE batch or a table walk does).
// Run twice: engines in worker threads (as the agent runs them) and engines
// on the main thread. Prints timer lateness (p50/p99/max) and flaps.
//   npm run build && node dist/bench/bfd-timers.js [--seconds 10] [--interval 50] [--block-ms 200] [--every-ms 400]
import { BfdEngine, defaultEngineOptions } from '../src/bfd/engine.js';
import type { EngineStats, FromWorker, SessionSpec } from '../src/bfd/messages.js';
import { BfdService } from '../src/bfd/service.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

const seconds = option('seconds', 10);
const intervalMs = option('interval', 50);
const blockMs = option('block-ms', 200);
const everyMs = option('every-ms', 400);
const port = 23784 + Math.floor(Math.random() * 1000);

function spec(peer: string, local: string): SessionSpec {
  return {
    key: peer,
    peerAddress: peer,
    localAddress: local,
    hops: 1,
    desiredMinTxUs: intervalMs * 1000,
    requiredMinRxUs: intervalMs * 1000,
    detectMult: 3,
    enabled: true,
  };
}

const listen = (address: string) => ({ listenV4: address, singleHopPort: port, multihopPort: port + 1000 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Blocks the main thread for `ms` (synchronous work, like a RIB batch). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  if (x < 0) console.log(x);
}

interface Side {
  flaps(): number;
  up(): boolean;
  stats(): Promise<EngineStats>;
  stop(): Promise<void>;
}

async function workerSide(self: string, peer: string): Promise<Side> {
  let flaps = 0;
  const service = await BfdService.start(
    {
      transition: (_key, change) => {
        if (change.from === 'up') flaps++;
      },
      error: () => undefined,
    },
    listen(self),
  );
  service.configure([spec(peer, self)]);
  return {
    flaps: () => flaps,
    up: () => service.all()[0]?.state === 'up',
    stats: () => service.stats(),
    stop: () => service.stop(),
  };
}

async function mainThreadSide(self: string, peer: string): Promise<Side> {
  let flaps = 0;
  const engine = new BfdEngine(
    (m: FromWorker) => {
      if (m.kind === 'transition' && m.change.from === 'up') flaps++;
    },
    { ...defaultEngineOptions, ...listen(self) },
  );
  await engine.configure([spec(peer, self)]);
  return {
    flaps: () => flaps,
    up: () => engine.statuses()[0]?.state === 'up',
    stats: async () => engine.stats(),
    stop: () => engine.stop(),
  };
}

async function run(where: string, make: (self: string, peer: string) => Promise<Side>): Promise<void> {
  const a = await make('127.0.0.1', '127.0.0.2');
  const b = await make('127.0.0.2', '127.0.0.1');
  const deadline = Date.now() + 10_000;
  while (!(a.up() && b.up())) {
    if (Date.now() > deadline) throw new Error(`${where}: sessions did not come up`);
    await sleep(20);
  }
  await sleep(1000); // the poll to the fast rate
  const flapsBefore = a.flaps() + b.flaps();
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    busy(blockMs);
    await sleep(Math.max(0, everyMs - blockMs));
  }
  const stats = await a.stats();
  const flaps = a.flaps() + b.flaps() - flapsBefore;
  const f = (n: number) => n.toFixed(1);
  const t = stats.transmitLateness;
  console.log(
    `${where.padEnd(12)} tx timer lateness ms p50 ${f(t.p50Ms)} p99 ${f(t.p99Ms)} max ${f(t.maxMs)} (${t.count} fired)` +
      `  detect timers fired ${stats.detectLateness.count}  flaps ${flaps}`,
  );
  await a.stop();
  await b.stop();
}

console.log(
  `BFD ${intervalMs} ms x 3 (detection ${intervalMs * 3} ms); main thread blocked ${blockMs} ms every ${everyMs} ms for ${seconds} s`,
);
await run('worker', workerSide);
await run('main thread', mainThreadSide);
