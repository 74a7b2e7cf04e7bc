// OVS flow writer benchmark (issue 7): N routes -> flows on a real ovs-vswitchd
// (userspace datapath, in its own namespace), time until every flow is in
// the bridge, against `ovs-ofctl -O OpenFlow13 add-flows` of the very same
// flows from a file (plain, and with --bundle) in the same run.
//
//   sudo npx tsx bench/ovs.ts [--routes 100000] [--runs 3] [--batch 20000] [--json]
//   (or: npm run build && sudo node dist/bench/ovs.js ...)
//
// "In the bridge" means: our writer's flush() resolved (the last bundle's
// COMMIT_REPLY came back: OVS has installed the flows), then checked with
// ovs-ofctl dump-aggregate; for ovs-ofctl, the process exited (it waits for
// the BARRIER or COMMIT reply). The clock for ours starts before apply() of
// all N routes, so it includes compiling routes to flows, encoding and the
// writes; the clock for ovs-ofctl includes its parsing of the file. Each run
// starts from an empty table and a fresh writer (a start-up full sync of an
// empty bridge happens before the clock starts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk, Topology } from '../lab/netns.js';
import { OvsLab } from '../lab/ovs.js';
import type { FibCommand } from '../src/fib/types.js';
import { StaticNeighborResolver } from '../src/ovs/neighbors.js';
import { OvsWriter } from '../src/ovs/writer.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const routes = option('routes', 100_000);
const runs = option('runs', 3);
const batchSize = option('batch', 20_000);
const json = process.argv.includes('--json');
const COOKIE = 0xb6b0000000000000n;
const NEXT_HOP = '172.18.8.102';
const NEXT_HOP_MAC = '02:00:00:00:01:02';

