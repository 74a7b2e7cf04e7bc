// --family as agentctl takes it: ipv4 or ipv6 (or the full family name).

import { type FamilyDescriptor, familyByName, familyDescriptors, familyTable } from '../bgp/family.js';
import { UsageError } from './io.js';

export function familyOption(value: string | undefined): FamilyDescriptor['shortName'] | undefined {
  if (value === undefined) return undefined;
  const family = familyByName(value);
  if (family === null) {
    const names = familyDescriptors.map((d) => d.shortName).join(' or ');
    throw new UsageError(`--family "${value}" is not ${names}`);
  }
  return familyTable[family].shortName;
}
