// The daemon's configuration comes from a child process (src/config/isolated.ts):
// it must be exactly what loadConfigFile returns, bigint cookie included, and
// a broken file must be the same one-line ConfigError.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigIsolated } from '../../src/config/isolated.js';
import { ConfigError, loadConfigFile } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'agent-config-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadConfigIsolated', () => {
  it('returns what loadConfigFile returns, the OVS cookie as a bigint', async () => {
    const path = file(
      'good.yaml',
      `asn: 64512
routerId: 172.18.8.101
peerGroups: { nodes: { asn: 64512, routeReflectorClient: true } }
listenRanges: [{ prefix: 172.18.8.0/24, peerGroup: nodes }]
neighbors: [{ address: 172.18.8.102, asn: 65001, import: accept-all }]
fib: { ovs: { enabled: true, cookie: "0xb6b0000000000042" } }
`,
    );
    const isolated = await loadConfigIsolated(path);
    expect(isolated).toEqual(loadConfigFile(path));
    expect(isolated.fib.ovs.cookie).toBe(0xb6b0000000000042n);
  }, 20_000);

  it('a broken file is the same one-line ConfigError', async () => {
    const path = file(
      'bad.yaml',
      'asn: 64512\nrouterId: 172.18.8.101\nneighbors: [{ address: 172.18.8.102, asn: 0 }]\n',
    );
    const error = await loadConfigIsolated(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      (() => {
        try {
          loadConfigFile(path);
        } catch (e) {
          return (e as Error).message;
        }
        return 'no error';
      })(),
    );
    const missing = await loadConfigIsolated(join(dir, 'none.yaml')).catch((e: unknown) => e);
    expect((missing as Error).message).toContain('no such file');
  }, 20_000);
});
