// Cheap queries to a receiver's control socket, straight over the unix
// socket instead of spawning birdc/vtysh on every poll (a process start per
// 50 ms poll would take CPU from the daemon being measured on a 2-core box).
//
// BIRD (doc/prog "Remote control"): the daemon greets with "0001 BIRD x ready.",
// every reply line is "DDDD-text" (more follows), " text" (continues the
// previous code) or "DDDD text" (last line of the reply).
//
// FRR (lib/vty.c, vtysh client): the command goes out NUL-terminated; the
// answer is the command's output followed by three NUL octets and a status
// octet (0 = success).

import net from 'node:net';

function request(
  path: string,
  timeoutMs: number,
  onConnect: (socket: net.Socket) => void,
  complete: (received: Buffer, socket: net.Socket) => number | null,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${path}: no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => onConnect(socket));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      const end = complete(all, socket);
      if (end !== null) {
        clearTimeout(timer);
        socket.destroy();
        resolve(all.subarray(0, end));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`${path}: closed before the answer was complete`));
    });
  });
}

/** Where the reply that starts at `after` ends (past its last line), or null if that line has not arrived. */
function birdReplyEnd(text: string, after: number): number | null {
  let lineStart = after;
  for (;;) {
    const newline = text.indexOf('\n', lineStart);
    if (newline < 0) return null;
    if (/^\d{4} /.test(text.slice(lineStart, lineStart + 5))) return newline + 1;
    lineStart = newline + 1;
  }
}

/** One BIRD CLI command over its control socket; returns the reply lines, codes stripped. */
export async function birdCommand(socketPath: string, command: string, timeoutMs = 10_000): Promise<string> {
  let greeted = -1;
  const raw = await request(
    socketPath,
    timeoutMs,
    () => undefined,
    (received, socket) => {
      const text = received.toString('utf8');
      if (greeted < 0) {
        const end = birdReplyEnd(text, 0);
        if (end === null) return null;
        greeted = end;
        socket.write(`${command}\n`);
      }
      return birdReplyEnd(text, greeted);
    },
  );
  const text = raw.toString('utf8').slice(greeted);
  const lines = text.split('\n').filter((line) => line !== '');
  const errors = lines.filter((line) => /^[89]\d{3}[ -]/.test(line));
  if (errors.length > 0) throw new Error(`bird: ${command}: ${errors.join('; ')}`);
  return lines.map((line) => (/^\d{4}[ -]/.test(line) ? line.slice(5) : line.slice(1))).join('\n');
}

/** One FRR daemon command over its vty socket (e.g. `<dir>/bgpd.vty`); returns the output. */
export async function frrCommand(vtySocket: string, command: string, timeoutMs = 10_000): Promise<string> {
  const raw = await request(
    vtySocket,
    timeoutMs,
    (socket) => socket.write(`${command}\0`),
    (received) => {
      const n = received.length;
      if (n >= 4 && received[n - 4] === 0 && received[n - 3] === 0 && received[n - 2] === 0) return n;
      return null;
    },
  );
  const status = raw[raw.length - 1];
  const output = raw.subarray(0, raw.length - 4).toString('utf8');
  if (status !== 0) throw new Error(`frr: ${command}: status ${status}: ${output.trim().slice(0, 200)}`);
  return output;
}
