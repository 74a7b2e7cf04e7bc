import { describe, expect, it } from 'vitest';
import {
  type DeviceFacts,
  type DeviceSpec,
  deviceAction,
  deviceMtu,
  encapsulationBytes,
  entryChanges,
  formatMac,
  parseMac,
  planNextHop,
  vtepMac,
  wantedEntries,
} from '../../src/netlink/overlay-plan.js';
import { AF_INET, AF_INET6 } from '../../src/netlink/rtnetlink.js';

const v4 = (text: string): Uint8Array => Uint8Array.from(text.split('.').map(Number));
const V6_REMOTE = Uint8Array.of(0xfd, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x03);
const device = { ifindex: 7, up: true, family: AF_INET };
const connected = { connected: true, cost: 0 };
const elsewhere = { connected: false, cost: 0 };

describe('planNextHop', () => {
  it('never: every next hop is a plain route', () => {
    expect(planNextHop('never', v4('192.168.2.103'), elsewhere, device)).toEqual({ kind: 'plain' });
  });

  it('cross-subnet: a next hop on a connected subnet stays plain', () => {
    expect(planNextHop('cross-subnet', v4('192.168.1.102'), connected, device)).toEqual({ kind: 'plain' });
  });

  it('cross-subnet: a next hop in another subnet goes onlink through the device, with its VTEP', () => {
    expect(planNextHop('cross-subnet', v4('192.168.2.103'), { connected: false, cost: 5 }, device)).toEqual({
      kind: 'overlay',
      hop: { gateway: v4('192.168.2.103'), ifindex: 7, onlink: true },
      cost: 5,
      vtep: { address: '192.168.2.103', mac: '02:ba:c0:a8:02:67' },
    });
  });

  it('always: a same-subnet next hop goes through the device too', () => {
    expect(planNextHop('always', v4('192.168.1.102'), connected, device).kind).toBe('overlay');
  });

  it('unreachable when the underlay does not reach it, or the device is missing or down', () => {
    const nowhere = { connected: false, cost: null };
    expect(planNextHop('cross-subnet', v4('192.168.2.103'), nowhere, device).kind).toBe('unreachable');
    expect(planNextHop('cross-subnet', v4('192.168.2.103'), elsewhere, null).kind).toBe('unreachable');
    expect(planNextHop('always', v4('192.168.2.103'), elsewhere, { ...device, up: false }).kind).toBe(
      'unreachable',
    );
  });

  it('a next hop of the other family than the underlay, or a link-local one, stays plain', () => {
    expect(planNextHop('always', V6_REMOTE, elsewhere, device)).toEqual({ kind: 'plain' });
    const linkLocal = Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    expect(planNextHop('always', linkLocal, elsewhere, { ...device, family: AF_INET6 })).toEqual({
      kind: 'plain',
    });
  });

  it('IPv6 underlay: an IPv6 next hop in another subnet goes through the device', () => {
    const plan = planNextHop('cross-subnet', V6_REMOTE, elsewhere, { ...device, family: AF_INET6 });
    expect(plan.kind).toBe('overlay');
    if (plan.kind === 'overlay') expect(plan.vtep.address).toBe('fd00:2::103');
  });
});

describe('VTEP MACs', () => {
  it('IPv4: 02:ba and the address, locally administered unicast', () => {
    expect(formatMac(vtepMac(v4('172.18.8.101')))).toBe('02:ba:ac:12:08:65');
  });

  it('IPv6: 06:ba and four octets of a hash; deterministic, distinct for nearby addresses', () => {
    const a = formatMac(vtepMac(V6_REMOTE));
    const b = formatMac(vtepMac(Uint8Array.of(...V6_REMOTE.subarray(0, 15), 0x04)));
    expect(a).toMatch(/^06:ba:/);
    expect(formatMac(vtepMac(V6_REMOTE))).toBe(a);
    expect(a).not.toBe(b);
    const first = vtepMac(V6_REMOTE)[0] as number;
    expect(first & 1).toBe(0); // I/G: unicast
    expect(first & 2).toBe(2); // U/L: locally administered
  });

  it('parses what it formats, and refuses what is not a MAC', () => {
    expect(parseMac('02:ba:c0:a8:02:67')).toEqual(Uint8Array.of(2, 0xba, 0xc0, 0xa8, 2, 0x67));
    expect(parseMac('02:ba:c0:a8:02')).toBeNull();
    expect(parseMac('02:ba:c0:a8:02:zz')).toBeNull();
  });
});

