import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { HttpError, errorBodySchema, sendError } from './httpErrors';
import { createPrng, type Prng } from './prng';
import { addRoute, type RouteSpec } from './routeSpec';

const rate = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const milliseconds = z.number().int('must be a whole number of milliseconds').min(0).max(60_000);

/** Typos in a settings change should fail loudly, not be ignored. */
function unknownSettingMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'unrecognized_keys') return undefined;
  const unknown = issue.keys.map((key) => `'${key}'`).join(', ');
  return `unknown fault setting ${unknown}; known settings: ${Object.keys(defaultFaultSettings).join(', ')}`;
}

/** What the sandbox does wrong on purpose, so a client's retry and back-off logic can be proven. */
export const faultSettingsSchema = z.strictObject(
  {
    errorRate: rate.describe('Share of /api requests answered 503 before any handling (nothing written)'),
    errorAfterWriteRate: rate.describe('Share of successful writes answered 500 AFTER the write was committed'),
    latencyMs: milliseconds.describe('Delay added to every /api request'),
    latencyJitterMs: milliseconds.describe('Extra random delay, 0..latencyJitterMs'),
    rateLimit: z
      .strictObject({
        requests: z.number().int().min(1, 'must allow at least one request'),
        windowMs: z.number().int().min(1).max(3_600_000),
      })
      .nullable()
      .describe('Rolling-window limit; requests beyond it get 429 with Retry-After'),
    throttleNext: z.number().int().min(0).describe('The next N /api requests get 429'),
    retryAfterSeconds: z.number().int().min(0).max(3600).describe('Retry-After sent with throttleNext answers'),
    maxBatchSize: z.number().int().min(1).describe('Largest accepted batch; larger batches get 413'),
    down: z.boolean().describe('Every /api request gets 503'),
    outageAfterWrites: z
      .strictObject({
        writes: z.number().int().min(0).describe('Write requests still served before the outage starts'),
        requests: z.number().int().min(1).describe('/api requests answered 503 once it started'),
      })
      .nullable()
      .describe('A planned outage in the middle of a job: after `writes` more write requests, the next `requests` /api requests get 503'),
    resetRate: rate.describe('Share of /api answers cut off mid-body, the connection reset (after any write was committed)'),
    malformedRate: rate.describe('Share of successful GET answers sent as truncated, unparseable JSON with status 200'),
    duplicateRate: rate.describe('Share of successful GET answers whose record list (data or results) repeats some records'),
  },
  { error: unknownSettingMessage },
);

export type FaultSettings = z.infer<typeof faultSettingsSchema>;

/** A run-time change: any subset of the settings; unknown keys are refused so typos show up. */
export const faultSettingsPatchSchema = faultSettingsSchema.partial();
export type FaultSettingsPatch = z.infer<typeof faultSettingsPatchSchema>;

export const defaultFaultSettings: FaultSettings = {
  errorRate: 0,
  errorAfterWriteRate: 0,
  latencyMs: 0,
  latencyJitterMs: 0,
  rateLimit: null,
  throttleNext: 0,
  retryAfterSeconds: 1,
  maxBatchSize: 100,
  down: false,
  outageAfterWrites: null,
  resetRate: 0,
  malformedRate: 0,
  duplicateRate: 0,
};

export const faultCountersSchema = z.object({
  requests: z.number().describe('/api requests seen'),
  delayed: z.number(),
  down: z.number(),
  throttled: z.number(),
  rateLimited: z.number(),
  errors: z.number().describe('503 answers injected by errorRate'),
  errorsAfterWrite: z.number().describe('500 answers injected after a committed write'),
  batchTooLarge: z.number(),
  resets: z.number().describe('Answers cut off mid-body by resetRate'),
  malformed: z.number().describe('Answers garbled by malformedRate'),
  duplicated: z.number().describe('Pages given repeated records by duplicateRate'),
});
export type FaultCounters = z.infer<typeof faultCountersSchema>;

const emptyCounters = (): FaultCounters => ({
  requests: 0,
  delayed: 0,
  down: 0,
  throttled: 0,
  rateLimited: 0,
  errors: 0,
  errorsAfterWrite: 0,
  batchTooLarge: 0,
  resets: 0,
  malformed: 0,
  duplicated: 0,
});

/** A refusal decided before the request is handled. */
export interface Rejection {
  error: HttpError;
  retryAfterSeconds?: number;
}

/**
 * Decides which faults to inject. It knows nothing about HTTP transport, so its decisions can be
 * unit-tested; the hooks below apply them. Random choices come from a seeded PRNG so a run with
 * the same seed and the same request sequence injects the same faults.
 */
export class FaultInjector {
  private current: FaultSettings;
  private counters = emptyCounters();
  /** Arrival times of admitted requests inside the rate-limit window, oldest first. */
  private admitted: number[] = [];
  private readonly prng: Prng;

  constructor(settings: FaultSettingsPatch = {}, seed = 1) {
    this.current = faultSettingsSchema.parse({ ...defaultFaultSettings, ...settings });
    this.prng = createPrng(seed);
  }

  get settings(): FaultSettings {
    return structuredClone(this.current);
  }

