// One validated UPDATE into the RIB for one neighbor: withdrawals first
// (RFC 4271 §9: the UPDATE's withdrawn routes and MP_UNREACH_NLRI), then
// the announcements with their next hops, or everything withdrawn when
// RFC 7606 says treat-as-withdraw. Families the session did not negotiate
// are ignored (RFC 4760 §7). No I/O: the RIB in, the RIB out.

import type { PathAttributes } from '../bgp/codec/attribute-types.js';
import { routeChanges, type UpdateMessage } from '../bgp/codec/update.js';
import { type AddressFamily, familyOfAfi } from '../bgp/family.js';
import type { Rib } from './rib.js';

/** How many prefixes the neighbor has accepted in a family it just announced in. */
export interface AcceptedCount {
  readonly family: AddressFamily;
  readonly accepted: number;
}

export function applyUpdate(
  rib: Rib,
  sourceId: number,
  families: readonly AddressFamily[],
  update: UpdateMessage,
  /** The attributes after session validation (AS4 merged or dropped, RFC 6793). */
  attributes: PathAttributes,
  treatAsWithdraw: boolean,
): AcceptedCount[] {
  const changes = routeChanges(update, treatAsWithdraw);
  for (const withdrawn of changes.withdrawn) {
    const family = familyOfAfi(withdrawn.afi);
    if (families.includes(family)) rib.withdraw(sourceId, family, withdrawn);
  }
  const counts: AcceptedCount[] = [];
  for (const announced of changes.announced) {
    const family = familyOfAfi(announced.afi);
    if (!families.includes(family)) continue;
    const fromMp = announced !== update.nlri;
    const mpNextHops = update.attributes.mpReach?.nextHops;
    const accepted = rib.announce(
      sourceId,
      family,
      announced,
      attributes,
      fromMp ? (mpNextHops?.[0] ?? null) : (update.attributes.nextHop ?? null),
      // RFC 2545 §3: a link-local next hop may follow the global one.
      fromMp ? (mpNextHops?.[1] ?? null) : null,
      // The wire key is the context-tagged bytes these attributes came
      // from; the AS4 handling depends only on that context (RFC 6793).
      update.attributesKey,
    );
    counts.push({ family, accepted });
  }
  return counts;
}
