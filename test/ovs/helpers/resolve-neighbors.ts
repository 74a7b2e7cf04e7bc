// Runs NetlinkNeighborResolver inside a namespace (rtnetlink sockets belong
// to the namespace of the process that opens them): resolves each address
// given on the command line and prints one JSON object. With --watch MS it
// then prints the addresses the resolver reports as changed within MS.
//   ip netns exec NS node --import tsx test/ovs/helpers/resolve-neighbors.ts 10.0.0.2 10.0.0.99 [--watch 2000]
import { NetlinkNeighborResolver } from '../../../src/ovs/neighbors.js';

const args = process.argv.slice(2);
const watchAt = args.indexOf('--watch');
const watchMs = watchAt >= 0 ? Number(args[watchAt + 1]) : 0;
const addresses = watchAt >= 0 ? args.slice(0, watchAt) : args;
const resolver = new NetlinkNeighborResolver({ resolveTimeoutMs: 1500, refreshMs: 200 });
const started = Date.now();
const macs: Record<string, string | null> = {};
for (const address of addresses) macs[address] = await resolver.resolve(address);
const resolvedMs = Date.now() - started;
const changed: string[] = [];
if (watchMs > 0) {
  resolver.subscribe((address) => changed.push(address));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await new Promise((resolve) => setTimeout(resolve, watchMs));
  for (const address of addresses) macs[address] = await resolver.resolve(address);
}
resolver.close();
process.stdout.write(`${JSON.stringify({ macs, resolvedMs, changed })}\n`);
