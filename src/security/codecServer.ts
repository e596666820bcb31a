import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import type { Logger } from '../logging/logger';
import { bearerToken, tokensMatch } from './tokens';
import { listenable, type ListenableServer } from '../http/listenable';

/**
 * The codec server the Temporal Web UI and CLI call to show decrypted payloads to people allowed
 * to see them. It answers only with the right token (an `Authorization: Bearer` header, or the
 * token in the path, which is how the Web UI's data encoder setting carries it) and only to the
 * configured UI origins; without both it decodes nothing.
 */

const maxPayloads = 1000;
const base64 = z
  .string()
  .max(8 * 1024 * 1024)
  .regex(/^[A-Za-z0-9+/=_-]*$/, 'expected base64');
/**
 * `Payloads` in proto3 JSON, as the Temporal CLI and Web UI post it. Proto3 JSON leaves out empty
 * repeated and map fields and empty bytes, so an empty list arrives as `{}` and a payload without
 * metadata or data as `{}`: both mean "empty", not "missing".
 * (https://protobuf.dev/programming-guides/json/, and the codec server protocol:
 * https://github.com/temporalio/samples-go/blob/main/codec-server/protocol.md)
 */
const payloadsSchema = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string().max(256), base64).default({}), data: base64.default('') }))
    .max(maxPayloads)
    .default([]),
});
type JsonPayloads = z.infer<typeof payloadsSchema>;

export interface CodecServerOptions {
  codec: PayloadCodec;
  token: string;
  /** Browser origins allowed to call, e.g. the Web UI at http://localhost:8233. */
  allowedOrigins: string[];
  logger: Logger;
}

export type CodecServer = ListenableServer;

function fromJson({ payloads }: JsonPayloads): Payload[] {
  return payloads.map(({ metadata, data }) => ({
    metadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(data, 'base64'),
  }));
}

function toJson(payloads: Payload[]): JsonPayloads {
  return {
    payloads: payloads.map((payload) => ({
      metadata: Object.fromEntries(
        Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
      ),
      data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
    })),
  };
}

/** Request lines without the URL: the Web UI's endpoint carries the token in its path. */
class TokenFreeRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, route: request.routeOptions.url?.replace(':token', '<token>'), status: reply.statusCode };
    if (error) request.log.error({ ...line, err: error }, 'codec request failed');
    else request.log.debug(line, 'codec request');
  }
}

export function createCodecServer(options: CodecServerOptions): CodecServer {
  // Typed as fastify's base logger so the instance has the plain FastifyInstance type.
  const logger: FastifyBaseLogger = options.logger.child({ component: 'codec-server' });
  const app = Fastify({ loggerInstance: logger, bodyLimit: 16 * 1024 * 1024, logController: new TokenFreeRequestLog() });
  const allowed = new Set(options.allowedOrigins);

  // CORS by hand: exactly the configured origins, and a refusal (not a silent omission) for others.
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (!allowed.has(origin)) {
      request.log.warn({ origin }, 'codec request from an origin that is not allowed');
      return reply.code(403).send({
        error: 'ORIGIN_NOT_ALLOWED',
        message: `Origin ${origin} may not use this codec server; add it to security.codecServer.origins in the bridge configuration.`,
      });
    }
    reply.header('Access-Control-Allow-Origin', origin);
    reply.header('Vary', 'Origin');
    reply.header('Access-Control-Allow-Credentials', 'true');
    reply.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
    reply.header('Access-Control-Allow-Headers', 'content-type, x-namespace, authorization');
    if (request.method === 'OPTIONS') return reply.code(204).send();
  });

  const authorized = (request: FastifyRequest<{ Params: { token?: string } }>): boolean => {
    const presented = request.params.token ?? bearerToken(request.headers.authorization);
    return presented !== null && tokensMatch(presented, options.token);
  };

  const handle =
    (direction: 'encode' | 'decode') => async (request: FastifyRequest<{ Params: { token?: string } }>, reply: FastifyReply) => {
      if (!authorized(request)) {
        return reply.code(401).send({
          error: 'UNAUTHORIZED',
          message: 'The codec server needs its token: Authorization: Bearer <token>, or the endpoint URL that npm start printed.',
        });
      }
      const body = payloadsSchema.safeParse(request.body);
      if (!body.success) {
        return reply.code(400).send({
          error: 'BAD_REQUEST',
          message: `Expected {"payloads": [{"metadata": {...}, "data": "<base64>"}]}: ${body.error.issues[0]?.message}`,
        });
      }
      try {
        return toJson(await options.codec[direction](fromJson(body.data)));
      } catch (error) {
        return reply.code(422).send({ error: 'CODEC_FAILED', message: (error as Error).message });
      }
    };

  for (const direction of ['encode', 'decode'] as const) {
    app.post(`/${direction}`, handle(direction));
    app.post(`/t/:token/${direction}`, handle(direction));
  }
  app.get('/health', () => ({ status: 'ok' }));

  return listenable(app);
}
