import type { z } from 'zod';
import { describeIssues } from '../domain/validation';
import {
  AuthenticationError,
  InvalidResponseError,
  RateLimitedError,
  RequestRejectedError,
  SystemUnavailableError,
} from './errors';
import type { RequestPacer } from './requestPacer';

export interface HttpSystemOptions {
  /** Name used in every error, e.g. "PMS" or "CRM". */
  system: string;
  baseUrl: string;
  token: string;
  timeoutMs: number;
  /** Largest response body accepted; a bigger one is a malformed answer, not something to parse. */
  maxResponseBytes?: number;
  /** Paces requests under the system's rate limit; shared by all connectors of one system. */
  pacer?: RequestPacer;
  /** Told of every 429 answer (metrics); the request still fails with RateLimitedError. */
  onRateLimited?: (system: string) => void;
}

export interface RequestOptions<T> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  schema: z.ZodType<T>;
}

/** The raw response of a refused request, for connectors that must read vendor error bodies. */
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

function errorMessage(body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
  return typeof body === 'string' ? body.slice(0, 300) : '';
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
    const response = await this.send(request);
    const body = await this.readBody(response);
    if (!response.ok) this.throwForStatus(response, body, request);
    const parsed = request.schema.safeParse(body);
    if (!parsed.success) {
      throw new InvalidResponseError(
        this.options.system,
        `${this.options.system} answered ${request.method} ${request.path} with an unexpected shape: ${describeIssues(parsed.error)}`,
      );
    }
    return parsed.data;
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
    await this.options.pacer?.acquire();
    try {
      return await fetch(url, {
        method: request.method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: 'application/json',
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : (error as Error).message;
      throw new SystemUnavailableError(this.options.system, `${this.options.system} could not be reached at ${url.origin}: ${cause}`);
    }
  }

  private async readBody(response: Response): Promise<unknown> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new SystemUnavailableError(this.options.system, `${this.options.system} connection broke while answering: ${(error as Error).message}`);
    }
    const limit = this.options.maxResponseBytes ?? 64 * 1024 * 1024;
    if (text.length > limit) {
      throw new InvalidResponseError(this.options.system, `${this.options.system} answer of ${text.length} bytes exceeds the ${limit}-byte limit`);
    }
    if (text.length === 0) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      if (!response.ok) return text;
      throw new InvalidResponseError(this.options.system, `${this.options.system} answered with malformed JSON (${text.length} bytes)`);
    }
  }

  private throwForStatus(response: Response, body: unknown, request: RequestOptions<unknown>): never {
    const { system } = this.options;
    const detail = errorMessage(body);
    const status = response.status;
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
    throw new HttpStatusError(status, body, `${system} refused ${request.method} ${request.path} with ${status}${detail ? `: ${detail}` : ''}`);
  }
}
