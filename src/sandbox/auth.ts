import type { FastifyInstance } from 'fastify';
import { bearerToken, tokensMatch } from '../security/tokens';
import { HttpError, sendError } from './httpErrors';

const unauthorized = new HttpError(
  401,
  'UNAUTHORIZED',
  'Missing or invalid bearer token: set Authorization: Bearer <token> (the sandbox token from the configuration)',
);

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
