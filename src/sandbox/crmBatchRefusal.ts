import type { z } from 'zod';
import { HttpError, describeInput, validationError } from './httpErrors';

/** Why one input of a batch was refused; `index` is its 0-based position in `inputs`. */
export interface BatchProblem {
  index: number;
  externalId: string | null;
  message: string;
}

/**
 * The 400 for an all-or-nothing batch: the message leads with the first offender (what a person
 * reading a log needs), `details` lists every offender (what a client isolating bad records needs).
 */
export function batchRefused(problems: readonly BatchProblem[]): HttpError {
  const [first] = problems;
  if (first === undefined) throw new Error('batchRefused needs at least one problem');
  const others = problems.length - 1;
  const more = others === 0 ? '' : ` (and ${others} more invalid input${others === 1 ? '' : 's'}, see details)`;
  return new HttpError(
    400,
    'VALIDATION_ERROR',
    `Batch refused: input ${first.index} (externalId ${first.externalId ?? '?'}): ${first.message}${more}. ` +
      'Nothing was written: fix or remove the invalid inputs and resend the batch.',
    problems,
  );
}

/** Values worth echoing: for a wrong type the value explains the error; a too-long text does not. */
const echoesInput = new Set(['invalid_type', 'invalid_value', 'invalid_format']);

function externalIdAt(body: unknown, index: number): string | null {
  const inputs = (body as { inputs?: unknown } | null)?.inputs;
  const input: unknown = Array.isArray(inputs) ? inputs[index] : undefined;
  const externalId = (input as { externalId?: unknown } | null | undefined)?.externalId;
  return typeof externalId === 'string' ? externalId : null;
}

/**
 * Groups the zod issues of an upsert body by input. Issues outside `inputs[i]` (e.g. `inputs`
 * missing altogether) are not about one record, so they get the generic field message instead.
 */
export function batchRefusedFromZod(error: z.ZodError, body: unknown): HttpError {
  const byIndex = new Map<number, string[]>();
  for (const issue of error.issues) {
    const [field, index] = issue.path;
    if (field !== 'inputs' || typeof index !== 'number') return validationError('body', error);
    const echo = echoesInput.has(issue.code) && 'input' in issue ? ` (got ${describeInput(issue.input)})` : '';
    byIndex.set(index, [...(byIndex.get(index) ?? []), `${issue.message}${echo}`]);
  }
  const problems = [...byIndex.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, messages]) => ({ index, externalId: externalIdAt(body, index), message: messages.join('; ') }));
  return batchRefused(problems);
}
