// One gobgpd API call without the gobgp CLI: gRPC is HTTP/2 (prior
// knowledge, no TLS, on gobgpd's unix socket) with a 5-octet frame per
// message (compressed flag, 4-octet length) and the status in the trailers.
// ListPeer (`gobgp neighbor`) takes a ListPeerRequest whose fields (address,
// enable_advertised) are all left at their defaults, which protobuf encodes
// as zero octets; the answer is a stream of ListPeerResponse, one per peer,
// counted here and not decoded. A latency poll every 20 ms through a CLI
// process per call would measure process start-ups on a 2-core box.

import http2 from 'node:http2';
import net from 'node:net';

const LIST_PEER = '/apipb.GobgpApi/ListPeer';

/** gobgpd's ListPeer over a fresh connection; resolves with the number of peers in the answer. */
export function gobgpListPeer(socketPath: string, timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2.connect('http://localhost', { createConnection: () => net.connect(socketPath) });
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`gobgpd ListPeer: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (error: Error | null, peers = 0) => {
      clearTimeout(timer);
      session.close();
      if (error) reject(error);
      else resolve(peers);
    };
    session.on('error', (error) => finish(error));
    const stream = session.request({
      ':method': 'POST',
      ':path': LIST_PEER,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let octets = 0;
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      octets += chunk.length;
    });
    let status: string | undefined;
    let message: string | undefined;
    stream.on('trailers', (trailers) => {
      status = String(trailers['grpc-status'] ?? '');
      message = String(trailers['grpc-message'] ?? '');
    });
    stream.on('response', (headers) => {
      // A trailers-only answer (an error) carries the status in the headers.
      if (headers['grpc-status'] !== undefined) {
        status = String(headers['grpc-status']);
        message = String(headers['grpc-message'] ?? '');
      }
    });
    stream.on('error', (error) => finish(error));
    stream.on('end', () => {
      if (status !== '0') {
        finish(new Error(`gobgpd ListPeer: grpc-status ${status ?? '?'} ${message ?? ''}`.trim()));
        return;
      }
      const all = Buffer.concat(chunks, octets);
      let peers = 0;
      for (let at = 0; at + 5 <= all.length; at += 5 + all.readUInt32BE(at + 1)) peers++;
      finish(null, peers);
    });
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
  });
}
