// The NOTIFICATION log line as journald and jq see it: one JSON object whose
// `name` is still the logger's, with the code's name under its own key.

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { notificationLogLine } from '../../src/daemon/notification-log.js';
import { createLogger } from '../../src/log/logger.js';

function loggedText(write: (log: ReturnType<typeof createLogger>) => void): string {
  const stream = new PassThrough();
  const log = createLogger('info', stream);
  write(log);
  log.flush?.();
  return String(stream.read() ?? '');
}

describe('NOTIFICATION log line', () => {
  it('keeps one name key (the logger) and puts the code name under notification', () => {
    const line = notificationLogLine('172.18.8.102', 'received', 6, 2, 'bye', Uint8Array.of(1, 2));
    const text = loggedText((log) => log[line.level](line.fields, line.message));
    expect(text.match(/"name":/g)).toHaveLength(1);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      name: 'agent',
      notification: 'Cease / Administrative Shutdown (6/2)',
      neighbor: '172.18.8.102',
      direction: 'received',
      code: 6,
      subcode: 2,
      data: '0102',
      level: 'info',
    });
  });

  it('a non-Cease NOTIFICATION is a warning', () => {
    expect(notificationLogLine('10.0.0.1', 'sent', 3, 11, '', undefined).level).toBe('warn');
  });
});
