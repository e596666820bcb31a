import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { z } from 'zod';
import { describeIssues } from '../domain/validation';
import {
  AuthenticationError,
  InvalidResponseError,
  RateLimitedError,
  RequestRejectedError,
  SystemUnavailableError,
} from '../shared/systemErrors';
import { redactBody, refusalDetail, sentStrings, textCells } from './refusalReason';
import type { RequestPacer } from './requestPacer';

/**
 * How a connector proves who it is. `headers` is called before every request; when the system
 * answers 401 and `refresh` says a fresh credential was obtained, the request is sent once more.
 */
export interface AuthProvider {
  headers(): Promise<Record<string, string>>;
  refresh?(): Promise<boolean>;
}

/** What the system answered, for connectors that read status codes or headers (rate limits, 207). */
export interface HttpExchange<T> {
  data: T;
  status: number;
  headers: Headers;
}

export interface HttpSystemOptions {
  /** Name used in every error, e.g. "PMS" or "CRM". */
  system: string;
  baseUrl: string;
  /** Bearer token; ignored when `auth` is given. */
  token?: string;
  auth?: AuthProvider;
  timeoutMs: number;
  /** Largest response body accepted; a bigger one is a malformed answer, not something to parse. */
  maxResponseBytes?: number;
  /** Paces requests under the system's rate limit; shared by all connectors of one system. */
  pacer?: RequestPacer;
  /** Told of every rate-limit answer (metrics); the request still fails with RateLimitedError. */
  onRateLimited?: (system: string) => void;
  /**
   * A vendor's own reading of a refused request (e.g. Salesforce's 403 REQUEST_LIMIT_EXCEEDED is a
   * rate limit, not bad credentials). Undefined falls back to the status-code rules.
   */
  classifyError?: (status: number, body: unknown, headers: Headers) => Error | undefined;
  /** Sees every answer's headers, e.g. to pace requests from rate-limit headers. */
  onResponse?: (status: number, headers: Headers) => void;
}

/** The pacer a system's connectors share, and who hears of its 429s (see src/integrations.ts). */
export type SharedPacing = Pick<HttpSystemOptions, 'pacer' | 'onRateLimited'>;

export interface RequestOptions<T> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /**
   * The path as a template without record values (e.g. '/api/products/batch/upsert' or
   * '/v2/notes/{id}/relationships'): the only part of the URL a trace records. Absent: the trace
   * names the system and method only, since the path itself may carry ids.
   */
  route?: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Sent as application/x-www-form-urlencoded instead of a JSON body. */
  form?: Record<string, string>;
  /** Sent as it is, e.g. newline-delimited JSON, with its content type. */
  rawBody?: { contentType: string; text: string };
  headers?: Record<string, string>;
  /** Answers that are not JSON (e.g. newline-delimited JSON) are handed to the schema as text. */
  responseType?: 'json' | 'text';
  schema: z.ZodType<T>;
}

/**
 * The response of a refused request, for connectors that must read vendor error bodies. `body` is
 * the vendor's body with every value the request sent cut out (see refusalReason.ts), so whatever a
 * connector quotes from it carries no customer data.
 */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }
}

const defaultRetryAfterMs = 1_000;

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number {
  if (!header) return defaultRetryAfterMs;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? defaultRetryAfterMs : Math.max(0, date - now);
}

/**
 * A small JSON-over-HTTP client: one place that turns transport problems and status codes into
 * the bridge's error kinds and validates every answer with zod.
 */
export class HttpSystem {
  constructor(private readonly options: HttpSystemOptions) {}

  get system(): string {
    return this.options.system;
  }

  async request<T>(request: RequestOptions<T>): Promise<T> {
    return (await this.exchange(request)).data;
  }

  /** Like request, with the answer's status and headers. */
  async exchange<T>(request: RequestOptions<T>): Promise<HttpExchange<T>> {
    let response = await this.send(request);
    if (response.status === 401 && this.options.auth?.refresh) {
      // An expired token is refreshed once; a second 401 means the credentials themselves are wrong.
      if (await this.options.auth.refresh()) {
        await response.body?.cancel();
        response = await this.send(request);
      }
    }
    this.options.onResponse?.(response.status, response.headers);
    const body = await this.readBody(response, request.responseType ?? 'json');
    if (!response.ok) this.throwForStatus(response, body, request);
    const parsed = request.schema.safeParse(body);
    if (!parsed.success) {
      throw new InvalidResponseError(
        this.options.system,
        `${this.options.system} answered ${request.method} ${pathOf(request.path)} with an unexpected shape: ${describeIssues(parsed.error)}`,
      );
    }
    return { data: parsed.data, status: response.status, headers: response.headers };
  }

  /**
   * Like request, for calls with no special handling of refusals: any 4xx other than 401/403/429
   * becomes a non-retryable RequestRejectedError, since the same request would fail again.
   */
  async call<T>(request: RequestOptions<T>): Promise<T> {
    try {
      return await this.request(request);
    } catch (error) {
      if (error instanceof HttpStatusError) throw new RequestRejectedError(this.options.system, error.status, error.message);
      throw error;
    }
  }

