// The reference for bench/fib: how fast this kernel takes routes when
// nothing but a netlink writer stands in the way. Run inside a namespace
// (bench/fib.ts does: `ip netns exec NS node dist/bench/netlink-raw.js`); it
// writes N IPv4 /24 routes via a directly connected gateway as RTM_NEWROUTE
// (create|replace, proto bgp), `--per-datagram` messages per sendmsg() with
// no per-route ACK, then one acknowledged NOOP; the time is from the first
// send until that ACK, when the kernel has processed every message. Prints
// one JSON line: {"routes": N, "ms": T, "errors": E}.
//
//   node dist/bench/netlink-raw.js --routes 1000000 --gateway 10.77.0.1 [--per-datagram 1024]

import { parseArgs } from 'node:util';
import { RawNetlinkSocket } from 'netlink';
import { parseIpv4 } from '../src/net/ip.js';
import {
  AF_INET,
  errorCode,
  NETLINK_ROUTE,
  RouteMessageWriter,
  splitMessages,
} from '../src/netlink/rtnetlink.js';

const { values } = parseArgs({
  options: {
    routes: { type: 'string', default: '1000000' },
    gateway: { type: 'string' },
    'per-datagram': { type: 'string', default: '1024' },
    table: { type: 'string', default: '254' },
    protocol: { type: 'string', default: '186' },
    metric: { type: 'string', default: '20' },
    /** First /24: 20.0.0.0 by default (the same space as the BGP feed's case a). */
    base: { type: 'string', default: '20.0.0.0' },
  },
  strict: true,
});

const routes = Number(values.routes);
const perDatagram = Number(values['per-datagram']);
const gatewayWord = parseIpv4(values.gateway ?? '');
if (gatewayWord === null) throw new Error('--gateway IPV4 is required (a directly connected address)');
const baseWord = parseIpv4(values.base);
if (baseWord === null) throw new Error('--base must be an IPv4 address');
const gateway = Uint8Array.of(
  gatewayWord >>> 24,
  (gatewayWord >>> 16) & 0xff,
  (gatewayWord >>> 8) & 0xff,
  gatewayWord & 0xff,
);
const hops = [{ gateway, ifindex: 0 }];
const MARKER_SEQ = 0x7fffffff;

const socket = new RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
const writer = new RouteMessageWriter();
const key = new Uint32Array(1);
let errors = 0;
let firstError = '';

const done = new Promise<void>((resolve) => {
  socket.on('message', (datagram: Buffer) => {
    for (const message of splitMessages(datagram)) {
      if (message.type !== 2) continue; // NLMSG_ERROR (code 0 is an ACK)
      const code = errorCode(message.payload);
      if (message.seq === MARKER_SEQ) resolve();
      else if (code !== 0) {
        errors++;
        if (firstError === '') firstError = `seq ${message.seq}: errno ${-code}`;
      }
    }
  });
});

// Everything encoded first: the measurement is the kernel's, not the encoder's.
const datagrams: Buffer[] = [];
for (let i = 0; i < routes; i++) {
  key[0] = (baseWord + i * 256) >>> 0;
  writer.route(
    false,
    AF_INET,
    key,
    0,
    24,
    Number(values.table),
    Number(values.protocol),
    Number(values.metric),
    false,
    hops,
    i,
    false,
  );
  if (writer.count >= perDatagram) datagrams.push(writer.take());
}
writer.marker(MARKER_SEQ);
datagrams.push(writer.take());

const started = performance.now();
for (const datagram of datagrams) socket.send(datagram, { port: 0 });
await done;
const ms = performance.now() - started;
socket.close();
process.stdout.write(
  `${JSON.stringify({ routes, ms: Math.round(ms), errors, ...(firstError ? { firstError } : {}) })}\n`,
);
