// Carries out what the pure BFD coupling (src/bfd/coupling.ts) decides for
// each neighbor: close its BGP session with Cease/BFD Down, hold it down,
// release it. It also turns the configuration into BFD sessions for the
// worker (src/bfd/service.ts).

import { type CouplingEvent, type CouplingState, couple, initialCouplingState } from '../bfd/coupling.js';
import type { StateChange } from '../bfd/fsm.js';
import { describeDiagnostic } from '../bfd/iana.js';
import type { SessionSpec } from '../bfd/messages.js';
import { CeaseSubcode } from '../bgp/codec/iana.js';
import type { Peer } from '../bgp/peer.js';
import type { NeighborSettings } from '../config/types.js';
import type { LogSink } from '../log/logger.js';

/** The BFD session a neighbor's settings ask for, or null without BFD. */
export function sessionSpecOf(neighbor: NeighborSettings): SessionSpec | null {
  const bfd = neighbor.bfd;
  if (!bfd.enabled) return null;
  return {
    key: neighbor.address,
    peerAddress: neighbor.address,
    localAddress: neighbor.localAddress,
    hops: bfd.hops,
    desiredMinTxUs: bfd.minTxMs * 1000,
    requiredMinRxUs: bfd.minRxMs * 1000,
    detectMult: bfd.multiplier,
    enabled: true,
  };
}

export class BfdCoupling {
  private readonly states = new Map<string, CouplingState>();

  constructor(
    private readonly peerOf: (address: string) => Peer | undefined,
    private readonly log: LogSink,
  ) {}

  /** A BFD session changed state (reported by the worker at `atMs`). */
  transition(address: string, change: StateChange, atMs: number): void {
    const peer = this.peerOf(address);
    this.log.info(
      {
        neighbor: address,
        from: change.from,
        to: change.to,
        diagnostic: describeDiagnostic(change.diagnostic),
        remoteState: change.remoteState,
        ...(change.to !== 'up' ? { controlPlaneIndependent: change.remoteControlPlaneIndependent } : {}),
        // How long the message waited for the main thread.
        delayMs: Date.now() - atMs,
      },
      `BFD ${address} ${change.from} -> ${change.to}`,
    );
    this.apply(address, peer, { type: 'bfd-changed', change, bgpState: peer?.state ?? 'idle' });
  }

  /** Neighbors whose BFD was switched off or removed: a hold they were under ends. */
  removed(address: string): void {
    this.apply(address, this.peerOf(address), { type: 'bfd-removed' });
    this.states.delete(address);
  }

  /** A new peer object for a neighbor (added or restarted by a reload) inherits the hold. */
  peerAdded(peer: Peer): void {
    const state = this.states.get(peer.address);
    if (state?.holding === true) peer.hold('BFD down');
  }

  holding(address: string): boolean {
    return this.states.get(address)?.holding ?? false;
  }

  private apply(address: string, peer: Peer | undefined, event: CouplingEvent): void {
    const result = couple(this.states.get(address) ?? initialCouplingState, event);
    this.states.set(address, result.state);
    for (const action of result.actions) {
      switch (action.type) {
        case 'close-session':
          this.log.warn(
            { neighbor: address, controlPlaneIndependent: action.controlPlaneIndependent },
            `${action.reason}: closing the BGP session with ${address} (Cease/BFD Down) and withdrawing its routes`,
          );
          peer?.stop(CeaseSubcode.bfdDown, action.reason);
          break;
        case 'hold-session':
          this.log.info({ neighbor: address }, `BGP session with ${address} held down until BFD is Up`);
          peer?.hold(action.reason);
          break;
        case 'release-session':
          this.log.info({ neighbor: address }, `BFD Up: BGP session with ${address} may start again`);
          peer?.release();
          break;
        case 'note':
          this.log.info({ neighbor: address }, action.message);
          break;
        default: {
          const unreachable: never = action;
          throw new Error(`unknown coupling action ${String(unreachable)}`);
        }
      }
    }
  }
}
