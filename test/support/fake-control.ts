// A fake agent behind the control API (AgentControl): records every call
// and answers what the test put in its fields. Used by the routes' unit
// tests and, served on a real unix socket, by agentctl's tests.

import type {
  AgentControl,
  ForwardingView,
  LocalRouteRequest,
  NeighborOperationOutcome,
  RefreshOutcome,
  ReloadOutcome,
  RibDirection,
  RibSelection,
  WriterName,
} from '../../src/api/control.js';
import type {
  BfdSessionJson,
  DestinationJson,
  GlobalJson,
  LocalRouteJson,
  MonitorEvent,
  MonitorKind,
  NeighborJson,
  NeighborOperation,
  RibNeighborCounts,
} from '../../src/api/types.js';
import type { AddressFamily } from '../../src/bgp/family.js';

export const destination: DestinationJson = { prefix: '10.233.1.0/24', paths: [] };

/** Records every call; answers what the test put in its fields. */
export class FakeControl implements AgentControl {
  readonly calls: unknown[][] = [];
  neighborList: NeighborJson[] = [];
  knownNeighbors = new Set(['172.18.8.102']);
  local: LocalRouteJson[] = [];
  runtimePrefixes = new Set<string>();
  refreshOutcome: RefreshOutcome = 'requested';
  reloadOutcome: ReloadOutcome = {
    ok: true,
    changes: {
      added: ['172.18.8.103'],
      removed: [],
      restarted: [],
      policiesChanged: [],
      restartRequired: [],
    },
  };
  writers = new Map<WriterName, ForwardingView>();
  neighborOutcome: NeighborOperationOutcome = 'done';
  summaryNeighbors: RibNeighborCounts[] = [];
  globalInfo: GlobalJson = {
    asn: 64512,
    routerId: '172.18.8.101',
    listen: { address: '0.0.0.0', port: 179 },
    version: '0.1.0',
    uptimeSeconds: 3723,
    gracefulRestart: true,
    neighbors: { configured: 2, established: 1 },
    prefixes: { 'ipv4-unicast': 3, 'ipv6-unicast': 0 },
  };

  neighbors(): readonly NeighborJson[] {
    return this.neighborList;
  }
  ribDestinations: readonly DestinationJson[] = [destination];
  rib(selection: RibSelection): readonly DestinationJson[] {
    this.calls.push(['rib', selection]);
    return this.ribDestinations;
  }
  neighborRib(address: string, direction: RibDirection, selection: RibSelection) {
    this.calls.push(['neighborRib', address, direction, selection]);
    return this.knownNeighbors.has(address) ? [destination] : null;
  }
  ribSummary() {
    return {
      'ipv4-unicast': { prefixes: 1, routes: 2 },
      'ipv6-unicast': { prefixes: 0, routes: 0 },
      attributeSets: 1,
      neighbors: this.summaryNeighbors,
    };
  }
  originate(route: LocalRouteRequest): void {
    this.calls.push(['originate', route]);
  }
  withdrawLocal(prefix: string): boolean {
    this.calls.push(['withdrawLocal', prefix]);
    return this.runtimePrefixes.delete(prefix);
  }
  localRoutes(): readonly LocalRouteJson[] {
    return this.local;
  }
  requestRefresh(address: string, family: AddressFamily): RefreshOutcome {
    this.calls.push(['requestRefresh', address, family]);
    return this.knownNeighbors.has(address) ? this.refreshOutcome : 'unknown-neighbor';
  }
  async reload(): Promise<ReloadOutcome> {
    return this.reloadOutcome;
  }
  global(): GlobalJson {
    return this.globalInfo;
  }
  neighborOperation(address: string, operation: NeighborOperation): NeighborOperationOutcome {
    this.calls.push(['neighborOperation', address, operation]);
    return this.knownNeighbors.has(address) ? this.neighborOutcome : 'unknown-neighbor';
  }
  /** The emit of each monitor now open, to push events from the test. */
  readonly monitors = new Set<(event: MonitorEvent) => void>();
  monitor(kinds: readonly MonitorKind[], emit: (event: MonitorEvent) => void): () => void {
    this.calls.push(['monitor', kinds]);
    this.monitors.add(emit);
    return () => this.monitors.delete(emit);
  }
  bfdList: BfdSessionJson[] = [];
  async bfdSessions(): Promise<readonly BfdSessionJson[]> {
    return this.bfdList;
  }
  forwardingView(name: WriterName): ForwardingView | null {
    return this.writers.get(name) ?? null;
  }
}