  get injected(): FaultCounters {
    return { ...this.counters };
  }

  /** Merges a validated partial change into the settings. */
  update(patch: FaultSettingsPatch): FaultSettings {
    this.current = faultSettingsSchema.parse({ ...this.current, ...patch });
    if (patch.rateLimit !== undefined) this.admitted = [];
    return this.settings;
  }

  resetCounters(): void {
    this.counters = emptyCounters();
  }

  /** Refusal for a service switched off; checked first and without delay, like a dead host. */
  checkDown(): Rejection | null {
    this.counters.requests++;
    if (!this.current.down) return null;
    this.counters.down++;
    return {
      error: new HttpError(503, 'SERVICE_DOWN', 'The sandbox service is down (fault setting down=true): retry later'),
    };
  }

  /**
   * The planned outage of `outageAfterWrites`: counts write requests down, then refuses the next
   * requests (counted under `down`) and clears itself.
   */
  checkPlannedOutage(write: boolean): Rejection | null {
    const planned = this.current.outageAfterWrites;
    if (planned === null) return null;
    if (planned.writes > 0) {
      if (write) planned.writes--;
      return null;
    }
    planned.requests--;
    if (planned.requests === 0) this.current.outageAfterWrites = null;
    this.counters.down++;
    return { error: new HttpError(503, 'SERVICE_DOWN', 'The sandbox service is down (planned outage after writes): retry later') };
  }

  /** Delay to add before handling; 0 when no latency is configured. */
  latency(): number {
    const { latencyMs, latencyJitterMs } = this.current;
    const delay = latencyMs + (latencyJitterMs > 0 ? this.prng.int(0, latencyJitterMs) : 0);
    if (delay > 0) this.counters.delayed++;
    return delay;
  }

  /** Throttling, rate limiting and random errors, in that order; null admits the request. */
  admit(nowMs: number): Rejection | null {
    return this.throttle() ?? this.rateLimit(nowMs) ?? this.randomError();
  }

  /** Whether a write that just succeeded should nevertheless be answered with a 500. */
  failAfterWrite(): boolean {
    if (!this.prng.chance(this.current.errorAfterWriteRate)) return false;
    this.counters.errorsAfterWrite++;
    return true;
  }

  /** 413 for a batch larger than maxBatchSize, else null. */
  checkBatchSize(size: number): HttpError | null {
    const max = this.current.maxBatchSize;
    if (size <= max) return null;
    this.counters.batchTooLarge++;
    return new HttpError(
      413,
      'BATCH_TOO_LARGE',
      `Batch of ${size} records exceeds the maximum of ${max} per request: split it into batches of at most ${max}`,
    );
  }

  /**
   * What to do to an answer about to leave: cut it off, garble it, or repeat records of its page.
   * `read` says the request only read, so garbling it cannot hide a committed write.
   */
  corruption(read: boolean): 'reset' | 'malformed' | 'duplicate' | null {
    if (this.prng.chance(this.current.resetRate)) {
      this.counters.resets++;
      return 'reset';
    }
    if (!read) return null;
    if (this.prng.chance(this.current.malformedRate)) {
      this.counters.malformed++;
      return 'malformed';
    }
    return this.prng.chance(this.current.duplicateRate) ? 'duplicate' : null;
  }

  /** Records of a page with some repeated, each next to its first copy, as buggy paging does. */
  repeatRecords(records: unknown[]): unknown[] {
    const repeated = records.flatMap((record) => (this.prng.chance(0.3) ? [record, record] : [record]));
    if (repeated.length > records.length) this.counters.duplicated++;
    return repeated;
  }

  private throttle(): Rejection | null {
    if (this.current.throttleNext <= 0) return null;
    this.current.throttleNext--;
    this.counters.throttled++;
    const retryAfterSeconds = this.current.retryAfterSeconds;
    return {
      error: new HttpError(
        429,
        'RATE_LIMITED',
        `Too many requests (throttled by the sandbox): retry after ${retryAfterSeconds} s, as the Retry-After header says`,
      ),
      retryAfterSeconds,
    };
  }

  private rateLimit(nowMs: number): Rejection | null {
    const limit = this.current.rateLimit;
    if (limit === null) return null;
    const windowStart = nowMs - limit.windowMs;
    while ((this.admitted[0] ?? Infinity) <= windowStart) this.admitted.shift();
    const oldest = this.admitted[0];
    if (this.admitted.length < limit.requests || oldest === undefined) {
      this.admitted.push(nowMs);
      return null;
    }
    this.counters.rateLimited++;
    // The slot frees when the oldest admitted request leaves the window; never advise 0 s,
    // which clients read as "retry immediately".
    const retryAfterSeconds = Math.max(1, Math.ceil((oldest + limit.windowMs - nowMs) / 1000));
    return {
      error: new HttpError(
        429,
        'RATE_LIMITED',
        `Rate limit of ${limit.requests} requests per ${limit.windowMs} ms exceeded: retry after ${retryAfterSeconds} s, as the Retry-After header says`,
      ),
      retryAfterSeconds,
    };
  }

