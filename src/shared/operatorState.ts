import { z } from 'zod';
import { guardCountSchema } from './changeGuard';

/**
 * What an operator set or the run decided about itself, carried across continue-as-new so the next
 * run of the chain goes on in the same state: paused stays paused, a run that needs attention keeps
 * waiting with its reason, and the error-rate window and last failure reason are not forgotten.
 */
export const operatorStateSchema = z.object({
  state: z.enum(['Running', 'Paused', 'NeedsAttention']),
  attentionReason: z.string().optional(),
  lastFailureReason: z.string().optional(),
  /** The error-rate window's pages, oldest first. */
  errorWindow: z.array(z.object({ attempted: z.number().int().min(0), failed: z.number().int().min(0) })).default([]),
  /** The updates and archives the change guard has counted (since the last go-ahead). */
  guardCount: guardCountSchema,
});
export type OperatorState = z.infer<typeof operatorStateSchema>;
