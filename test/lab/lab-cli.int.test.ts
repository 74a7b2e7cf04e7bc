// lab.sh's own surface: --help without root or a build, `ping` saying which
// way it went, `down` keeping the logs unless --purge, and install-deps
// skipping npm ci when node_modules matches the lockfile.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pingLine } from '../../lab/lab.js';
import { repositoryRoot } from '../../lab/repository.js';

describe('lab.sh', () => {
  it.each(['--help', '-h', 'help'])('%s prints the usage and exits 0 (no root, no install)', (flag) => {
    const result = spawnSync('bash', [join(repositoryRoot, 'lab', 'lab.sh'), flag], {
      encoding: 'utf8',
      env: { ...process.env, PATH: '/usr/bin:/bin' },
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('bash lab/lab.sh up --ovs');
    expect(result.stdout).toContain('down --purge');
    expect(result.stdout).not.toMatch(/^#/m);
  });

  it('ping says which way it went', () => {
    expect(pingLine(1, '3 packets transmitted, 3 received, 0% packet loss, time 406ms', true)).toBe(
      'pod1 (10.233.1.10) -> pod2 (10.233.2.10): 3 packets transmitted, 3 received, 0% packet loss, time 406ms  OK',
    );
    expect(pingLine(2, '3 packets transmitted, 0 received, 100% packet loss', false)).toBe(
      'pod2 (10.233.2.10) -> pod1 (10.233.1.10): 3 packets transmitted, 0 received, 100% packet loss  FAILED',
    );
  });

  it('down keeps the logs (and nothing else) unless --purge', () => {
    const state = mkdtempSync(join(tmpdir(), 'lab-down-'));
    try {
      const lay = () => {
        mkdirSync(join(state, 'node1', 'pids'), { recursive: true });
        writeFileSync(
          join(state, 'lab.json'),
          JSON.stringify({ prefix: 'zz-', namespaces: [], node2: 'agent' }),
        );
        writeFileSync(join(state, 'node1', 'agent.out'), '{"msg":"agent started"}\n');
        writeFileSync(join(state, 'node1', 'agent.yaml'), 'asn: 1\n');
        writeFileSync(join(state, 'node1', 'agent.sock'), '');
      };
      const down = (...extra: string[]) =>
        spawnSync(
          'node',
          [join(repositoryRoot, 'dist', 'lab', 'lab.js'), 'down', '--state', state, ...extra],
          {
            encoding: 'utf8',
          },
        );
      lay();
      const kept = down();
      expect(kept.status).toBe(0);
      expect(kept.stdout).toContain(`logs kept in ${state}`);
      expect(readFileSync(join(state, 'node1', 'agent.out'), 'utf8')).toContain('agent started');
      expect(existsSync(join(state, 'lab.json'))).toBe(false);
      expect(existsSync(join(state, 'node1', 'agent.sock'))).toBe(false);
      lay();
      expect(down('--purge').status).toBe(0);
      expect(existsSync(state)).toBe(false);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});

describe('install-deps.sh and node_modules', () => {
  it.each([
    ['current', true, ''],
    ['older than the lockfile', false, 'ci\n'],
  ])('node_modules %s: npm ci %s', (_what, current, calls) => {
    const dir = mkdtempSync(join(tmpdir(), 'deps-npm-'));
    try {
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      for (const [name, body] of [
        ['dpkg-query', "echo 'install ok installed'"],
        ['node', 'echo 20'],
        ['npm', `echo "$1" >> "${dir}/npm.log"`],
      ] as const) {
        writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
        chmodSync(join(bin, name), 0o755);
      }
      // A copy of the repository's scripts and lockfile with its own node_modules.
      const repo = join(dir, 'repo');
      mkdirSync(join(repo, 'scripts'), { recursive: true });
      mkdirSync(join(repo, 'node_modules'));
      writeFileSync(
        join(repo, 'scripts', 'install-deps.sh'),
        readFileSync(join(repositoryRoot, 'scripts', 'install-deps.sh')),
      );
      // npm writes node_modules/.package-lock.json at each install: newer than the lockfile means current.
      const lock = '{"lockfileVersion":3}\n';
      writeFileSync(join(repo, 'package.json'), '{}\n');
      writeFileSync(join(repo, 'package-lock.json'), lock);
      writeFileSync(join(repo, 'node_modules', '.package-lock.json'), lock);
      const nowSeconds = Date.now() / 1000;
      for (const file of ['package.json', 'package-lock.json'])
        utimesSync(join(repo, file), nowSeconds, nowSeconds);
      const installed = current ? nowSeconds + 10 : nowSeconds - 10;
      utimesSync(join(repo, 'node_modules', '.package-lock.json'), installed, installed);
      const result = spawnSync('bash', [join(repo, 'scripts', 'install-deps.sh')], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      });
      expect(result.status).toBe(0);
      expect(existsSync(join(dir, 'npm.log')) ? readFileSync(join(dir, 'npm.log'), 'utf8') : '').toBe(calls);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
