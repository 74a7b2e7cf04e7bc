// The overlay's netlink adapter: the one VXLAN device the agent owns (by
// name), and its fdb and neighbour entries. It does what overlay-plan.ts
// decides: creates or repairs the device (deviceAction), and brings its
// entries to the wanted ones (entryChanges). It runs at start, when the
// writer's routes need other VTEPs, when the kernel says the device or one
// of its entries changed (someone deleted the device or an fdb entry), and
// on a timer. A device that cannot be made (no vxlan in the kernel, the
// name taken) is one error line and a metric; BGP goes on, and the routes
// that need the overlay stay out of the kernel (they do not resolve).

import { createNetlink, createRtNetlink, type NetlinkSocket } from 'netlink';
import { CoalescedRun } from './coalesced-run.js';
import { bytesToAddress } from './kernel-view.js';
import {
  AF_BRIDGE,
  createLinkPayload,
  type LinkFacts,
  LinkMsgType,
  linkPayload,
  modifyLinkPayload,
  NeighMsgType,
  neighbourDumpPayload,
  neighbourPayload,
  parseLink,
  parseNeighbour,
} from './overlay-messages.js';
import {
  type DeviceSpec,
  deviceAction,
  deviceMtu,
  entryChanges,
  formatMac,
  type OverlayEntry,
  type Vtep,
  vtepMac,
  wantedEntries,
} from './overlay-plan.js';
import { AF_INET, AF_INET6, NETLINK_ROUTE, NlFlag, RtnlGroup } from './rtnetlink.js';
import { noOverlayMetrics, type OverlayMetrics, type WriterLog } from './types.js';

export interface OverlayDeviceConfig {
  readonly device: string;
  readonly vni: number;
  readonly port: number;
  /** null: the underlay interface's MTU less the encapsulation. */
  readonly mtu: number | null;
  /** This node's underlay address (4 or 16 bytes). */
  readonly local: Uint8Array;
  /** Check the device and its entries this often even without notifications (0: never). */
  readonly reconcileIntervalMs: number;
}

/** RTNLGRP_NEIGH: neighbour and fdb changes. */
const RTNLGRP_NEIGH = 3;
const SOON_MS = 20;
const DEFAULT_UNDERLAY_MTU = 1500;

/** The errno name of a refused request (the netlink package says "Request rejected: ENODEV"). */
function errnoOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /\b(E[A-Z0-9]+)$/.exec(message)?.[1] ?? message;
}

export class OverlayDevice {
  private socket: NetlinkSocket | null = null;
  private monitor: NetlinkSocket | null = null;
  private wanted: OverlayEntry[] = [];
  private wantedKey = '';
  /** Set after the restart sweep: entries no route wants are removed from then on. */
  private removeExtras = false;
  private ifindex = 0;
  /** The last attempt to make the device failed (logged once until it works). */
  private failing = false;
  /** Entries were in place once: a later difference was made outside the agent. */
  private settled = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly soon = new CoalescedRun(
    SOON_MS,
    () => this.reconcile(),
    (error) => this.log.error({ error: errnoOf(error) }, 'overlay: reconcile failed, retrying'),
  );

  constructor(
    private readonly config: OverlayDeviceConfig,
    private readonly log: WriterLog,
    private readonly metrics: OverlayMetrics = noOverlayMetrics,
  ) {}

  /** The device's interface index (0: not there). */
  get index(): number {
    return this.ifindex;
  }

  /** Opens the sockets, makes the device (or adopts the one there, entries and all), and watches it. */
  async start(): Promise<void> {
    this.socket = createNetlink(NETLINK_ROUTE);
    const monitor = createNetlink(NETLINK_ROUTE);
    monitor.addMembership(RtnlGroup.link);
    monitor.addMembership(RTNLGRP_NEIGH);
    monitor.on('message', (messages) => {
      for (const message of messages) this.notified(message.type, message.data);
    });
    monitor.on('error', () => this.soon.request());
    monitor.unref();
    this.monitor = monitor;
    this.socket.unref();
    // Never fatal: a device that cannot be had is logged and retried (BGP goes on).
    await this.reconcile().catch((error: unknown) =>
      this.log.error({ error: errnoOf(error) }, 'overlay: reconcile failed, retrying'),
    );
    if (this.config.reconcileIntervalMs > 0) {
      this.timer = setInterval(() => this.soon.request(), this.config.reconcileIntervalMs);
      this.timer.unref();
    }
  }

