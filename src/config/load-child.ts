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
  // Anything else (a bug) is still one line for the daemon to say, marked as such.
  reply(
    error instanceof ConfigError
      ? { error: error.message }
      : { failure: `${path}: reading it failed: ${error instanceof Error ? error.message : String(error)}` },
  );
}
