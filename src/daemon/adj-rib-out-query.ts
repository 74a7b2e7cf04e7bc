// A neighbor's Adj-RIB-Out as `rib show --neighbor X --out` prints it: what
// was advertised to it, and what it should get but cannot (a set too large
// for its maximum message), each with the reason.

import type { DestinationJson } from '../api/types.js';
import type { AddressFamily } from '../bgp/family.js';
import type { AdjRibOut } from '../rib/adj-rib-out.js';
import type { Rib } from '../rib/rib.js';
import { attrJson, lookup } from './rib-query.js';

export function queryAdjRibOut(
  rib: Rib,
  out: AdjRibOut,
  neighbor: string,
  family: AddressFamily,
  prefix?: string,
): DestinationJson[] {
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
  for (const [p, setId] of out.advertised(family)) {
    if (wanted >= 0 && p !== wanted) continue;
    destinations.push({
      prefix: table.toString(p),
      paths: [{ best: true, installed: true, accepted: true, ...path(setId) }],
    });
  }
  for (const [p, refusal] of out.refusals(family)) {
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
