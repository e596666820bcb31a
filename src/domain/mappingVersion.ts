import { createHash } from 'node:crypto';
import type { FieldMapping } from './fieldMapping';

/**
 * The version of a field mapping: a hash of what it does, so every worker that maps the same way
 * names it the same. It hashes the parsed mapping (defaults filled in, so `name: name` and
 * `name: {from: name, transform: {type: copy}}` are one version) with every object's keys sorted,
 * so the order of fields in the configuration file or of an enum's entries never matters.
 */
export function mappingVersion(mapping: FieldMapping): string {
  return createHash('sha256').update(canonicalJson(mapping)).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted at every level and undefined members left out. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
