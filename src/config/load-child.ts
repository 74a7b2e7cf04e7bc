// Entry of the short-lived process that parses and validates the
// configuration for the daemon (./isolated.ts): the file's path in argv, one
// JSON line out, {"config": ...} or {"error": "<the one-line ConfigError>"}.
// The OVS cookie is a bigint, which JSON has no form for: it travels as
// {"$bigint": "<hex>"}.

import { ConfigError, loadConfigFile } from './load.js';

function reply(value: unknown): void {
  process.stdout.write(
    `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString(16) } : v))}\n`,
  );
}

const path = process.argv[2] ?? '';
try {
  reply({ config: loadConfigFile(path) });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  reply({ error: error.message });
}
