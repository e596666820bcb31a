import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createLogger, type Logger } from '../logging/logger';
import { requireBearerToken } from './auth';
import { FaultInjector, faultAdminRoutes, faultSettingsPatchSchema, installFaultHooks, registerFaultAdminRoutes } from './faults';
import { formatPath, installErrorHandling } from './httpErrors';
import { buildOpenApiDocument, type ApiInfo } from './openapi';
import { randomSeed } from './prng';
import { addRoute, type RouteSpec } from './routeSpec';

/** Requests larger than this get 413; generous enough for a 1000-record batch of long descriptions. */
const bodyLimitBytes = 8 * 1024 * 1024;

/** Options shared by both sandbox services. */
export const sandboxOptionsSchema = z.object({
  dbPath: z.string().min(1, "dbPath must be a file path or ':memory:'"),
  token: z.string().min(1, 'token must not be empty: every /api and /_admin request is checked against it'),
  faults: faultSettingsPatchSchema.optional(),
  seed: z.number().int('seed must be an integer').optional(),
  logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null, 'logger must be a pino logger').optional(),
});

/** Validates factory options, failing with one message that names every bad option. */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, service: string): z.output<S> {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatPath(issue.path) || 'options'}: ${issue.message}`);
  throw new Error(`Invalid ${service} options: ${problems.join('; ')}`);
}

export interface SandboxServer<Store> {
  app: FastifyInstance;
  store: Store;
  faults: FaultInjector;
  /** Starts listening and resolves to the base URL, e.g. `http://127.0.0.1:43123`. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops the server and closes the database. */
  close(): Promise<void>;
}

export interface SandboxDefinition<Store extends { close(): void }> {
  name: string;
  info: ApiInfo;
  options: z.output<typeof sandboxOptionsSchema>;
  store: Store;
  /** Every route the service adds (API and admin), for the OpenAPI document. */
  routes: readonly RouteSpec[];
  /** Registers the /api routes; auth and fault hooks are already installed on `scope`. */
  registerApi(scope: FastifyInstance, faults: FaultInjector): void;
  /** Registers service-specific /_admin routes; auth is already installed on `scope`. */
  registerAdmin?(scope: FastifyInstance, faults: FaultInjector): void;
}

/**
 * One line per request at debug level instead of fastify's two at info: a sync run makes
 * thousands of requests, and at info they would drown the bridge's own log.
 */
class DebugRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (error) request.log.error({ ...line, err: error }, 'request failed');
    else request.log.debug(line, 'request');
  }
}

const healthRoute = {
  method: 'GET',
  url: '/health',
  summary: 'Liveness check (no token needed)',
  tags: ['meta'],
  secured: false,
  responses: { 200: { description: 'The service is up', schema: z.object({ status: z.literal('ok') }) } },
} satisfies RouteSpec;

const openApiRoute = {
  method: 'GET',
  url: '/openapi.json',
  summary: 'This OpenAPI document (no token needed)',
  tags: ['meta'],
  secured: false,
  responses: { 200: { description: 'OpenAPI 3.1 document' } },
} satisfies RouteSpec;

/**
 * The shell both sandbox services share: logging, error shape, body limit, health, OpenAPI, the
 * authenticated /_admin scope with fault controls, and the authenticated, fault-injected /api scope.
 */
export function createSandboxServer<Store extends { close(): void }>(definition: SandboxDefinition<Store>): SandboxServer<Store> {
  const { name, info, options, store } = definition;
  // Typed as fastify's base logger so the instance has the plain FastifyInstance type plugins expect.
  const logger: FastifyBaseLogger = options.logger ?? createLogger(name);
  const seed = options.seed ?? randomSeed();
  const faults = new FaultInjector(options.faults, seed);
  logger.info({ seed, faults: faults.settings }, `${name}: fault injection ready (pass seed to replay a run)`);

  const app = Fastify({ loggerInstance: logger, bodyLimit: bodyLimitBytes, logController: new DebugRequestLog() });
  installErrorHandling(app, bodyLimitBytes);
  app.addHook('onClose', (_instance, done) => {
    store.close();
    done();
  });

  const openApi = buildOpenApiDocument(info, [
    healthRoute,
    openApiRoute,
    faultAdminRoutes.get,
    faultAdminRoutes.update,
    ...definition.routes,
  ]);
  addRoute(app, healthRoute, () => ({ status: 'ok' as const }));
  addRoute(app, openApiRoute, () => openApi);

  // Two encapsulated scopes: hooks added inside one apply to its routes only, so /health and
  // /openapi.json stay open and the admin routes keep working while faults are injected.
  void app.register((admin, _options, done) => {
    requireBearerToken(admin, options.token);
    registerFaultAdminRoutes(admin, faults);
    definition.registerAdmin?.(admin, faults);
    done();
  });
  void app.register((api, _options, done) => {
    requireBearerToken(api, options.token);
    installFaultHooks(api, faults);
    definition.registerApi(api, faults);
    done();
  });

  return {
    app,
    store,
    faults,
    listen: (port = 0, host = '127.0.0.1') => app.listen({ port, host }),
    close: () => app.close(),
  };
}
