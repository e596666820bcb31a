import type { z } from 'zod';
import { HttpError, validationError } from './httpErrors';

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

/**
 * The refused value is echoed, as real CRMs do: HubSpot's "Property values were not valid: ... was
 * not a valid number" and Salesforce's STRING_TOO_LONG "data value too large: <value>" both quote
 * it (https://developers.hubspot.com/docs/api-reference/error-handling,
 * https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm).
 * A client must not copy such a message into logs or alerts as it is; the sandbox makes that visible.
 */
const echoesInput = new Set(['invalid_type', 'invalid_value', 'invalid_format', 'too_big', 'too_small']);

/** Up to 200 characters of the value, as a vendor's message shows it. */
function echo(input: unknown): string {
  const text = JSON.stringify(input) ?? typeof input;
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

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
    const got = echoesInput.has(issue.code) && 'input' in issue && issue.input !== undefined ? ` (got ${echo(issue.input)})` : '';
    byIndex.set(index, [...(byIndex.get(index) ?? []), `${issue.message}${got}`]);
  }
  const problems = [...byIndex.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, messages]) => ({ index, externalId: externalIdAt(body, index), message: messages.join('; ') }));
  return batchRefused(problems);
}
