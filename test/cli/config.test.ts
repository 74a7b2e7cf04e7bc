// agentctl config reload through the control socket: what changed, policies
// changed in place and the keys that need a restart; a refused file is one
// line on stderr and exit 1 (what systemctl reload shows).

import { afterEach, describe, expect, it } from 'vitest';
import { type ServedAgent, serveFakeAgent } from './served.js';

let served: ServedAgent | null = null;
afterEach(async () => {
  await served?.close();
  served = null;
});

describe('agentctl config reload', () => {
  it('says what changed, policies included, and what waits for a restart', async () => {
    served = await serveFakeAgent();
    served.control.reloadOutcome = {
      ok: true,
      changes: {
        added: ['172.18.8.103'],
        removed: [],
        restarted: [],
        policiesChanged: [{ address: '172.18.8.102', policies: ['import', 'export'] }],
        restartRequired: ['metrics.listen'],
      },
    };
    expect(await served.run(['config', 'reload'])).toEqual({
      code: 0,
      stdout: [
        'configuration reloaded: 1 neighbor(s) added, 0 removed, 0 restarted',
        'policies changed: 172.18.8.102 (import, export)',
        'take effect at the next start (systemctl restart agent): metrics.listen',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('a refused file: one line, exit 1', async () => {
    served = await serveFakeAgent();
    served.control.reloadOutcome = { ok: false, reason: 'agent.yaml: asn: missing' };
    expect(await served.run(['config', 'reload'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'agentctl: config reload refused, the running configuration stays: agent.yaml: asn: missing\n',
    });
  });
});
