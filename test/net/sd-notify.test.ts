// $NOTIFY_SOCKET as a struct sockaddr_un: a path socket ends in NUL, an
// abstract one ("@name") starts with one and has no terminator (its length
// is the address length), and what cannot be one is refused.

import { describe, expect, it } from 'vitest';
import { notifyAddress } from '../../src/net/sd-notify.js';

const AF_UNIX = Buffer.from([1, 0]);

describe('notifyAddress', () => {
  it('a path: family, the path, a NUL', () => {
    expect(notifyAddress('/run/systemd/notify')).toEqual(
      Buffer.concat([AF_UNIX, Buffer.from('/run/systemd/notify'), Buffer.from([0])]),
    );
  });

  it('an abstract name: family, a NUL, the name', () => {
    expect(notifyAddress('@/org/freedesktop/systemd1/notify/123')).toEqual(
      Buffer.concat([AF_UNIX, Buffer.from([0]), Buffer.from('/org/freedesktop/systemd1/notify/123')]),
    );
  });

  it.each(['', 'relative/path', `/${'x'.repeat(108)}`, 'vsock:2:1234'])('refuses %j', (text) => {
    expect(notifyAddress(text)).toBe(null);
  });
});
