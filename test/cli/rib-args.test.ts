// agentctl's checks of what it is given before it asks the daemon anything:
// a prefix with host bits is refused in one line naming the masked prefix
// (as FRR and BIRD do), for rib add, rib del and rib show alike.

import { describe, expect, it } from 'vitest';
import { agentctl } from './helpers.js';

/** No daemon there: a refusal must come before any call to it. */
const socket = '/nonexistent/agent.sock';

describe('agentctl rib add/del/show: host bits', () => {
  it.each([
    [['rib', 'add', '10.1.0.1/24'], 'agentctl: rib add: 10.1.0.1/24 has host bits set; write 10.1.0.0/24\n'],
    [['rib', 'del', '10.1.0.1/24'], 'agentctl: rib del: 10.1.0.1/24 has host bits set; write 10.1.0.0/24\n'],
    [
      ['rib', 'show', '10.1.0.1/24'],
      'agentctl: rib show: 10.1.0.1/24 has host bits set; write 10.1.0.0/24\n',
    ],
    [
      ['rib', 'add', 'fd00:233:1::1/64', 'med', '5'],
      'agentctl: rib add: fd00:233:1::1/64 has host bits set; write fd00:233:1::/64\n',
    ],
  ])('%j is a usage error naming the masked prefix', async (argv, stderr) => {
    const result = await agentctl(['--socket', socket, ...argv]);
    expect(result).toEqual({ code: 2, stdout: '', stderr });
  });

  it('a masked prefix goes on to the daemon (here: none is running)', async () => {
    const result = await agentctl(['--socket', socket, 'rib', 'add', '10.1.0.0/24']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no agent is running');
  });
});
