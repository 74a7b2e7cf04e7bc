// The configuration read in a child process, for the daemon: yaml and zod
// cost some 15 MB of RSS once loaded, and a module is never unloaded, so the
// daemon (at start and at each reload) leaves parsing and validation to a
// process that exits (./load-child.ts) and keeps only the plain result.
// Same answer as loadConfigFile: the config, or a ConfigError with the line.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type AgentConfig, ConfigError } from './types.js';

interface ChildReply {
  readonly config?: AgentConfig;
  /** A ConfigError's line. */
  readonly error?: string;
  /** Something else went wrong in the child (a bug), in one line. */
  readonly failure?: string;
}

/** A child that has not answered by then is stopped (a path that is a FIFO would hang start and reload). */
const CHILD_TIMEOUT_MS = 30_000;

function childArgv(path: string): string[] {
  const child = fileURLToPath(new URL('./load-child.js', import.meta.url));
  // From the TypeScript sources (tests) the child is .ts too: run it through tsx.
  if (import.meta.url.endsWith('.ts')) return ['--import', 'tsx', child.replace(/\.js$/, '.ts'), path];
  return [child, path];
}

export function loadConfigIsolated(path: string): Promise<AgentConfig> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      childArgv(path),
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: CHILD_TIMEOUT_MS },
      (error, stdout, stderr) => {
        let reply: ChildReply;
        try {
          reply = JSON.parse(stdout, (_key, v: unknown) =>
            typeof v === 'object' && v !== null && '$bigint' in v
              ? BigInt(`0x${(v as { $bigint: string }).$bigint}`)
              : v,
          ) as ChildReply;
        } catch {
          const cause =
            error?.killed === true
              ? `no answer within ${CHILD_TIMEOUT_MS / 1000} s`
              : (stderr.split('\n').find((line) => /Error/.test(line)) ?? stderr.trim().split('\n')[0] ?? '');
          reject(new Error(`${path}: reading the configuration failed: ${cause}`));
          return;
        }
        if (reply.error !== undefined) reject(new ConfigError(reply.error));
        else if (reply.failure !== undefined) reject(new Error(reply.failure));
        else if (reply.config !== undefined) resolve(reply.config);
        else reject(new Error('reading the configuration failed: no answer'));
      },
    );
  });
}
