import { context, propagation, SpanKind, trace, type Span } from '@opentelemetry/api';
import type { Client } from '@temporalio/client';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { productChangedSignal } from '../shared/messages';
import type { ProductChangeStreamInput } from '../shared/productChangeStreamContract';
import { describeIssues } from '../domain/validation';
import type { Logger } from '../logging/logger';
import { productChangeEventSchema } from './productChangeEvent';
import { RecentDeliveries } from './recentDeliveries';
import { defaultToleranceMs, signatureHeader, timestampHeader, verifyDelivery } from './webhookSignature';
import { listenable, type ListenableServer } from '../http/listenable';
import { integrationPriority } from '../temporal/integrationPriority';
import { productChangeStream } from '../../workflows/productChangeStream';

/** A product change event is a few hundred bytes; anything much larger is not one. */
const maxBodyBytes = 64 * 1024;

const tracer = trace.getTracer('crm-pms-bridge/webhooks');
const deliverySpans = new WeakMap<object, Span>();

export type StreamSettings = Pick<ProductChangeStreamInput, 'windowMs' | 'maxBatch' | 'mode' | 'guard' | 'guardWindowMs'>;

export interface ProductWebhookReceiverOptions {
  /** The secret shared with the PMS that signs deliveries (HMAC-SHA256). */
  secret: string;
  client: Client;
  taskQueue: string;
  /** Integrations that accept webhooks, with the settings of their change stream. */
  streams: ReadonlyMap<string, StreamSettings>;
  toleranceMs?: number;
  logger: Logger;
  /** The receiver's clock, for the signature's age and the delivery-id window; tests set it. */
  nowMs?: () => number;
}

export type ProductWebhookReceiver = ListenableServer;

/** The id of an integration's change stream: one long-lived run per integration. */
export const changeStreamWorkflowId = (integrationId: string): string => `product-changes-${integrationId}`;

/** Where the PMS delivers an integration's product changes. */
export const webhookPath = (integrationId: string): string => `/webhooks/products/${integrationId}`;

const paramsSchema = z.object({ integrationId: z.string() });

/** One debug line per delivery: a busy PMS sends thousands, and at info they would drown the log. */
class DebugRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (error) request.log.error({ ...line, err: error }, 'webhook request failed');
    else request.log.debug(line, 'webhook request');
  }
}

function refuse(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).send({ error, message });
}

/**
 * Receives the PMS's product-change webhooks. The signature (HMAC over the raw body, and its age)
 * is checked before anything else, so an unsigned request learns nothing, not even which
 * integrations exist (401). A signed one is then checked for its integration (404) and its event
 * (400), and handed to the integration's productChangeStream with signal-with-start, which starts
 * the stream if it is not running. Answers 202 once Temporal holds the change, 503 when Temporal
 * cannot be reached (the PMS delivers it again), and 200 `duplicate` for a delivery id it already
 * accepted within the signature's tolerance: a captured request replayed, or a sender's retry whose
 * first answer was lost, reaches the workflow once.
 */
export function createProductWebhookReceiver(options: ProductWebhookReceiverOptions): ProductWebhookReceiver {
  const logger: FastifyBaseLogger = options.logger.child({ component: 'webhook-receiver' });
  const app = Fastify({ loggerInstance: logger, bodyLimit: maxBodyBytes, logController: new DebugRequestLog() });
  const toleranceMs = options.toleranceMs ?? defaultToleranceMs;
  const now = options.nowMs ?? Date.now;
  const accepted = new RecentDeliveries();
  // The signature covers the exact bytes sent, so the body stays raw until it is verified.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.get('/health', () => ({ status: 'ok' }));

  // A delivery is the root of its trace (or joins the sender's, given a W3C traceparent header):
  // the signalWithStart below, the change stream's run and its HTTP calls nest under it.
  app.addHook('onRequest', (request, reply, done) => {
    const span = tracer.startSpan(
      `webhook ${request.method} ${request.routeOptions.url ?? 'unknown route'}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          ...(request.routeOptions.url ? { 'http.route': request.routeOptions.url } : {}),
        },
      },
      propagation.extract(context.active(), request.headers),
    );
    reply.raw.once('finish', () => span.setAttribute('http.response.status_code', reply.statusCode).end());
    deliverySpans.set(request, span);
    done();
  });

  app.post('/webhooks/products/:integrationId', async (request, reply) => {
    const span = deliverySpans.get(request);
    return span
      ? context.with(trace.setSpan(context.active(), span), () => handleDelivery(request, reply))
      : handleDelivery(request, reply);
  });

  const handleDelivery = async (request: FastifyRequest, reply: FastifyReply) => {
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const nowMs = now();
    const timestamp = header(timestampHeader);
    const check = verifyDelivery(options.secret, { signature: header(signatureHeader), timestamp }, rawBody, { toleranceMs, nowMs });
    if (!check.ok) {
      request.log.warn({ reason: check.reason }, 'webhook refused: bad signature');
      return refuse(reply, 401, 'INVALID_SIGNATURE', `Webhook refused: ${check.reason}`);
    }

    const { integrationId } = paramsSchema.parse(request.params);
    const settings = options.streams.get(integrationId);
    if (!settings) {
      return refuse(
        reply,
        404,
        'UNKNOWN_INTEGRATION',
        `No product sync '${integrationId}' accepts webhooks here; known: ${[...options.streams.keys()].join(', ')}`,
      );
    }

    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return refuse(reply, 400, 'BAD_REQUEST', 'Webhook body is not JSON (send application/json)');
    }
    const event = productChangeEventSchema.safeParse(json);
    if (!event.success) {
      return refuse(reply, 400, 'BAD_REQUEST', `Webhook body is not a product change event: ${describeIssues(event.error)}`);
    }

    const { product, eventId } = event.data;
    // The signature is valid, so the timestamp is a number; its bytes are refused once it is this old.
    const claim = await accepted.claim(`${integrationId}\u0000${eventId}`, Number(timestamp) * 1000 + toleranceMs, nowMs);
    if (claim.kind === 'duplicate') {
      request.log.info({ integrationId, eventId }, 'webhook delivery already accepted; not handed over again');
      return reply.code(200).send({ accepted: false, duplicate: true, workflowId: changeStreamWorkflowId(integrationId) });
    }
    try {
      await options.client.workflow.signalWithStart(productChangeStream, {
        workflowId: changeStreamWorkflowId(integrationId),
        taskQueue: options.taskQueue,
        args: [{ integrationId, ...settings }],
        priority: integrationPriority(integrationId),
        signal: productChangedSignal,
        signalArgs: [{ productId: product.id, updatedAt: product.updatedAt, deleted: product.deleted }],
      });
    } catch (error) {
      claim.settle(false);
      request.log.error({ integrationId, eventId, err: error }, 'could not hand a product change to Temporal');
      return refuse(reply, 503, 'TEMPORAL_UNAVAILABLE', 'The change could not be handed to Temporal; deliver it again later');
    }
    claim.settle(true);
    request.log.debug({ integrationId, eventId, productId: product.id }, 'product change accepted');
    return reply.code(202).send({ accepted: true, workflowId: changeStreamWorkflowId(integrationId) });
  };

  // fastify's own refusals (wrong content type, body too large) in the same shape as ours.
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return refuse(reply, status, status === 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', status === 500 ? 'Internal error' : error.message);
  });

  return listenable(app);
}
