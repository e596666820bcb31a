import type { Candidate, CurrentRecord } from './productPagePlan';

/**
 * How a rewrite clears the CRM properties that left the mapping: each mapped record carries null
 * for them (every connector writes null as its system's empty value: the sandbox CRM stores null,
 * HubSpot takes an empty string, Salesforce a null field), and the diff compares them as owned fields.
 */
export function withClearedFields(candidates: Candidate[], clearFields: readonly string[]): Candidate[] {
  if (clearFields.length === 0) return candidates;
  const cleared = Object.fromEntries(clearFields.map((field) => [field, null]));
  return candidates.map((candidate) =>
    candidate.kind === 'product' ? { ...candidate, properties: { ...candidate.properties, ...cleared } } : candidate,
  );
}

/** Stands in for a value the CRM did not return, so the diff cannot take it for an empty one. */
const notReadBack = '(not read back)';

/**
 * A connector that reads only the mapped properties (HubSpot, Salesforce) returns none of the ones
 * that left the mapping, so the diff cannot see whether they still hold a value: such a record is
 * written once with them cleared. A connector that returns every property (the sandbox CRM) shows
 * null where nothing is left, and only records with a value are written.
 */
export function unreadAsStale(
  current: Map<string, CurrentRecord>,
  candidates: Candidate[],
  clearFields: readonly string[],
): Map<string, CurrentRecord> {
  if (clearFields.length === 0) return current;
  // Only mapped records are rewritten; an archive of a deleted record writes no properties.
  const mapped = new Set(candidates.filter((c) => c.kind === 'product').map((c) => c.externalId));
  const marked = new Map<string, CurrentRecord>();
  for (const [id, record] of current) {
    const unread = mapped.has(id) ? clearFields.filter((field) => !Object.hasOwn(record.properties, field)) : [];
    marked.set(
      id,
      unread.length === 0
        ? record
        : { ...record, properties: { ...record.properties, ...Object.fromEntries(unread.map((f) => [f, notReadBack])) } },
    );
  }
  return marked;
}