  /** The remote VTEPs the routes need now: their entries are written (and others removed, after the sweep). */
  setWanted(vteps: readonly Vtep[]): void {
    const sorted = [...vteps].sort((a, b) => (a.address < b.address ? -1 : 1));
    const key = sorted.map((v) => v.address).join(',');
    if (key === this.wantedKey) return;
    this.wantedKey = key;
    this.wanted = wantedEntries(sorted);
    this.metrics.vteps(sorted.length);
    this.soon.request();
  }

  /** After the restart sweep (RFC 4724 §4.1): entries of the previous run that no route wants go. */
  sweep(): void {
    this.removeExtras = true;
    this.soon.request();
  }

  private notified(type: number, payload: Buffer): void {
    if (type === LinkMsgType.newLink || type === LinkMsgType.delLink) {
      const link = parseLink(payload);
      if (link !== null && (link.index === this.ifindex || link.name === this.config.device))
        this.soon.request();
    } else if (type === NeighMsgType.newNeigh || type === NeighMsgType.delNeigh) {
      if (payload.length >= 8 && payload.readInt32LE(4) === this.ifindex && this.ifindex > 0)
        this.soon.request();
    }
  }

  private async request(type: number, payload: Buffer, flags = 0): Promise<Buffer[]> {
    const socket = this.socket;
    if (socket === null) return [];
    const [messages] = await socket.request(type, payload, { flags, timeout: 5000 });
    return messages.filter((m) => m.type === type - 2 || m.type === type).map((m) => m.data);
  }

  private async link(name: string | null, index = 0): Promise<LinkFacts | null> {
    try {
      const [reply] = await this.request(LinkMsgType.getLink, linkPayload(name, index));
      return reply === undefined ? null : parseLink(reply);
    } catch (error) {
      if (errnoOf(error) === 'ENODEV') return null;
      throw error;
    }
  }

  /** The MTU of the interface holding the local address (the underlay's), or 1500 when none does. */
  private async underlayMtu(): Promise<number> {
    const local = bytesToAddress(this.config.local);
    const rt = createRtNetlink();
    try {
      const addresses = await rt.getAddresses();
      const holder = addresses.find((a) => {
        const bytes = a.attrs.local ?? a.attrs.address;
        return bytes !== undefined && bytesToAddress(Uint8Array.from(bytes)) === local;
      });
      const link = holder?.data.index === undefined ? null : await this.link(null, holder.data.index);
      if (link?.mtu == null) {
        this.log.warn(
          { local },
          'overlay: no interface holds the local address; assuming an underlay MTU of 1500',
        );
        return DEFAULT_UNDERLAY_MTU;
      }
      return link.mtu;
    } finally {
      rt.socket.close();
    }
  }

  private async spec(): Promise<DeviceSpec> {
    const family = this.config.local.length === 4 ? AF_INET : AF_INET6;
    return {
      name: this.config.device,
      vni: this.config.vni,
      port: this.config.port,
      local: this.config.local,
      mac: formatMac(vtepMac(this.config.local)),
      mtu: deviceMtu(this.config.mtu, await this.underlayMtu(), family),
    };
  }

