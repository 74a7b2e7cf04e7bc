// A neighbor's Adj-RIB-Out as `rib show --neighbor X --out` prints it: what
// its update group advertises, and what it should get but cannot (a set too
// large for its maximum message), each with the reason.

import type { DestinationJson } from '../api/types.js';
import type { AddressFamily } from '../bgp/family.js';
import { advertisedOf, NOT_ADVERTISED, type UpdateGroup } from '../rib/update-group.js';
import { attrJson, lookup } from './rib-query.js';

export function queryAdjRibOut(
  group: UpdateGroup,
  neighbor: string,
  family: AddressFamily,
  prefix?: string,
): DestinationJson[] {
  const rib = group.rib;
  const f = group.familyOf(family);
  if (f === undefined) return [];
  const table = rib.family(family).prefixes;
  const wanted = prefix === undefined ? -1 : lookup(rib, family, prefix);
  if (prefix !== undefined && wanted < 0) return [];
  const destinations: DestinationJson[] = [];
  const path = (setId: number) => ({
    neighbor,
    ...attrJson(rib.attrs.get(setId)),
    ageSeconds: 0,
    stale: false,
    eligible: true,
  });
  const from = wanted >= 0 ? wanted : 0;
  const to = wanted >= 0 ? wanted + 1 : group.prefixEnd(f);
  for (let p = from; p < to; p++) {
    const setId = advertisedOf(f, p);
    if (setId === NOT_ADVERTISED) continue;
    destinations.push({
      prefix: table.toString(p),
      paths: [{ best: true, installed: true, accepted: true, ...path(setId) }],
    });
  }
  for (const [p, refusal] of f.refused) {
    if (wanted >= 0 && p !== wanted) continue;
    destinations.push({
      prefix: table.toString(p),
      paths: [
        {
          best: false,
          installed: false,
          accepted: false,
          ...path(refusal.setId),
          reason: `not sent: ${refusal.error.reason}`,
        },
      ],
    });
  }
  return destinations;
}
