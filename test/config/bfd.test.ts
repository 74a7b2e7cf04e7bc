// The bfd: settings, per neighbor and as a global default.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';

const withBfd = (global: string, neighbor: string) => `
asn: 64512
routerId: 172.18.8.101
${global}
neighbors:
  - address: 172.18.8.102
    asn: 64512
${neighbor}
  - address: 172.18.8.103
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

describe('bfd config', () => {
  it('is off by default, with 300 ms x 3 single-hop ready', () => {
    const config = parseConfig(withBfd('', ''));
    expect(config.neighbors[0]?.bfd).toEqual({
      enabled: false,
      minRxMs: 300,
      minTxMs: 300,
      multiplier: 3,
      hops: 1,
    });
  });

  it('takes per-neighbor values', () => {
    const config = parseConfig(
      withBfd('', '    bfd: { enabled: true, minRxMs: 100, minTxMs: 100, multiplier: 3 }'),
    );
    expect(config.neighbors[0]?.bfd).toEqual({
      enabled: true,
      minRxMs: 100,
      minTxMs: 100,
      multiplier: 3,
      hops: 1,
    });
    expect(config.neighbors[1]?.bfd.enabled).toBe(false);
  });

  it('neighbors start from the global default and may override it', () => {
    const config = parseConfig(
      withBfd('bfd: { enabled: true, minRxMs: 200, multiplier: 5 }', '    bfd: { minTxMs: 150, hops: 3 }'),
    );
    expect(config.bfd).toEqual({ enabled: true, minRxMs: 200, minTxMs: 300, multiplier: 5, hops: 1 });
    expect(config.neighbors[0]?.bfd).toEqual({
      enabled: true,
      minRxMs: 200,
      minTxMs: 150,
      multiplier: 5,
      hops: 3,
    });
    expect(config.neighbors[1]?.bfd).toEqual(config.bfd);
  });

  it('names the field in one line', () => {
    expect(errorOf(withBfd('', '    bfd: { enabled: true, minRxMs: 5 }'))).toMatch(
      /^agent\.yaml: neighbors\[0\]\.bfd\.minRxMs: .*must be .* in milliseconds, 10 to 60000/,
    );
    expect(errorOf(withBfd('bfd: { multiplier: 0 }', ''))).toMatch(
      /^agent\.yaml: bfd\.multiplier: .*detect multiplier/,
    );
    expect(errorOf(withBfd('', '    bfd: { enable: true }'))).toMatch(
      /bfd\.enable: unknown key; did you mean enabled\?/,
    );
    expect(errorOf(withBfd('', '    bfd: { hops: 0 }')).split('\n')).toHaveLength(1);
  });
});
