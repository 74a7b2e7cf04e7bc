// --version on both binaries: the package's version, one line, exit 0.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { agentctl } from './helpers.js';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('--version', () => {
  it('agentctl --version', async () => {
    expect(await agentctl(['--version'])).toEqual({ code: 0, stdout: `agentctl ${version}\n`, stderr: '' });
  });

  it('agent --version (the built shim)', () => {
    if (!existsSync('dist/src/daemon/main.js'))
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'ignore' });
    const result = spawnSync('node', ['bin/agent', '--version'], { encoding: 'utf8' });
    expect([result.status, result.stdout, result.stderr]).toEqual([0, `agent ${version}\n`, '']);
  });
});