  private randomError(): Rejection | null {
    if (!this.prng.chance(this.current.errorRate)) return null;
    this.counters.errors++;
    return {
      error: new HttpError(503, 'SERVICE_UNAVAILABLE', 'Service temporarily unavailable (injected fault): retry with back-off'),
    };
  }
}

function reject(reply: FastifyReply, rejection: Rejection): FastifyReply {
  if (rejection.retryAfterSeconds !== undefined) reply.header('Retry-After', String(rejection.retryAfterSeconds));
  return sendError(reply, rejection.error);
}

function batchLength(body: unknown, field: string): number | null {
  if (typeof body !== 'object' || body === null) return null;
  const batch = (body as Record<string, unknown>)[field];
  return Array.isArray(batch) ? batch.length : null;
}

/**
 * Applies the injector to every route of `scope`. Refusals happen in onRequest, before the body
 * is read or anything is written; the batch-size check needs the parsed body (preValidation);
 * the after-write failure rewrites a successful answer once the handler has committed (onSend).
 */
export function installFaultHooks(scope: FastifyInstance, injector: FaultInjector): void {
  scope.addHook('onRequest', async (request, reply) => {
    const down = injector.checkDown();
    if (down) return reject(reply, down);
    const delay = injector.latency();
    if (delay > 0) await sleep(delay);
    const rejection = injector.checkPlannedOutage(request.routeOptions.config.writes === true) ?? injector.admit(Date.now());
    if (rejection) {
      request.log.info({ url: request.url, error: rejection.error.code }, 'injected fault');
      return reject(reply, rejection);
    }
  });

  scope.addHook('preValidation', async (request, reply) => {
    const field = request.routeOptions.config.batchField;
    if (field === undefined) return;
    const size = batchLength(request.body, field);
    const tooLarge = size === null ? null : injector.checkBatchSize(size);
    if (tooLarge) return sendError(reply, tooLarge);
  });

  scope.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 300 || typeof payload !== 'string') return payload;
    const writes = request.routeOptions.config.writes === true;
    if (writes && injector.failAfterWrite()) {
      request.log.info({ url: request.url }, 'injected a 500 after a committed write');
      reply.code(500);
      return JSON.stringify({
        error: 'INTERNAL_ERROR',
        message: 'Internal error after the write was committed (injected fault): the change WAS stored, so a retry must be idempotent',
      });
    }
    return corrupt(injector.corruption(request.method === 'GET'), payload, reply, injector);
  });
}

/** Applies a corruption to a JSON answer; the status stays 200, as it does when a proxy or a bug garbles it. */
function corrupt(
  kind: ReturnType<FaultInjector['corruption']>,
  payload: string,
  reply: FastifyReply,
  injector: FaultInjector,
): string | PassThrough {
  switch (kind) {
    case null:
      return payload;
    case 'malformed':
      return payload.slice(0, Math.floor(payload.length / 2));
    case 'duplicate': {
      const page = JSON.parse(payload) as Record<string, unknown> | null;
      const list = ['data', 'results'].find((key) => Array.isArray(page?.[key]));
      if (!page || !list) return payload;
      return JSON.stringify({ ...page, [list]: injector.repeatRecords(page[list] as unknown[]) });
    }
    case 'reset': {
      // Announce the whole body, send half, then reset the connection: the client sees the answer
      // break off after the server did all its work (a write is committed).
      const socket = reply.raw.socket;
      if (!socket) return payload;
      reply.header('content-length', String(Buffer.byteLength(payload)));
      const body = new PassThrough();
      body.write(payload.slice(0, Math.floor(payload.length / 2)), () => setTimeout(() => socket.resetAndDestroy(), 10));
      return body;
    }
  }
}

const faultStateSchema = z.object({ settings: faultSettingsSchema, injected: faultCountersSchema });

export const faultAdminRoutes = {
  get: {
    method: 'GET',
    url: '/_admin/faults',
    summary: 'Current fault settings and counters of injected faults',
    tags: ['admin'],
    secured: true,
    responses: {
      200: { description: 'Settings and counters', schema: faultStateSchema },
      401: { description: 'Missing or wrong bearer token', schema: errorBodySchema },
    },
  },
  update: {
    method: 'PUT',
    url: '/_admin/faults',
    summary: 'Change fault settings at run time (partial merge)',
    tags: ['admin'],
    secured: true,
    body: faultSettingsPatchSchema,
    responses: {
      200: { description: 'Settings after the change', schema: faultStateSchema },
      400: { description: 'Unknown setting or value out of range', schema: errorBodySchema },
      401: { description: 'Missing or wrong bearer token', schema: errorBodySchema },
    },
  },
} satisfies Record<string, RouteSpec>;

export function registerFaultAdminRoutes(scope: FastifyInstance, injector: FaultInjector): void {
  const state = (): z.infer<typeof faultStateSchema> => ({ settings: injector.settings, injected: injector.injected });
  addRoute(scope, faultAdminRoutes.get, () => state());
  addRoute(scope, faultAdminRoutes.update, ({ body }) => {
    injector.update(body);
    scope.log.info({ settings: injector.settings }, 'fault settings changed');
    return state();
  });
}
