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

/**
 * Where a request goes, by the end of its path only, as the protocol asks ("only check the final
 * part of the incoming URL"), so the server can sit under any prefix of a proxy: `.../encode` or
 * `.../decode`, with the token as `.../t/<token>/decode` (the Web UI's endpoint setting carries it so).
 */
function endpointOf(url: string): { direction: 'encode' | 'decode'; pathToken?: string } | undefined {
  const segments = url.split('?')[0]!.split('/');
  const direction = segments.at(-1);
  if (direction !== 'encode' && direction !== 'decode') return undefined;
  return segments.at(-3) === 't' && segments.at(-2) ? { direction, pathToken: decodeURIComponent(segments.at(-2)!) } : { direction };
}

/** Request lines without the URL: the Web UI's endpoint carries the token in its path. */
class TokenFreeRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, endpoint: endpointOf(request.url)?.direction ?? 'unknown', status: reply.statusCode };
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

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const endpoint = endpointOf(request.url);
    if (!endpoint) {
      return reply.code(404).send({ error: 'NOT_FOUND', message: 'The codec server answers POST .../encode and POST .../decode.' });
    }
    const presented = endpoint.pathToken ?? bearerToken(request.headers.authorization);
    if (presented === null || !tokensMatch(presented, options.token)) {
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
      return toJson(await options.codec[endpoint.direction](fromJson(body.data)));
    } catch (error) {
      return reply.code(422).send({ error: 'CODEC_FAILED', message: (error as Error).message });
    }
  };
  app.post('/*', handle);
  app.get('/health', () => ({ status: 'ok' }));

  return listenable(app);
}
