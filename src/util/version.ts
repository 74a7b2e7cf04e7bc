// The agent's version: package.json's, found by walking up from this file
// (src/util in a checkout run by tsx, dist/src/util once built and installed
// under /usr/local/lib/agent), so there is one place to bump it.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'bgp-route-agent';

let cached: string | null = null;

export function agentVersion(): string {
  if (cached !== null) return cached;
  cached = 'unknown';
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const json = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
      if (json.name === PACKAGE_NAME && typeof json.version === 'string') {
        cached = json.version;
        break;
      }
    }
    dir = dirname(dir);
  }
  return cached;
}
