#!/usr/bin/env node
// Runs the whole vitest suite and prints one final line "N passed, N failed"
// computed from vitest's JSON results, so that a run with no tests, or with
// tests that never ran, is visible to CI (vitest's own summary is not parsed).
//
// Integration tests (test/**/*.int.test.ts) need root: they create network
// namespaces and run real gobgpd/FRR/BIRD/ExaBGP/ovs-vswitchd. Outside CI a
// non-root user gets the unit project only, and is told so; in CI (CI=true)
// everything runs, and not being root is an error.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const isRoot = process.getuid?.() === 0;
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const extraArgs = process.argv.slice(2);

if (inCi && !isRoot) {
  console.error('run-tests: CI=true but not root: integration tests need root (namespaces, port 179)');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const projectArgs = isRoot ? [] : ['--project', 'unit'];
if (!isRoot)
  console.error('run-tests: not root: running the unit project only (integration tests need root)');

const dir = mkdtempSync(join(tmpdir(), 'agent-tests-'));
const resultsFile = join(dir, 'results.json');
const run = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${resultsFile}`,
    ...projectArgs,
    ...extraArgs,
  ],
  { stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
try {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  for (const file of results.testResults ?? []) {
    for (const test of file.assertionResults ?? []) {
      if (test.status === 'passed') passed += 1;
      else if (test.status === 'failed') failed += 1;
    }
    // A file that failed to load (syntax error, failing hook) has no assertions.
    if (file.status === 'failed' && (file.assertionResults ?? []).every((t) => t.status !== 'failed'))
      failed += 1;
  }
} catch (error) {
  console.error(`run-tests: no vitest results (${error instanceof Error ? error.message : String(error)})`);
  failed += 1;
}
rmSync(dir, { recursive: true, force: true });
if (passed + failed === 0) failed = 1; // no tests ran: that is a failure, not a pass
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
