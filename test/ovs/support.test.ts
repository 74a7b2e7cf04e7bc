// Small pieces: reconnect backoff and connection targets.
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/ovs/backoff.js';
import { openflowTarget, parseTarget } from '../../src/ovs/target.js';

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap, and starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoff.attempts).toBe(6);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it('spreads delays by the jitter fraction', () => {
    expect(new Backoff({ initialMs: 100, jitter: 0.5, random: () => 0 }).next()).toBe(50);
    expect(new Backoff({ initialMs: 100, jitter: 0.5, random: () => 1 }).next()).toBe(150);
  });
});

describe('targets', () => {
  it('parses unix: and tcp: remotes', () => {
    expect(parseTarget('unix:/run/openvswitch/db.sock')).toEqual({
      ok: true,
      value: { kind: 'unix', path: '/run/openvswitch/db.sock' },
    });
    expect(parseTarget('tcp:127.0.0.1:6653')).toEqual({
      ok: true,
      value: { kind: 'tcp', host: '127.0.0.1', port: 6653 },
    });
    expect(parseTarget('tcp:[::1]:6640')).toEqual({
      ok: true,
      value: { kind: 'tcp', host: '::1', port: 6640 },
    });
    expect(parseTarget('ssl:x:1').ok).toBe(false);
    expect(parseTarget('tcp:x:70000').ok).toBe(false);
  });

  it("defaults OpenFlow to the bridge's .mgmt socket next to ovsdb's socket", () => {
    const base = { bridge: 'br-int', ovsdb: 'unix:/var/run/openvswitch/db.sock' };
    expect(openflowTarget({ ...base, openflow: null })).toEqual({
      ok: true,
      value: { kind: 'unix', path: '/var/run/openvswitch/br-int.mgmt' },
    });
    expect(openflowTarget({ ...base, openflow: 'tcp:127.0.0.1:6653' }).ok).toBe(true);
    const noDefault = openflowTarget({ bridge: 'br-int', ovsdb: 'tcp:10.0.0.1:6640', openflow: null });
    expect(noDefault.ok ? '' : noDefault.error).toMatch(/fib.ovs.openflow must be set/);
  });
});
