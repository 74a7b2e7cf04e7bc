// One Established neighbor's Adj-RIB-Out on the event loop: changes are
// coalesced for the advertisement interval (MRAI-like, RFC 4271 §9.2.1.1)
// before UPDATEs are written; a drain stops when the socket is above its
// mark and goes on when the session says it is writable again.

import type { CodecContext } from '../bgp/codec/context.js';
import type { EncodeError } from '../bgp/codec/pack.js';
import type { AddressFamily } from '../bgp/family.js';
import type { NegotiatedSession } from '../bgp/negotiation.js';
import type { Peer } from '../bgp/peer.js';
import type { Session } from '../bgp/session.js';
import type { LogSink } from '../log/logger.js';
import { AdjRibOut, type UpdateSink } from '../rib/adj-rib-out.js';
import type { AttributeEncodingCache } from '../rib/encoding-cache.js';
import type { ExportTarget } from '../rib/export.js';
import type { Policy } from '../rib/policy.js';
import type { Rib } from '../rib/rib.js';
import { localNextHopsFor } from './local-next-hops.js';

export interface PeerOutOptions {
  readonly rib: Rib;
  readonly encodings: AttributeEncodingCache;
  readonly target: ExportTarget;
  readonly sendContext: CodecContext;
  readonly families: readonly AddressFamily[];
  readonly sink: UpdateSink;
  readonly advertisementIntervalMs: number;
  readonly onRefused: (family: AddressFamily, prefix: string, error: EncodeError) => void;
  /** Runs a timer's work; a throw inside resets this neighbor's session, nothing else. */
  readonly guard: (work: () => void) => void;
}

/** What opening a neighbor's Adj-RIB-Out needs from its Established session. */
export interface OpenPeerOut {
  readonly rib: Rib;
  readonly encodings: AttributeEncodingCache;
  readonly peer: Peer;
  readonly sourceId: number;
  readonly session: Session;
  readonly negotiated: NegotiatedSession;
  readonly policies: { readonly nextHopSelf: boolean; readonly exportPolicy: Policy };
  readonly advertisementIntervalMs: number;
  readonly log: LogSink;
  /** Counted once per prefix refused (see PeerOutOptions.onRefused). */
  readonly onRefused: (error: EncodeError) => void;
  readonly guard: PeerOutOptions['guard'];
}

/** The Adj-RIB-Out of a session that just came up; the whole table is queued. */
export function openPeerOut(open: OpenPeerOut): PeerOut {
  const { peer, session, negotiated } = open;
  return new PeerOut({
    rib: open.rib,
    encodings: open.encodings,
    target: {
      sourceId: open.sourceId,
      external: !peer.isInternal,
      routeReflectorClient: peer.config.routeReflectorClient,
      asn4: negotiated.asn4,
      nextHopSelf: open.policies.nextHopSelf,
      localNextHops: localNextHopsFor(session.localAddress),
      policy: open.policies.exportPolicy,
    },
    sendContext: negotiated.sendContext,
    families: negotiated.families,
    sink: {
      get canWrite() {
        return session.canWrite;
      },
      write: (bytes, messageCount) => session.sendEncodedUpdates(bytes, messageCount),
    },
    advertisementIntervalMs: open.advertisementIntervalMs,
    onRefused: (family, prefix, error) => {
      // Once per prefix and session: the Adj-RIB-Out remembers what it refused.
      open.log.warn(
        { neighbor: peer.address, family, prefix, reason: error.kind },
        `not sent to ${peer.address}: ${prefix}: ${error.reason}`,
      );
      open.onRefused(error);
    },
    guard: open.guard,
  });
}

export class PeerOut {
  readonly adjRibOut: AdjRibOut;
  private drainTimer: NodeJS.Timeout | null = null;
  private readonly guard: (work: () => void) => void;

  constructor(options: PeerOutOptions) {
    this.guard = options.guard;
    const rib = options.rib;
    this.adjRibOut = new AdjRibOut({
      rib,
      target: options.target,
      exportContext: {
        localAsn: rib.decisionOptions.localAsn,
        localRouterId: rib.routerId,
        clusterId: rib.clusterId,
      },
      sendContext: options.sendContext,
      families: options.families,
      sink: options.sink,
      onPending: () => this.schedule(options.advertisementIntervalMs),
      onRefused: options.onRefused,
      encodings: options.encodings,
    });
    this.adjRibOut.queueFullTable();
    this.schedule(0);
  }

  /** The socket took what was queued: go on with the drain. */
  writable(): void {
    if (this.adjRibOut.hasWork) this.schedule(0);
  }

  /** Sends a family again after the neighbor's ROUTE-REFRESH (RFC 2918; framed by RFC 7313 when enhanced). */
  refresh(family: AddressFamily, enhanced: boolean): void {
    this.adjRibOut.queueFamily(family, enhanced);
    this.schedule(0);
  }

  close(): void {
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    this.adjRibOut.close();
  }

  private schedule(delayMs: number): void {
    if (this.drainTimer !== null) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      // Unfinished because the socket is full: writable() resumes it.
      this.guard(() => this.adjRibOut.drain());
    }, delayMs);
  }
}
