import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { HttpError, sendError } from './httpErrors';

const unauthorized = new HttpError(
  401,
  'UNAUTHORIZED',
  'Missing or invalid bearer token: set Authorization: Bearer <token> (the sandbox token from the configuration)',
);

/**
 * Compares in constant time so response timing does not reveal how much of a guessed token was
 * right. Hashing first gives both sides the same length, which timingSafeEqual requires, without
 * leaking the real token's length through an early return.
 */
export function tokensMatch(presented: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

/**
 * Requires `Authorization: Bearer <token>` on every route registered in `scope` (and its children).
 * It runs on the first hook, before the body is even read, so a rejected request writes nothing.
 */
export function requireBearerToken(scope: FastifyInstance, token: string): void {
  scope.addHook('onRequest', async (request, reply) => {
    const presented = bearerToken(request.headers.authorization);
    if (presented !== null && tokensMatch(presented, token)) return;
    request.log.warn({ url: request.url }, 'rejected request without a valid bearer token');
    reply.header('WWW-Authenticate', 'Bearer realm="sandbox"');
    return sendError(reply, unauthorized);
  });
}
