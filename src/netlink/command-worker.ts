// The kernel writer's command socket, in a worker thread. The kernel does
// the work of a route message inside the sendmsg() that carries it (the
// rtnetlink handler runs in the sender's context), so a million routes are
// seconds of CPU in whichever thread sends them. Sent from here, that time
// overlaps with the main thread's BGP and RIB work instead of adding to it
// (on two or more cores). Protocol with the main thread (command-channel.ts):
//   in:  { kind: 'send', data: Uint8Array (transferred) } | { kind: 'close' }
//   out: { kind: 'ready', port, hardened, error, strictError } | { kind: 'message', data }
//        | { kind: 'error', message }
//        | { kind: 'sent' } (one per datagram handed to the kernel: the main thread's flow control)

import { parentPort } from 'node:worker_threads';
import { RawNetlinkSocket } from './raw-socket.js';
import { NETLINK_ROUTE } from './rtnetlink.js';
import { netlinkDescriptor, setNoEnobufs, setStrictChecking } from './socket-options.js';

type Incoming = { readonly kind: 'send'; readonly data: Uint8Array } | { readonly kind: 'close' };

const parent = parentPort;
if (parent === null) throw new Error('command-worker.ts runs as a worker thread');

const socket = new RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
const port = socket.address().port;
let hardenError: string | null = null;
let strictError: string | null = null;
try {
  // See socket-options.ts: without it a reply overflow aborts the process.
  setNoEnobufs(netlinkDescriptor(port));
} catch (error) {
  hardenError = (error as Error).message;
}
try {
  // Dumps filtered in the kernel; without it they are filtered by the reader (dump.ts).
  setStrictChecking(netlinkDescriptor(port));
} catch (error) {
  strictError = (error as Error).message;
}

socket.on('message', (datagram: Buffer) => {
  // The package's buffers are external memory: copy into one we can transfer.
  const data = new Uint8Array(datagram.length);
  data.set(datagram);
  parent.postMessage({ kind: 'message', data }, [data.buffer]);
});
socket.on('error', (error: Error) => parent.postMessage({ kind: 'error', message: error.message }));

parent.on('message', (message: Incoming) => {
  if (message.kind === 'close') {
    socket.close();
    parent.close();
    return;
  }
  const data = message.data;
  socket.send(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { port: 0 }, (error) => {
    if (error !== undefined) parent.postMessage({ kind: 'error', message: `sendmsg: ${error.message}` });
    parent.postMessage({ kind: 'sent' });
  });
});

parent.postMessage({ kind: 'ready', port, hardened: hardenError === null, error: hardenError, strictError });
