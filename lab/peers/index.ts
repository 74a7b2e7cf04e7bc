// startPeer(config): starts gobgpd, FRR, BIRD or ExaBGP in config.namespace
// and returns the running peer (typed by config.kind).
import { BirdPeer } from './bird.js';
import { ExabgpPeer } from './exabgp.js';
import { FrrPeer } from './frr.js';
import { GobgpPeer } from './gobgp.js';
import type { PeerConfig, PeerKind } from './types.js';

export { BirdPeer } from './bird.js';
export {
  communityValue,
  normalizeCommunity,
  normalizeLargeCommunity,
  parseJsonStream,
} from './common.js';
export { ExabgpPeer } from './exabgp.js';
export { FrrPeer } from './frr.js';
export { GobgpPeer } from './gobgp.js';
export * from './types.js';

export interface PeerByKind {
  readonly gobgp: GobgpPeer;
  readonly frr: FrrPeer;
  readonly bird: BirdPeer;
  readonly exabgp: ExabgpPeer;
}

export type AnyPeer = PeerByKind[PeerKind];

function create(config: PeerConfig): AnyPeer {
  switch (config.kind) {
    case 'gobgp':
      return new GobgpPeer(config);
    case 'frr':
      return new FrrPeer(config);
    case 'bird':
      return new BirdPeer(config);
    case 'exabgp':
      return new ExabgpPeer(config);
  }
}

/**
 * Writes the daemon's config into config.stateDir and starts it in
 * config.namespace. Resolves once its control interface answers (sessions
 * come up later: use waitEstablished). If start-up fails, whatever was
 * started is stopped again before the error is thrown.
 */
export async function startPeer<K extends PeerKind>(
  config: PeerConfig & { readonly kind: K },
): Promise<PeerByKind[K]> {
  const peer = create(config);
  try {
    await peer.start();
    await peer.version(); // cached: answers after stop() too
  } catch (e) {
    await peer.stop().catch(() => undefined);
    throw e;
  }
  return peer as PeerByKind[K];
}
