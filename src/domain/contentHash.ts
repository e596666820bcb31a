import { createHash } from 'node:crypto';
import type { CrmProperties } from './fieldMapping';

/**
 * Hash of what the bridge owns in a CRM record: the mapped properties (keys sorted, so order never
 * matters) and the archived flag. Fields the mapping does not name are the CRM's own and ignored.
 */
export function contentHash(properties: CrmProperties, archived: boolean, ownedFields: readonly string[]): string {
  const canonical = [...ownedFields].sort().map((field) => [field, normalise(properties[field])]);
  return createHash('sha256')
    .update(JSON.stringify({ p: canonical, a: archived }))
    .digest('hex')
    .slice(0, 32);
}

/** Absent and null are the same to a CRM; -0 and 0 too. */
function normalise(value: CrmProperties[string] | undefined): CrmProperties[string] {
  if (value === undefined) return null;
  if (typeof value === 'number' && Object.is(value, -0)) return 0;
  return value;
}
