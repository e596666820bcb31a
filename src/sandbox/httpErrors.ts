import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';

/** Every error either sandbox answers with has this shape, whatever produced it. */
export const errorBodySchema = z
  .object({
    error: z.string().describe('Machine-readable code, e.g. VALIDATION_ERROR'),
    message: z.string().describe('What was wrong and what to do about it'),
    details: z.unknown().optional(),
  })
  .describe('Error body shared by every sandbox route');

type ErrorBody = z.infer<typeof errorBodySchema>;

/** Throw from a handler to answer with a specific status and error body. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function notFound(message: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', message);
}

export function badRequest(message: string, details?: unknown): HttpError {
  return new HttpError(400, 'VALIDATION_ERROR', message, details);
}

export function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  const body: ErrorBody = { error: error.code, message: error.message };
  if (error.details !== undefined) body.details = error.details;
  return reply.code(error.statusCode).send(body);
}

/** The part of a request a schema validates; it decides how a field is named in messages. */
export type RequestPart = 'params' | 'query' | 'body';

const fieldNoun: Record<RequestPart, string> = {
  params: 'path parameter',
  query: 'query parameter',
  body: 'body field',
};
const wholeNoun: Record<RequestPart, string> = { params: 'path', query: 'query string', body: 'body' };

/** `['inputs', 3, 'name']` → `inputs[3].name` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

/** A short rendering of the offending value, so a message shows what was actually sent. */
function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  const text = JSON.stringify(input) ?? typeof input;
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** One issue as a sentence: what was wrong, where, and (when known) what was received. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const received = 'input' in issue && issue.code !== 'unrecognized_keys' ? ` (got ${describeInput(issue.input)})` : '';
  return `${issue.message}${received}`;
}

/**
 * Turns a zod failure into a 400 whose message names each offending field and what it expects.
 * Parse with `{ reportInput: true }` so the message can also show the value received.
 */
export function validationError(part: RequestPart, error: z.ZodError): HttpError {
  const problems = error.issues.map((issue) => ({ field: formatPath(issue.path), message: describeIssue(issue) }));
  const message = problems
    .map(({ field, message: text }) =>
      field === '' ? `Invalid ${wholeNoun[part]}: ${text}` : `Invalid ${fieldNoun[part]} '${field}': ${text}`,
    )
    .join('; ');
  return badRequest(message, problems);
}

/** Fastify's own errors (body parsing, limits) mapped to the sandbox error shape with advice. */
function fromFastifyError(error: FastifyError, bodyLimitBytes: number): HttpError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(
        413,
        'PAYLOAD_TOO_LARGE',
        `Request body exceeds the limit of ${formatBytes(bodyLimitBytes)}: send fewer or smaller records per request`,
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HttpError(400, 'MALFORMED_JSON', 'Request body is not valid JSON: check quoting, commas and brackets');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(
        400,
        'MALFORMED_JSON',
        'Request body is empty but Content-Type is application/json: send a JSON body or drop the header',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type: send JSON with Content-Type: application/json');
    default:
      return new HttpError(error.statusCode ?? 500, 'BAD_REQUEST', error.message);
  }
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MB` : `${bytes} bytes`;
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as Partial<FastifyError>).code === 'string';
}

/**
 * Installs the error and not-found handlers so that every failure, from a thrown HttpError to a
 * malformed JSON body, reaches the client as `{ error, message, details? }`.
 */
export function installErrorHandling(app: FastifyInstance, bodyLimitBytes: number): void {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof HttpError) return sendError(reply, error);
    if (isFastifyError(error) && (error.statusCode ?? 500) < 500) {
      return sendError(reply, fromFastifyError(error, bodyLimitBytes));
    }
    request.log.error({ err: error }, 'unhandled error in sandbox route');
    return sendError(reply, new HttpError(500, 'INTERNAL_ERROR', 'Unexpected sandbox error; see the sandbox log'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, notFound(`No route ${request.method} ${request.url.split('?')[0]}: see /openapi.json for the available routes`)),
  );
}
