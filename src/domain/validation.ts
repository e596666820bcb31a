import type { z } from 'zod';
import { pmsProductSchema, type PmsProduct } from './pmsProduct';

export type ValidationResult = { ok: true; product: PmsProduct } | { ok: false; reason: string };

/** Keeps reasons short and readable in the Temporal UI: field path and what was expected, no values. */
export function describeIssues(error: z.ZodError, maxIssues = 3): string {
  const parts = error.issues.slice(0, maxIssues).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : 'record';
    return `${where}: ${issue.message}`;
  });
  const more = error.issues.length > maxIssues ? ` (and ${error.issues.length - maxIssues} more)` : '';
  return parts.join('; ') + more;
}

export function validatePmsProduct(raw: unknown): ValidationResult {
  const parsed = pmsProductSchema.safeParse(raw);
  return parsed.success ? { ok: true, product: parsed.data } : { ok: false, reason: describeIssues(parsed.error) };
}
