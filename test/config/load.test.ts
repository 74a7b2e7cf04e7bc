import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';

const minimal = `
asn: 64512
routerId: 172.18.8.101
neighbors:
  - address: 172.18.8.102
    asn: 64512
`;

function errorOf(text: string): string {
  try {
    parseConfig(text, 'agent.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('no error');
}

describe('config', () => {
  it('fills the documented defaults', () => {
    const config = parseConfig(minimal);
    expect(config).toMatchObject({
      asn: 64512,
      routerId: '172.18.8.101',
      listen: { address: '0.0.0.0', port: 179 },
      maxPaths: 1,
      fib: {
        kernel: { enabled: true, table: 254, protocol: 186, metric: 20 },
        ovs: { enabled: false, bridge: 'br-int', mode: 'routed' },
      },
      api: { socket: '/run/agent/agent.sock' },
      metrics: { listen: '127.0.0.1:9179' },
    });
    expect(config.neighbors[0]).toMatchObject({
      address: '172.18.8.102',
      port: 179,
      families: ['ipv4-unicast'],
      holdTimeSeconds: 90,
      passive: false,
      password: null,
      ttlSecurity: false,
    });
  });

  it('overlay: off by default, VNI 1 on UDP 4789 through agent.vxlan, MTU from the underlay', () => {
    expect(parseConfig(minimal).overlay).toEqual({
      mode: 'never',
      vni: 1,
      port: 4789,
      device: 'agent.vxlan',
      mtu: null,
      localAddress: null,
    });
    const config = parseConfig(
      `${minimal}overlay: { mode: cross-subnet, vni: 4096, port: 8472, device: vx0, mtu: 8951, localAddress: "fd00:0:0:1::0101" }\n`,
    );
    expect(config.overlay).toEqual({
      mode: 'cross-subnet',
      vni: 4096,
      port: 8472,
      device: 'vx0',
      mtu: 8951,
      localAddress: 'fd00:0:0:1::101',
    });
  });

  it('takes an OVS tunnel-mode section with its tunnel port', () => {
    const config = parseConfig(
      `${minimal}fib:\n  ovs: { enabled: true, bridge: br0, mode: tunnel, tunnelPort: vxlan0, cookie: "0xb6b1000000000000" }\n`,
    );
    expect(config.fib.ovs).toMatchObject({
      enabled: true,
      bridge: 'br0',
      mode: 'tunnel',
      tunnelPort: 'vxlan0',
      cookie: 0xb6b1000000000000n,
      openflow: null,
    });
  });

  it('accepts the full example of DESIGN.md', () => {
    const config = parseConfig(`
asn: 64512
routerId: 172.18.8.101
listen: { address: "0.0.0.0", port: 179 }
maxPaths: 1
neighbors:
  - address: 172.18.8.102
    asn: 64512
    families: [ipv4-unicast]
    holdTimeSeconds: 90
    passive: false
    password: "secret"
    ttlSecurity: false
    routeReflectorClient: false
    import: { prefixes: ["10.233.0.0/16 le 32"] }
    export: accept-all
originate:
  - prefix: 10.233.1.0/24
    communities: []
fib:
  kernel: { enabled: true, table: 254, protocol: 186, metric: 20 }
  ovs:
    enabled: false
    bridge: br-int
    table: 0
    mode: routed
    openflow: "unix:/var/run/openvswitch/br-int.mgmt"
    ovsdb: "unix:/var/run/openvswitch/db.sock"
    tunnelPort: null
api: { socket: /run/agent/agent.sock }
metrics: { listen: "127.0.0.1:9179" }
`);
    expect(config.neighbors[0]?.password).toBe('secret');
    expect(config.originate[0]?.prefix).toBe('10.233.1.0/24');
  });

  it.each([
    [
      `${minimal}    hodlTimeSeconds: 9\n`,
      'agent.yaml: neighbors[0].hodlTimeSeconds: unknown key; did you mean holdTimeSeconds?',
    ],
    [
      `${minimal}    holdTimeSeconds: "9"\n`,
      'agent.yaml: neighbors[0].holdTimeSeconds: "9" is not valid: must be 0 (no keepalives) or 3 to 65535 seconds (RFC 4271 §4.2)',
    ],
    [
      `${minimal}    holdTimeSeconds: 2\n`,
      'agent.yaml: neighbors[0].holdTimeSeconds: 2 is not valid: must be 0 (no keepalives) or 3 to 65535 seconds (RFC 4271 §4.2)',
    ],
    [
      minimal.replace('asn: 64512\nrouterId', 'asn: 4294967296\nrouterId'),
      'agent.yaml: asn: 4294967296 is not valid: must be an AS number from 1 to 4294967295',
    ],
    [
      minimal.replace('172.18.8.102', '172.18.8.302'),
      'agent.yaml: neighbors[0].address: "172.18.8.302" is not valid: must be an IPv4 or IPv6 address, e.g. 172.18.8.102 or fd00::2',
    ],
    [
      minimal.replace('routerId: 172.18.8.101', 'routerId: fd00::1'),
      'agent.yaml: routerId: "fd00::1" is not valid: must be a dotted-quad IPv4 address, e.g. 172.18.8.101',
    ],
    [
      `${minimal}  - address: 172.18.8.102\n    asn: 64513\n`,
      'agent.yaml: neighbors[1].address: "172.18.8.102" is not valid: duplicates neighbors[0]: each neighbor address may appear once',
    ],
    ['routerId: 1.2.3.4\n', 'agent.yaml: asn: missing; it must be an AS number from 1 to 4294967295'],
    [`${minimal}    import: { prefixes: ["10.233.0.0/16 le 8"] }\n`, 'agent.yaml: neighbors[0].import'],
    [
      `${minimal}    families: [ipv4-multicast]\n`,
      'agent.yaml: neighbors[0].families[0]: "ipv4-multicast" is not valid: must be ipv4-unicast or ipv6-unicast',
    ],
    [
      `${minimal}originate:\n  - prefix: 10.233.1.5/24\n`,
      'agent.yaml: originate[0].prefix: "10.233.1.5/24" is not valid: host bits are set; write 10.233.1.0/24',
    ],
    [
      `${minimal}originate:\n  - prefix: fd00:233:1::1/64\n`,
      'agent.yaml: originate[0].prefix: "fd00:233:1::1/64" is not valid: host bits are set; write fd00:233:1::/64',
    ],
    [
      `${minimal}    import: { prefixes: ["10.233.1.1/16 le 32"] }\n`,
      'agent.yaml: neighbors[0].import.prefixes[0]: "10.233.1.1/16 le 32" is not valid: host bits are set; write 10.233.0.0/16',
    ],
    [
      minimal.replace('routerId: 172.18.8.101', 'routerId: 0.0.0.0'),
      'agent.yaml: routerId: "0.0.0.0" is not valid: must not be 0.0.0.0: the BGP Identifier is a non-zero IPv4 address (RFC 6286), e.g. this node\'s address',
    ],
    [`${minimal}clusterId: 0.0.0.0\n`, 'agent.yaml: clusterId: "0.0.0.0" is not valid: must not be 0.0.0.0'],
    [
      `${minimal}metrics: { listen: "127.0.0.1:99999" }\n`,
      'agent.yaml: metrics.listen: "127.0.0.1:99999" is not valid: the port must be 1 to 65535, e.g. 127.0.0.1:9179 (or "" to disable)',
    ],
    [
      `${minimal}metrics: { listen: "127.0.0.1:0" }\n`,
      'agent.yaml: metrics.listen: "127.0.0.1:0" is not valid: the port must be 1 to 65535',
    ],
    [
      `${minimal}    import: { prefixes: ["10.233.0.0/16 le 32"], action: acept }\n`,
      'agent.yaml: neighbors[0].import.action: "acept" is not valid: must be accept or reject',
    ],
    [
      `${minimal}    export:\n      - { prefixes: ["10.233.0.0/16"], action: accept }\n      - { action: rejct }\n`,
      'agent.yaml: neighbors[0].export[1].action: "rejct" is not valid: must be accept or reject',
    ],
    [
      `${minimal}    import: accept-al\n`,
      'agent.yaml: neighbors[0].import: "accept-al" is not valid: must be accept-all, reject-all, or { prefixes: ["10.233.0.0/16 le 32"] }',
    ],
    [
      `${minimal}    import: { prefixes: ["10.233.0.0/16"], set: { localPref: "high" } }\n`,
      'agent.yaml: neighbors[0].import.set.localPref: "high" is not valid: must be a LOCAL_PREF, an integer from 0 to 4294967295',
    ],
    [
      `${minimal}    maxPrefix: 100\n`,
      'agent.yaml: neighbors[0].maxPrefix: 100 is not valid: must be { limit: 100 } (and optionally warningOnly, warningThresholdPercent, restartSeconds)',
    ],
    [
      `${minimal}gracefulRestart: true\n`,
      'agent.yaml: gracefulRestart: true is not valid: must be { enabled: true|false, restartTimeSeconds, staleRoutesTimeSeconds }',
    ],
    ['asn: [1\n', 'agent.yaml line 2 column 1: not valid YAML'],
    ['- 1\n', 'agent.yaml: must be a YAML mapping'],
    [`${minimal}bogus: 1\n`, 'agent.yaml: bogus: unknown key; known keys:'],
    [
      `${minimal}metrics: { listen: "localhost" }\n`,
      'agent.yaml: metrics.listen: "localhost" is not valid: must be HOST:PORT',
    ],
    [
      `${minimal}fib:\n  ovs: { enabled: true, mode: tunnel }\n`,
      'agent.yaml: fib.ovs.tunnelPort: missing; mode is tunnel: set it to the name of a flow-based VXLAN or Geneve port (options:remote_ip=flow), or use mode: routed',
    ],
    [
      `${minimal}fib:\n  ovs: { enabled: true, mode: tunnel, tunnelPort: null }\n`,
      'agent.yaml: fib.ovs.tunnelPort: null is not valid: mode is tunnel: set it to the name of a flow-based VXLAN',
    ],
    [
      `${minimal}overlay: { mode: crosssubnet }\n`,
      'agent.yaml: overlay.mode: "crosssubnet" is not valid: must be never, cross-subnet or always',
    ],
    [
      `${minimal}overlay: { vni: 16777216 }\n`,
      'agent.yaml: overlay.vni: 16777216 is not valid: must be a VXLAN network identifier, 1 to 16777215',
    ],
    [`${minimal}overlay: { port: 0 }\n`, 'agent.yaml: overlay.port: 0 is not valid: must be a UDP port'],
    [
      `${minimal}overlay: { device: "a-name-that-is-too-long" }\n`,
      'agent.yaml: overlay.device: "a-name-that-is-too-long" is not valid: must be an interface name',
    ],
    [
      `${minimal}overlay: { mtu: 100 }\n`,
      'agent.yaml: overlay.mtu: 100 is not valid: must be the device MTU',
    ],
    [`${minimal}overlay: { vnid: 3 }\n`, 'agent.yaml: overlay.vnid: unknown key; did you mean vni?'],
    [
      `${minimal}overlay: { mode: always }\nfib: { kernel: { enabled: false } }\n`,
      'agent.yaml: overlay.mode: "always" is not valid: needs the kernel writer',
    ],
  ])('one line naming the field and the fix: %#', (text, expected) => {
    const message = errorOf(text);
    expect(message.split('\n')).toHaveLength(1);
    expect(message.startsWith(expected)).toBe(true);
  });
});

describe('config errors are in our own words', () => {
  // Every section given a wrong type: the line names the field and what it
  // must be, never the schema library's "Invalid input: expected ...".
  it.each([
    'listen: 179',
    'gracefulRestart: 1',
    'fib: 1',
    'fib:\n  kernel: true',
    'fib:\n  ovs: true',
    'api: "/run/agent.sock"',
    'metrics: "127.0.0.1:9179"',
    'neighbors: [1]',
    'originate: ["10.233.1.0/24"]',
    'neighbors:\n  - address: 172.18.8.102\n    asn: 64512\n    maxPrefix: { limit: 10, restartSeconds: "x" }',
    'neighbors:\n  - address: 172.18.8.102\n    asn: 64512\n    import: { set: 5 }',
    'neighbors:\n  - address: 172.18.8.102\n    asn: 64512\n    import: 7',
  ])('%s', (extra) => {
    const text = `asn: 64512\nrouterId: 172.18.8.101\n${extra}\n`;
    const message = errorOf(text);
    expect(message.split('\n')).toHaveLength(1);
    expect(message).not.toMatch(/Invalid input|expected|received/i);
    expect(message).toMatch(/must /);
  });
});

describe('peer groups and listen ranges (dynamic neighbors)', () => {
  const base = 'asn: 64512\nrouterId: 172.18.8.101\n';
  const groups = `${base}peerGroups:
  nodes:
    asn: 64512
    routeReflectorClient: true
    holdTimeSeconds: 9
    export: accept-all
    bfd: { enabled: true, minRxMs: 100 }
`;

  it('a neighbor naming a group takes its settings; its own keys win (bfd key by key)', () => {
    const config = parseConfig(`${groups}neighbors:
  - address: 172.18.8.102
    peerGroup: nodes
    holdTimeSeconds: 30
    bfd: { multiplier: 5 }
  - address: 172.18.8.103
    asn: 65001
`);
    expect(config.neighbors[0]).toMatchObject({
      address: '172.18.8.102',
      asn: 64512,
      peerGroup: 'nodes',
      routeReflectorClient: true,
      holdTimeSeconds: 30,
      export: 'accept-all',
      passive: false,
      bfd: { enabled: true, minRxMs: 100, minTxMs: 300, multiplier: 5 },
    });
    expect(config.neighbors[0]).not.toHaveProperty('listenRange');
    expect(config.neighbors[1]).not.toHaveProperty('peerGroup');
    expect(config.neighbors[1]?.routeReflectorClient).toBe(false);
  });

  it('a listen range carries its group as a passive template; the limit defaults to 100', () => {
    const config = parseConfig(`${groups}listenRanges:
  - { prefix: 172.18.8.0/24, peerGroup: nodes }
  - { prefix: "fd00:18::/48", peerGroup: nodes, limit: 3 }
`);
    expect(config.listenRanges).toHaveLength(2);
    expect(config.listenRanges[0]).toMatchObject({ prefix: '172.18.8.0/24', peerGroup: 'nodes', limit: 100 });
    expect(config.listenRanges[0]?.template).toMatchObject({
      address: '',
      asn: 64512,
      passive: true,
      routeReflectorClient: true,
      holdTimeSeconds: 9,
      peerGroup: 'nodes',
      listenRange: '172.18.8.0/24',
    });
    expect(config.listenRanges[1]?.limit).toBe(3);
    expect(parseConfig(base).listenRanges).toEqual([]);
  });

  it.each([
    [
      `${base}neighbors: [{ address: 172.18.8.102, peerGroup: nodez }]\n`,
      'agent.yaml: neighbors[0].peerGroup: "nodez" is not valid: names no group: define peerGroups.nodez',
    ],
    [
      `${base}neighbors: [{ address: 172.18.8.102 }]\n`,
      "agent.yaml: neighbors[0].asn: missing; must be the neighbor's AS number, 1 to 4294967295",
    ],
    [
      `${base}peerGroups: { nodes: { holdTimeSeconds: 9 } }\nneighbors: [{ address: 172.18.8.102, peerGroup: nodes }]\n`,
      "agent.yaml: neighbors[0].asn: missing; must be the neighbor's AS number, here or in peerGroups.nodes.asn",
    ],
    [
      `${base}peerGroups: { nodes: { holdTimeSeconds: 9 } }\nlistenRanges: [{ prefix: 172.18.8.0/24, peerGroup: nodes }]\n`,
      'agent.yaml: peerGroups.nodes.asn: missing; must be the AS number of the neighbors from listenRanges[0]',
    ],
    [
      `${groups}listenRanges: [{ prefix: 172.18.8.0/24, peerGroup: other }]\n`,
      'agent.yaml: listenRanges[0].peerGroup: "other" is not valid: names no group: define peerGroups.other',
    ],
    [
      `${groups}listenRanges: [{ prefix: 172.18.8.1/24, peerGroup: nodes }]\n`,
      'agent.yaml: listenRanges[0].prefix: "172.18.8.1/24" is not valid: host bits are set; write 172.18.8.0/24',
    ],
    [
      `${groups}listenRanges: [{ prefix: 172.18.8.0/24, peerGroup: nodes, limit: 0 }]\n`,
      'agent.yaml: listenRanges[0].limit: 0 is not valid: must be the most neighbors this range may have at once',
    ],
    [
      `${groups}listenRanges: [{ prefix: 172.18.8.0/24, peerGroup: nodes }, { prefix: 172.18.8.0/24, peerGroup: nodes }]\n`,
      'agent.yaml: listenRanges[1].prefix: "172.18.8.0/24" is not valid: duplicates listenRanges[0]',
    ],
    [
      `${groups}listen: { port: 0 }\nlistenRanges: [{ prefix: 172.18.8.0/24, peerGroup: nodes }]\n`,
      'agent.yaml: listen.port: 0 is not valid: is 0 (no listener), but listenRanges wait for connections',
    ],
    [
      `${base}peerGroups: { nodes: { address: 172.18.8.9, asn: 64512 } }\n`,
      'agent.yaml: peerGroups.nodes.address: unknown key',
    ],
    [
      `${base}peerGroups: { nodes: { asn: 64512, holdTimeSecond: 9 } }\n`,
      'agent.yaml: peerGroups.nodes.holdTimeSecond: unknown key; did you mean holdTimeSeconds?',
    ],
    [`${base}listenRange: []\n`, 'agent.yaml: listenRange: unknown key; did you mean listenRanges?'],
  ])('one line naming the field and the fix: %#', (text, expected) => {
    const message = errorOf(text);
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(expected);
  });
});

describe('listen ranges and TCP MD5, prefixes as written', () => {
  const base = 'asn: 64512\nrouterId: 172.18.8.101\n';
  it('a configured neighbor without a password inside a range with one is refused (the kernel would use the range key)', () => {
    const text = `${base}peerGroups: { nodes: { asn: 64512, password: s3cret } }
listenRanges: [{ prefix: 172.18.8.0/24, peerGroup: nodes }]
neighbors: [{ address: 172.18.8.1, asn: 64512 }, { address: 10.0.0.1, asn: 64512 }]
`;
    expect(errorOf(text)).toContain(
      'neighbors[0].password: missing; must be set: the neighbor is inside listenRanges[0] (172.18.8.0/24)',
    );
    expect(() =>
      parseConfig(text.replace('asn: 64512 }, {', 'asn: 64512, password: s3cret }, {')),
    ).not.toThrow();
    expect(() =>
      parseConfig(
        text.replace('{ address: 172.18.8.1, asn: 64512 }', '{ address: 172.18.8.1, peerGroup: nodes }'),
      ),
    ).not.toThrow();
  });

  it('a range of the other family than a specific listen address is refused', () => {
    const text = `${base}listen: { address: 172.18.8.101 }\npeerGroups: { nodes: { asn: 64512 } }\nlistenRanges: [{ prefix: "fd00::/64", peerGroup: nodes }]\n`;
    expect(errorOf(text)).toContain(
      'listenRanges[0].prefix: "fd00::/64" is not valid: is IPv6, but listen.address 172.18.8.101 only takes IPv4 connections',
    );
    expect(() => parseConfig(text.replace('address: 172.18.8.101', 'address: "::"'))).not.toThrow();
  });

  it('range prefixes are compared and kept as the prefix they are', () => {
    const groups = `${base}peerGroups: { nodes: { asn: 64512 } }\n`;
    expect(
      errorOf(
        `${groups}listenRanges: [{ prefix: "fd00::/64", peerGroup: nodes }, { prefix: "FD00:0::/64", peerGroup: nodes }]\n`,
      ),
    ).toContain('listenRanges[1].prefix: "FD00:0::/64" is not valid: duplicates listenRanges[0]');
    const config = parseConfig(`${groups}listenRanges: [{ prefix: "FD00:0::/64", peerGroup: nodes }]\n`);
    expect(config.listenRanges[0]?.prefix).toBe('fd00::/64');
    expect(config.listenRanges[0]?.template.listenRange).toBe('fd00::/64');
  });
});
