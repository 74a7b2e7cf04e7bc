// Notifications to events, fed the kernel's own notifications
// (fixtures/kernel-routes.ts): our routes (added, changed, deleted) are
// handed over with a peek of their prefix; another protocol's main-table
// route, a link or an address means the view may have changed; anything
// else is nobody's business.
import { describe, expect, it } from 'vitest';
import { dispatchNotifications, type MonitorEvents } from '../../src/netlink/monitor.js';
import { AF_INET, AF_INET6, NlMsgType, parseRoute, routePeek } from '../../src/netlink/rtnetlink.js';
import { notifications } from './fixtures/kernel-routes.js';
import { concat } from './helpers/messages.js';

function record(datagram: Buffer, owner = { protocol: 186, table: 254 }): string[] {
  const events: string[] = [];
  const sink: MonitorEvents = {
    viewChanged: () => events.push('view'),
    ownedRouteChanged: (peek, payload, deleted) => {
      const route = parseRoute(payload);
      const words = Array.from(peek.words.subarray(0, peek.family === AF_INET ? 1 : 4), (w) =>
        w.toString(16),
      );
      events.push(
        `${deleted ? 'deleted' : 'changed'} af${peek.family} ${words.join(':')}/${peek.prefixLength} hops ${route?.nextHops.length}`,
      );
    },
    lost: () => events.push('lost'),
  };
  dispatchNotifications(datagram, owner, routePeek(), sink);
  return events;
}

/** The same route notification in another table (rtm_table and RTA_TABLE). */
function inTable(datagram: Buffer, table: number): Buffer {
  const copy = Buffer.from(datagram);
  copy[16 + 4] = table;
  for (let at = 16 + 12; at + 4 <= copy.length; at += (copy.readUInt16LE(at) + 3) & ~3) {
    if (copy.readUInt16LE(at + 2) === 15) copy.writeUInt32LE(table, at + 4); // RTA_TABLE
  }
  return copy;
}

/** A bare notification of `type` (links and addresses: only the type matters here). */
function bare(type: number): Buffer {
  const b = Buffer.alloc(16 + 16);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(type, 4);
  return b;
}

describe('notifications', () => {
  it.each([
    { name: 'our route added', datagram: notifications.added, events: ['changed af2 ae90200/24 hops 1'] },
    { name: 'our ECMP route', datagram: notifications.ecmp, events: ['changed af2 ae90300/24 hops 2'] },
    { name: 'our blackhole', datagram: notifications.blackhole, events: ['changed af2 ae90400/24 hops 0'] },
    {
      name: 'our IPv6 route',
      datagram: notifications.addedV6,
      events: [`changed af${AF_INET6} fd000233:20000:0:0/64 hops 1`],
    },
    {
      name: 'our route deleted by hand',
      datagram: notifications.deleted,
      events: ['deleted af2 ae90200/24 hops 1'],
    },
  ])('$name', ({ datagram, events }) => {
    expect(record(datagram)).toEqual(events);
  });

  it('takes routes of another protocol in the main table for a view change', () => {
    expect(record(notifications.added, { protocol: 4, table: 254 })).toEqual(['view']);
  });

  it('takes our protocol in the main table for another route when our table is another', () => {
    expect(record(notifications.added, { protocol: 186, table: 100 })).toEqual(['view']);
  });

  it('ignores routes in other tables than ours and the main one', () => {
    const elsewhere = inTable(notifications.added, 100);
    expect(record(elsewhere, { protocol: 4, table: 200 })).toEqual([]);
    expect(record(elsewhere, { protocol: 186, table: 100 })).toEqual(['changed af2 ae90200/24 hops 1']);
  });

  it('takes links and addresses for view changes, and ignores the rest', () => {
    expect(
      record(
        concat(
          bare(NlMsgType.newLink),
          bare(NlMsgType.delLink),
          bare(NlMsgType.newAddr),
          bare(NlMsgType.delAddr),
          bare(NlMsgType.done),
        ),
      ),
    ).toEqual(['view', 'view', 'view', 'view']);
  });

  it('skips a route message too short to read', () => {
    expect(record(bare(NlMsgType.newRoute).subarray(0, 20))).toEqual([]);
  });

  it('handles every message of a datagram', () => {
    expect(record(concat(notifications.deleted, notifications.readded))).toEqual([
      'deleted af2 ae90200/24 hops 1',
      'changed af2 ae90200/24 hops 1',
    ]);
  });
});