  /** Makes the device as specified; false (logged once, counted) when the kernel refuses. */
  private async ensureDevice(): Promise<boolean> {
    const spec = await this.spec();
    const facts = await this.link(this.config.device);
    const action = deviceAction(spec, facts);
    try {
      switch (action.kind) {
        case 'none':
          break;
        case 'recreate':
          this.log.warn(
            { device: spec.name, why: action.why },
            'overlay: device not as configured, recreating it',
          );
          await this.request(LinkMsgType.delLink, linkPayload(spec.name));
          await this.request(LinkMsgType.newLink, createLinkPayload(spec), NlFlag.create | NlFlag.excl);
          break;
        case 'create':
          if (this.settled) this.metrics.repaired(1);
          this.log[this.settled ? 'warn' : 'info'](
            {
              device: spec.name,
              vni: spec.vni,
              port: spec.port,
              local: bytesToAddress(spec.local),
              mtu: spec.mtu,
            },
            this.settled
              ? 'overlay: VXLAN device deleted outside the agent, creating it again'
              : 'overlay: VXLAN device created',
          );
          await this.request(LinkMsgType.newLink, createLinkPayload(spec), NlFlag.create | NlFlag.excl);
          break;
        case 'modify':
          this.log.warn(
            { device: spec.name, why: action.why },
            'overlay: device changed outside the agent, putting it back',
          );
          await this.request(LinkMsgType.newLink, modifyLinkPayload(facts?.index ?? 0, spec));
          break;
      }
    } catch (error) {
      this.metrics.deviceFailed();
      this.metrics.deviceUp(false);
      if (!this.failing)
        this.log.error(
          { device: spec.name, error: errnoOf(error) },
          'overlay: cannot create the VXLAN device; routes that need it stay out of the kernel, BGP goes on',
        );
      this.failing = true;
      this.ifindex = 0;
      return false;
    }
    const now = action.kind === 'none' ? facts : await this.link(this.config.device);
    this.ifindex = now?.index ?? 0;
    if (this.failing) this.log.info({ device: spec.name }, 'overlay: VXLAN device is there now');
    this.failing = false;
    this.metrics.deviceUp(this.ifindex > 0);
    return this.ifindex > 0;
  }

  private async entries(): Promise<OverlayEntry[]> {
    const entries: OverlayEntry[] = [];
    for (const family of [AF_BRIDGE, AF_INET, AF_INET6]) {
      for (const payload of await this.request(
        NeighMsgType.getNeigh,
        neighbourDumpPayload(family),
        NlFlag.dump,
      )) {
        const entry = parseNeighbour(payload, this.ifindex);
        if (entry !== null) entries.push(entry);
      }
    }
    return entries;
  }

  /** The device as specified and its entries as wanted. */
  async reconcile(): Promise<void> {
    if (this.socket === null || !(await this.ensureDevice())) return;
    const changes = entryChanges(this.wanted, await this.entries(), this.removeExtras);
    for (const entry of changes.write)
      await this.request(
        NeighMsgType.newNeigh,
        neighbourPayload(entry, this.ifindex),
        NlFlag.create | NlFlag.replace,
      );
    for (const entry of changes.remove)
      await this.request(NeighMsgType.delNeigh, neighbourPayload(entry, this.ifindex)).catch(() => []);
    if (this.settled && changes.write.length > 0) {
      this.metrics.repaired(changes.write.length);
      this.log.warn(
        { entries: changes.write.map((e) => `${e.kind} ${e.key} ${e.value}`) },
        'overlay: fdb or neighbour entries changed outside the agent, putting them back',
      );
    }
    this.settled = true;
  }

  /** Deletes the device (its fdb and neighbour entries, and routes through it, go with it). */
  async remove(): Promise<boolean> {
    if (this.socket === null) this.socket = createNetlink(NETLINK_ROUTE);
    const facts = await this.link(this.config.device);
    if (facts === null || facts.kind !== 'vxlan') return false;
    await this.request(LinkMsgType.delLink, linkPayload(this.config.device));
    this.log.info({ device: this.config.device }, 'overlay: VXLAN device removed');
    this.ifindex = 0;
    return true;
  }

  stop(): void {
    this.soon.stop();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.monitor?.close();
    this.monitor = null;
    this.socket?.close();
    this.socket = null;
  }
}