describe('MTU', () => {
  it('leaves room for the 50-octet header over IPv4, 70 over IPv6', () => {
    expect(encapsulationBytes(AF_INET)).toBe(50);
    expect(encapsulationBytes(AF_INET6)).toBe(70);
    expect(deviceMtu(null, 1500, AF_INET)).toBe(1450);
    expect(deviceMtu(null, 9001, AF_INET)).toBe(8951);
    expect(deviceMtu(null, 1500, AF_INET6)).toBe(1430);
    expect(deviceMtu(1400, 1500, AF_INET)).toBe(1400);
  });
});

describe('entryChanges', () => {
  const vtep = { address: '192.168.2.103', mac: '02:ba:c0:a8:02:67' };
  const wanted = wantedEntries([vtep]);

  it('one fdb and one neighbour entry per VTEP', () => {
    expect(wanted).toEqual([
      { kind: 'fdb', key: '02:ba:c0:a8:02:67', value: '192.168.2.103' },
      { kind: 'neighbour', key: '192.168.2.103', value: '02:ba:c0:a8:02:67' },
    ]);
  });

  it('writes the missing and the different, removes extras only after the sweep', () => {
    const stale = { kind: 'fdb' as const, key: '02:ba:c0:a8:03:68', value: '192.168.3.104' };
    const wrong = { kind: 'neighbour' as const, key: '192.168.2.103', value: '02:00:00:00:00:01' };
    expect(entryChanges(wanted, [wrong, stale], false)).toEqual({
      write: wanted,
      remove: [],
    });
    expect(entryChanges(wanted, [wanted[0], stale] as never, true)).toEqual({
      write: [wanted[1]],
      remove: [stale],
    });
    expect(entryChanges(wanted, wanted, true)).toEqual({ write: [], remove: [] });
  });
});

describe('deviceAction', () => {
  const spec: DeviceSpec = {
    name: 'agent.vxlan',
    vni: 1,
    port: 4789,
    local: v4('192.168.1.101'),
    mac: '02:ba:c0:a8:01:65',
    mtu: 1450,
  };
  const good: DeviceFacts = {
    kind: 'vxlan',
    vni: 1,
    port: 4789,
    local: '192.168.1.101',
    mac: '02:ba:c0:a8:01:65',
    mtu: 1450,
    up: true,
  };

  it('creates a missing device; leaves a right one alone', () => {
    expect(deviceAction(spec, null)).toEqual({ kind: 'create' });
    expect(deviceAction(spec, good)).toEqual({ kind: 'none' });
  });

  it('recreates what is fixed at creation, modifies the rest in place', () => {
    expect(deviceAction(spec, { ...good, kind: 'veth' }).kind).toBe('recreate');
    expect(deviceAction(spec, { ...good, vni: 2 })).toEqual({ kind: 'recreate', why: 'has VNI 2, not 1' });
    expect(deviceAction(spec, { ...good, port: 8472 }).kind).toBe('recreate');
    expect(deviceAction(spec, { ...good, local: '192.168.1.1' }).kind).toBe('recreate');
    expect(deviceAction(spec, { ...good, mtu: 1500 })).toEqual({
      kind: 'modify',
      why: 'has MTU 1500, not 1450',
    });
    expect(deviceAction(spec, { ...good, mac: '02:00:00:00:00:01' }).kind).toBe('modify');
    expect(deviceAction(spec, { ...good, up: false })).toEqual({ kind: 'modify', why: 'is down' });
  });
});
