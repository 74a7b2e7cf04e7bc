import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attr, hex, MANDATORY, message, NLRI_10_233_1, ORIGIN_IGP, update } from '../bgp/codec/build.js';
import { agentctl } from './helpers.js';

const keepalive = hex(message(4, []));
const announce = hex(
  update({ attributes: [...MANDATORY, ...attr(0xc0, 8, [0xff, 0xff, 0x02, 0x9a])], nlri: NLRI_10_233_1 }),
);

describe('agentctl decode', () => {
  it('prints a decoded UPDATE, human readable', async () => {
    const run = await agentctl(['decode', announce]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('UPDATE (');
    expect(run.stdout).toContain('NEXT_HOP: 192.0.2.1');
    expect(run.stdout).toContain('COMMUNITIES: blackhole');
    expect(run.stdout).toContain('NLRI: 10.233.1.0/24');
  });

  it('prints JSON with --json', async () => {
    const run = await agentctl(['decode', '--json', announce]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      type: 'update',
      nlri: ['10.233.1.0/24'],
      attributes: { origin: 'igp', nextHop: '192.0.2.1', communities: ['blackhole'] },
    });
  });

  it('reads hex from standard input, with tcpdump -X offsets and an IP/TCP header before the marker', async () => {
    const ipTcp = '4500003b00004000400600000a0000010a000002c0a800b3000000000000000050180200000000000';
    const dump = `${ipTcp}0${keepalive}`
      .match(/.{1,32}/g)
      ?.map(
        (line, i) =>
          `\t0x${(i * 16).toString(16).padStart(4, '0')}:  ${line.match(/.{1,4}/g)?.join(' ')}  ................`,
      )
      .join('\n');
    const run = await agentctl(['decode'], dump);
    expect(run.stdout).toContain('KEEPALIVE');
    expect(run.code).toBe(0);
  });

  it('decodes several messages back to back', async () => {
    const run = await agentctl(['decode', '--json', `${keepalive}${announce}`]);
    expect(JSON.parse(run.stdout)).toMatchObject([{ type: 'keepalive' }, { type: 'update' }]);
  });

  it('reports the error the message deserves, exit 1: session reset', async () => {
    const bad = update({
      attributes: [
        ...ORIGIN_IGP,
        ...attr(0x40, 2, [2, 0]),
        ...attr(0x80, 15, [0, 2, 1]),
        ...attr(0x80, 15, [0, 2, 1]),
      ],
      nlri: [],
    });
    const run = await agentctl(['decode', '--json', hex(bad)]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: 3, subcode: 1, action: 'session-reset' });
  });

  it('reports treat-as-withdraw with the decoded message', async () => {
    const bad = update({
      attributes: [...attr(0x40, 1, [7]), ...attr(0x40, 2, []), ...attr(0x40, 3, [192, 0, 2, 1])],
      nlri: NLRI_10_233_1,
    });
    const run = await agentctl(['decode', '--json', hex(bad)]);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout);
    expect(out.error).toMatchObject({ code: 3, subcode: 6, action: 'treat-as-withdraw' });
    expect(out.error.reason).toMatch(/ORIGIN value 7/);
    expect(out.message.nlri).toEqual(['10.233.1.0/24']);
    const text = await agentctl(['decode', hex(bad)]);
    expect(text.stdout).toMatch(
      /error: UPDATE Message Error \/ Invalid ORIGIN Attribute \(3\/6\), treat-as-withdraw/,
    );
  });

  it('decodes 2-octet AS paths with --asn2', async () => {
    const twoOctet = hex(
      update({
        attributes: [
          ...ORIGIN_IGP,
          ...attr(0x40, 2, [2, 2, 0xfd, 0xe8, 0x5b, 0xa0]),
          ...attr(0x40, 3, [10, 0, 0, 1]),
        ],
        nlri: NLRI_10_233_1,
      }),
    );
    const run = await agentctl(['decode', '--asn2', '--json', twoOctet]);
    expect(JSON.parse(run.stdout).attributes.asPath).toEqual([{ type: 'AS_SEQUENCE', asns: [65000, 23456] }]);
    // Read as 4-octet the same bytes are a malformed AS_PATH.
    const wrong = await agentctl(['decode', '--json', twoOctet]);
    expect(JSON.parse(wrong.stdout).error).toMatchObject({
      code: 3,
      subcode: 11,
      action: 'treat-as-withdraw',
    });
  });

  it('rejects input that is not hex in one line, exit 2', async () => {
    const run = await agentctl(['decode', 'ffzz']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/HEX contains 'z'/);
    expect((await agentctl(['decode', 'fff'])).stderr).toMatch(/odd number of digits/);
    expect((await agentctl(['decode', '--add-path', 'ipv5', keepalive])).code).toBe(2);
  });

  it('runs from bin/agentctl (the built shim)', () => {
    // The test command builds first (scripts/test.sh); compiling here again
    // would race the other test files reading dist/ and is slow on a busy box.
    if (!existsSync('dist/src/cli/agentctl.js'))
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'ignore' });
    const ok = spawnSync('node', ['bin/agentctl', 'decode', keepalive], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('KEEPALIVE');
    const bad = spawnSync(
      'node',
      ['bin/agentctl', 'decode', '--json', 'ffffffffffffffffffffffffffffffff001305'],
      { encoding: 'utf8' },
    );
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: 1, subcode: 2 });
  });
});