  private async send(request: RequestOptions<unknown>): Promise<Response> {
    const url = new URL(request.path, this.options.baseUrl);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const auth = this.options.auth ? await this.options.auth.headers() : { authorization: `Bearer ${this.options.token ?? ''}` };
    const { contentType, text } = encodeBody(request);
    const answered = await this.options.pacer?.acquire();
    return tracer.startActiveSpan(
      request.route ? `${this.options.system} ${request.method} ${request.route}` : `${this.options.system} ${request.method}`,
      { kind: SpanKind.CLIENT, attributes: callAttributes(this.options.system, request) },
      async (span) => {
        try {
          const response = await this.fetch(url, request, auth, contentType, text);
          span.setAttribute('http.response.status_code', response.status);
          if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR }).setAttribute('error.type', String(response.status));
          return response;
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR }).setAttribute('error.type', (error as Error).name);
          throw error;
        } finally {
          answered?.();
          span.end();
        }
      },
    );
  }

  private async fetch(
    url: URL,
    request: RequestOptions<unknown>,
    auth: Record<string, string>,
    contentType: string | undefined,
    text: string | undefined,
  ): Promise<Response> {
    try {
      return await fetch(url, {
        method: request.method,
        headers: {
          ...auth,
          accept: 'application/json',
          ...(contentType ? { 'content-type': contentType } : {}),
          ...request.headers,
        },
        body: text,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : (error as Error).message;
      throw new SystemUnavailableError(this.options.system, `${this.options.system} could not be reached at ${url.origin}: ${cause}`);
    }
  }

  private async readBody(response: Response, responseType: 'json' | 'text'): Promise<unknown> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new SystemUnavailableError(
        this.options.system,
        `${this.options.system} connection broke while answering: ${(error as Error).message}`,
      );
    }
    const limit = this.options.maxResponseBytes ?? 64 * 1024 * 1024;
    if (text.length > limit) {
      throw new InvalidResponseError(
        this.options.system,
        `${this.options.system} answer of ${text.length} bytes exceeds the ${limit}-byte limit`,
      );
    }
    if (text.length === 0) return undefined;
    if (responseType === 'text' && response.ok) return text;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      if (!response.ok) return text;
      throw new InvalidResponseError(this.options.system, `${this.options.system} answered with malformed JSON (${text.length} bytes)`);
    }
  }

  private throwForStatus(response: Response, rawBody: unknown, request: RequestOptions<unknown>): never {
    const { system } = this.options;
    // Vendors echo the values they refuse: every message from here on is built without them.
    const sent = sentStrings(request.body, request.form, request.query, request.rawBody ? textCells(request.rawBody.text) : undefined);
    const body = redactBody(rawBody, sent);
    const detail = refusalDetail(body);
    const status = response.status;
    const vendorError = this.options.classifyError?.(status, body, response.headers);
    if (vendorError) {
      if (vendorError instanceof RateLimitedError) {
        this.options.onRateLimited?.(system);
        this.options.pacer?.backOff(vendorError.retryAfterMs);
      }
      throw vendorError;
    }
    if (status === 429) {
      this.options.onRateLimited?.(system);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      this.options.pacer?.backOff(retryAfterMs);
      throw new RateLimitedError(system, retryAfterMs, `${system} is rate limiting us (429); retrying after ${retryAfterMs} ms`);
    }
    if (status === 401 || status === 403) {
      throw new AuthenticationError(
        system,
        `${system} rejected the bridge's credentials (${status}${detail ? `: ${detail}` : ''}). Check the ${system} token in the configuration; retrying will not help.`,
      );
    }
    if (status >= 500) {
      throw new SystemUnavailableError(system, `${system} failed with ${status}${detail ? `: ${detail}` : ''}`);
    }
    throw new HttpStatusError(
      status,
      body,
      `${system} refused ${request.method} ${pathOf(request.path)} with ${status}${detail ? `: ${detail}` : ''}`,
    );
  }
}

const tracer = trace.getTracer('crm-pms-bridge/http');

/**
 * What a trace records of one call: the system, the method and the route template when the
 * connector gives one. Never the path itself, a query value, a header or a body: those can carry
 * product names, ids or credentials.
 */
function callAttributes(system: string, request: RequestOptions<unknown>): Record<string, string> {
  return {
    'bridge.system': system,
    'http.request.method': request.method,
    ...(request.route ? { 'http.route': request.route } : {}),
  };
}

/** The path of a URL without its query, which may carry record content (search terms, ids). */
function pathOf(path: string): string {
  return path.split('?')[0]!;
}

function encodeBody(request: RequestOptions<unknown>): { contentType?: string; text?: string } {
  if (request.rawBody) return { contentType: request.rawBody.contentType, text: request.rawBody.text };
  if (request.form) return { contentType: 'application/x-www-form-urlencoded', text: new URLSearchParams(request.form).toString() };
  if (request.body !== undefined) return { contentType: 'application/json', text: JSON.stringify(request.body) };
  return {};
}
