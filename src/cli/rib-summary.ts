// agentctl rib show --summary: how much the RIB holds, per family and per
// neighbor (received from it, accepted by its import policy).

import type { RibSummaryReply } from '../api/types.js';
import { addressFamilies } from '../bgp/family.js';
import { table } from './format.js';

export function formatRibSummary(summary: RibSummaryReply): string {
  const families = table(
    ['Family', 'Prefixes', 'Paths'],
    addressFamilies.map((family) => [
      family,
      String(summary[family].prefixes),
      String(summary[family].routes),
    ]),
  );
  const neighbors = table(
    ['Neighbor', 'Family', 'Received', 'Accepted'],
    summary.neighbors.flatMap((n) =>
      addressFamilies.map((family) => [
        n.address,
        family,
        String(n.received[family]),
        String(n.accepted[family]),
      ]),
    ),
  );
  return [families, '', neighbors, '', `Attribute sets: ${summary.attributeSets}`].join('\n');
}
