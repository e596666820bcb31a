import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { failureTypes } from '../src/shared/failureTypes';

/**
 * Validates a workflow's single argument. A bad input fails the run at once with a message that
 * names the field, instead of failing somewhere in the middle.
 */
export function parseWorkflowInput<S extends z.ZodType>(schema: S, input: unknown, workflowType: string): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`)
    .join('; ');
  throw ApplicationFailure.nonRetryable(`Invalid ${workflowType} input: ${problems}`, failureTypes.invalidWorkflowInput);
}