/** The i-th /24 from 10.0.0.0 on (100,000 fit below 11.134.160.0). */
function prefix(i: number): string {
  return `${10 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}.0/24`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function flowCount(ovs: OvsLab): Promise<number> {
  const out = await ovs.ofctl('br0', [
    'dump-aggregate',
    `cookie=0x${COOKIE.toString(16)}/0xffffffff00000000`,
  ]);
  return Number(/flow_count=(\d+)/.exec(out)?.[1] ?? -1);
}

async function main(): Promise<void> {
  const topo = Topology.create();
  const rows: { name: string; seconds: number[] }[] = [];
  try {
    const ns = await topo.addNamespace('ovsbench');
    const ovs = await OvsLab.start({ namespace: ns, stateDir: topo.stateDir('ovs') });
    await ovs.addBridge('br0');
    await topo.execOk(ns, ['ip', 'link', 'add', 'up1', 'type', 'veth', 'peer', 'name', 'up1p']);
    await topo.execOk(ns, ['ip', 'link', 'set', 'up1', 'up']);
    await ovs.addPort('br0', 'up1', { ofport: 1 });
    const uplinkMac = await ovs.macInUse('up1');

    const commands: FibCommand[] = [];
    for (let i = 0; i < routes; i++)
      commands.push({
        kind: 'install',
        route: { version: 4, prefix: prefix(i), nextHops: [{ address: NEXT_HOP }], blackhole: false },
      });
    // The same flows as text for ovs-ofctl: what our writer writes, byte for byte in meaning.
    const file = join(ovs.dir, 'flows.txt');
    const actions = `set_field:${uplinkMac}->eth_src,set_field:${NEXT_HOP_MAC}->eth_dst,dec_ttl,output:1`;
    const lines: string[] = [];
    for (let i = 0; i < routes; i++)
      lines.push(
        `table=0,priority=1048,cookie=0x${COOKIE.toString(16)},send_flow_rem,ip,nw_dst=${prefix(i)},actions=${actions}`,
      );
    writeFileSync(file, `${lines.join('\n')}\n`);

    const ours: number[] = [];
    const oursSync: number[] = [];
    const oursWithdraw: number[] = [];
    const plain: number[] = [];
    const bundled: number[] = [];
    for (let run = 0; run < runs; run++) {
      // ovs-ofctl add-flows (plain), then --bundle, then ours; each from an empty table.
      for (const [target, extra] of [
        [plain, []],
        [bundled, ['--bundle']],
      ] as const) {
        await ovs.ofctl('br0', ['del-flows']);
        const started = performance.now();
        await runOk(
          ['ovs-ofctl', '-O', 'OpenFlow13', ...extra, 'add-flows', ovs.openflowTarget('br0'), file],
          {
            env: ovs.env,
            timeoutMs: 600_000,
          },
        );
        target.push((performance.now() - started) / 1000);
        const count = await flowCount(ovs);
        if (count !== routes) throw new Error(`ovs-ofctl ${extra.join(' ')}: ${count} flows, not ${routes}`);
      }

      await ovs.ofctl('br0', ['del-flows']);
      const writer = new OvsWriter(
        {
          enabled: true,
          bridge: 'br0',
          table: 0,
          mode: 'routed',
          openflow: null,
          ovsdb: ovs.ovsdbTarget,
          uplinkPort: 'up1',
          tunnelPort: null,
          cookie: COOKIE,
        },
        {
          neighbors: new StaticNeighborResolver({ [NEXT_HOP]: NEXT_HOP_MAC }),
          options: { batchSize, reconcileIntervalMs: 0, neighborRefreshMs: 0 },
        },
      );
      await writer.start();
      const started = performance.now();
      writer.apply(commands);
      await writer.flush();
      ours.push((performance.now() - started) / 1000);
      const count = await flowCount(ovs);
      if (count !== routes) throw new Error(`ours: ${count} flows, not ${routes}`);
      const syncStarted = performance.now();
      await writer.reconcile();
      oursSync.push((performance.now() - syncStarted) / 1000);
      const withdrawStarted = performance.now();
      writer.apply(
        commands.map((c) => ({
          kind: 'withdraw',
          version: 4,
          prefix: c.kind === 'install' ? c.route.prefix : '',
        })),
      );
      await writer.flush();
      oursWithdraw.push((performance.now() - withdrawStarted) / 1000);
      if ((await flowCount(ovs)) !== 0) throw new Error('ours: flows left after withdrawing all');
      await writer.stop();
    }
    rows.push(
      { name: `agent OvsWriter: apply ${routes} routes -> all flows in the bridge`, seconds: ours },
      { name: `ovs-ofctl add-flows (file of the same ${routes} flows)`, seconds: plain },
      { name: `ovs-ofctl --bundle add-flows (same file)`, seconds: bundled },
      { name: `agent OvsWriter: full sync (dump ${routes} flows, compare)`, seconds: oursSync },
      { name: `agent OvsWriter: withdraw all ${routes}`, seconds: oursWithdraw },
    );
    const version = (await runOk(['ovs-vswitchd', '--version'])).split('\n')[0] ?? '';
    const ratioPlain = median(ours) / median(plain);
    const ratioBundle = median(ours) / median(bundled);
    if (json) {
      console.log(
        JSON.stringify(
          { routes, runs, batchSize, node: process.version, ovs: version, rows, ratioPlain, ratioBundle },
          null,
          2,
        ),
      );
      return;
    }
    console.log(
      `OVS flow writer benchmark: ${routes} routes, ${runs} runs, ${version}, node ${process.version}`,
    );
    console.log(
      `${'case'.padEnd(66)} ${'median s'.padStart(9)} ${'min s'.padStart(7)} ${'flows/s'.padStart(10)}`,
    );
    for (const row of rows) {
      const m = median(row.seconds);
      console.log(
        `${row.name.padEnd(66)} ${m.toFixed(3).padStart(9)} ${Math.min(...row.seconds)
          .toFixed(3)
          .padStart(7)} ${Math.round(routes / m)
          .toLocaleString('en-US')
          .padStart(10)}`,
      );
    }
    console.log(
      `ours / ovs-ofctl add-flows: ${ratioPlain.toFixed(2)}x; ours / ovs-ofctl --bundle add-flows: ${ratioBundle.toFixed(2)}x`,
    );
  } finally {
    await topo.destroy();
  }
}

await main();
