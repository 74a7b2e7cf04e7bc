// What a reload changes besides neighbors: policies applied in place (per
// neighbor whose session stays) and the keys that wait for the next start.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { reloadDifferences } from '../../src/config/reload-diff.js';

const base = `
asn: 64512
routerId: 172.18.8.101
neighbors:
  - address: 172.18.8.102
    asn: 64512
    export: accept-all
  - address: 172.18.8.103
    asn: 64513
    import: accept-all
    export: accept-all
`;

describe('reloadDifferences', () => {
  it('nothing changed: nothing to say', () => {
    expect(reloadDifferences(parseConfig(base), parseConfig(base))).toEqual({
      policiesChanged: [],
      restartRequired: [],
    });
  });

  it('names each neighbor whose import or export policy changed, and which', () => {
    const next = base
      .replace(
        '    export: accept-all\n  - address: 172.18.8.103',
        '    export: reject-all\n  - address: 172.18.8.103',
      )
      .replace('    import: accept-all', '    import: { prefixes: ["10.233.0.0/16 le 32"] }');
    expect(reloadDifferences(parseConfig(base), parseConfig(next)).policiesChanged).toEqual([
      { address: '172.18.8.102', policies: ['export'] },
      { address: '172.18.8.103', policies: ['import'] },
    ]);
  });

  it('a neighbor added or removed is not a policy change', () => {
    const next = base.replace(/ {2}- address: 172\.18\.8\.103[\s\S]*$/, '');
    expect(reloadDifferences(parseConfig(base), parseConfig(next)).policiesChanged).toEqual([]);
  });

  it('lists the keys that take effect at the next start', () => {
    const next = `${base}api: { socket: /tmp/other.sock }\nmetrics: { listen: "" }\nfib:\n  kernel: { metric: 30 }\n  ovs: { enabled: true, uplinkPort: eth1 }\n`;
    expect(reloadDifferences(parseConfig(base), parseConfig(next)).restartRequired).toEqual([
      'api.socket',
      'metrics.listen',
      'fib.kernel',
      'fib.ovs',
    ]);
  });
});
