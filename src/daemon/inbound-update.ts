// One neighbor's UPDATE (not End-of-RIB) carried out: checked in its
// session's context (src/bgp/validate.ts, RFC 7606), each error logged, the
// result applied to the RIB (src/rib/inbound.ts), and the accepted counts
// put through the max-prefix check (src/bgp/max-prefix.ts via PrefixLimit).

import { type BgpError, describeErrorCode } from '../bgp/codec/errors.js';
import type { UpdateMessage } from '../bgp/codec/update.js';
import type { MaxPrefixLimit } from '../bgp/max-prefix.js';
import type { NegotiatedSession } from '../bgp/negotiation.js';
import type { Peer } from '../bgp/peer.js';
import { validateUpdate } from '../bgp/validate.js';
import type { LogSink } from '../log/logger.js';
import { applyUpdate } from '../rib/inbound.js';
import type { Rib } from '../rib/rib.js';
import { ownAddress } from './local-next-hops.js';
import type { PrefixLimit } from './prefix-limit.js';

/** What of the neighbor's routing state an UPDATE needs. */
export interface UpdateTarget {
  readonly source: { readonly id: number };
  readonly policies: { readonly enforceFirstAs: boolean; readonly maxPrefix: MaxPrefixLimit | null };
  readonly prefixLimit: PrefixLimit;
}

export function receiveUpdate(
  rib: Rib,
  log: LogSink,
  peer: Peer,
  target: UpdateTarget,
  negotiated: NegotiatedSession,
  update: UpdateMessage,
  decodeErrors: readonly BgpError[],
): void {
  const validated = validateUpdate(update, decodeErrors, {
    internal: peer.isInternal,
    peerAsn: peer.config.asn,
    enforceFirstAs: target.policies.enforceFirstAs,
    asn4: negotiated.asn4,
    localAddress: ownAddress(peer.established?.localAddress ?? null),
  });
  for (const { code, subcode, action, reason } of validated.errors)
    log.warn(
      { neighbor: peer.address, code, subcode, action, error: describeErrorCode(code, subcode) },
      `malformed UPDATE: ${reason}`,
    );
  const counts = applyUpdate(
    rib,
    target.source.id,
    negotiated.families,
    update,
    validated.attributes,
    validated.treatAsWithdraw,
  );
  const limit = target.policies.maxPrefix;
  if (limit === null) return;
  for (const { family, accepted } of counts) if (!target.prefixLimit.check(limit, family, accepted)) return;
}
