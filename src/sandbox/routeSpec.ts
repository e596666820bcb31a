import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { HttpError, validationError, type RequestPart } from './httpErrors';

interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

/**
 * One route described as data: the server registers it and validates requests with these zod
 * schemas, and the OpenAPI document is generated from the very same objects, so the published
 * contract cannot drift from what the code accepts.
 */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify path syntax, e.g. `/api/products/:id`. */
  url: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** Whether the route needs the bearer token (documented in OpenAPI; enforced by the scope). */
  secured: boolean;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  responses: Record<number, ResponseSpec>;
  /** Read by fault injection: the route stores something (errorAfterWriteRate applies). */
  writes?: boolean;
  /** Read by fault injection: the body field holding the batch (maxBatchSize applies). */
  batchField?: string;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

interface RouteInput<S extends RouteSpec> {
  params: Parsed<S['params']>;
  query: Parsed<S['query']>;
  body: Parsed<S['body']>;
}

export type RouteHandler<S extends RouteSpec> = (input: RouteInput<S>, request: FastifyRequest, reply: FastifyReply) => unknown;

/** Lets a route phrase body errors its own way (e.g. "Batch refused: input 3 ..."). */
export type BodyErrorFormatter = (error: z.ZodError, body: unknown) => HttpError;

declare module 'fastify' {
  interface FastifyContextConfig {
    writes?: boolean;
    batchField?: string;
  }
}

function parsePart(part: RequestPart, schema: z.ZodType | undefined, value: unknown, formatBodyError?: BodyErrorFormatter): unknown {
  if (schema === undefined) return undefined;
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  if (part === 'body' && formatBodyError) throw formatBodyError(result.error, value);
  throw validationError(part, result.error);
}

/** Registers `spec` on `app`; the handler receives the parsed, typed params, query and body. */
export function addRoute<S extends RouteSpec>(
  app: FastifyInstance,
  spec: S,
  handler: RouteHandler<S>,
  formatBodyError?: BodyErrorFormatter,
): void {
  app.route({
    method: spec.method,
    url: spec.url,
    config: { writes: spec.writes ?? false, batchField: spec.batchField },
    handler: async (request, reply) => {
      const input = {
        params: parsePart('params', spec.params, request.params),
        query: parsePart('query', spec.query, request.query),
        body: parsePart('body', spec.body, request.body, formatBodyError),
      } as RouteInput<S>;
      return handler(input, request, reply);
    },
  });
}
