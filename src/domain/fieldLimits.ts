import type { CrmProperties } from './fieldMapping';

/** Longest text each target property takes, in characters, as the target documents or describes it. */
export type FieldLimits = Readonly<Record<string, number>>;

/**
 * Why the target would refuse these properties for a text longer than it takes, or undefined when
 * every text fits. Names the property and the lengths, never the value (it may be customer data).
 */
export function fieldLimitProblem(properties: CrmProperties, limits: FieldLimits | undefined): string | undefined {
  if (!limits) return undefined;
  const problems: string[] = [];
  for (const [property, value] of Object.entries(properties)) {
    const limit = limits[property];
    if (limit !== undefined && typeof value === 'string' && value.length > limit) {
      problems.push(`${property} has ${value.length} characters, the target takes at most ${limit}`);
    }
  }
  return problems.length ? problems.join('; ') : undefined;
}
