import { z } from 'zod';
import { byFeedPosition, isAfterCursor, type ChangeCursor } from '../shared/changeCursor';
import { type ChangePage } from './changeFeed';
import { AuthenticationError, BatchRejectedError, RateLimitedError, RequestRejectedError } from '../shared/systemErrors';
import { HttpStatusError, HttpSystem, type AuthProvider, type RequestOptions, type SharedPacing } from './httpClient';
import { RateLimitPacer } from './rateLimitPacer';
import type { SalesforceSystemConfig } from './salesforceConfig';

/**
 * A thin typed client of the Salesforce REST API, shared by the Salesforce connectors (rather than
 * jsforce, which needs Node 22 and retries on its own, fighting Temporal's retries): one place for
 * REQUEST_LIMIT_EXCEEDED, Sforce-Limit-Info pacing, SOQL paging and error bodies.
 */

export const salesforceApiLimits = {
  /** Records per sObject Collections request. */
  collectionSize: 200,
  /**
   * Characters of a query URI, encoded. Salesforce allows 16,384 bytes of URI and headers together
   * (414 URI Too Long, 431 beyond) and advises keeping headers near 8,000; SOQL is expanded on the
   * server, so IN lists are cut well below: https://help.salesforce.com/s/articleView?id=000386264&type=1
   */
  queryUriChars: 8_000,
} as const;

const queryRecordSchema = z.object({ Id: z.string().min(15) }).loose();
export type QueryRecord = z.infer<typeof queryRecordSchema>;
const queryResponseSchema = z.object({
  totalSize: z.number().int().nonnegative(),
  done: z.boolean(),
  nextRecordsUrl: z.string().min(1).optional(),
  records: z.array(queryRecordSchema),
});
export type QueryResponse = z.infer<typeof queryResponseSchema>;
const recordErrorSchema = z.object({ statusCode: z.string(), message: z.string() });
const saveResultSchema = z.object({
  id: z.string().nullable().optional(),
  success: z.boolean(),
  errors: z.array(recordErrorSchema),
  created: z.boolean().optional(),
});
export type SaveResult = z.infer<typeof saveResultSchema>;
export const saveResultsSchema = z.array(saveResultSchema);
const errorBodySchema = z.array(z.object({ message: z.string(), errorCode: z.string() }).loose()).min(1);

/** A SOQL string literal. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A SOQL datetime literal, to the second (SOQL takes no fractions). */
export function soqlDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function describeErrors(errors: Array<z.infer<typeof recordErrorSchema>>): string {
  return errors.map((e) => `${e.statusCode}: ${e.message}`).join('; ') || 'failed without a reason';
}

/** Salesforce error bodies are arrays of { message, errorCode }. */
function describeBody(body: unknown): string | undefined {
  const parsed = errorBodySchema.safeParse(body);
  return parsed.success ? parsed.data.map((e) => `${e.errorCode}: ${e.message}`).join('; ') : undefined;
}

export interface SalesforceApiOptions {
  auth: AuthProvider;
  config: Pick<SalesforceSystemConfig, 'url' | 'apiVersion' | 'timeoutMs' | 'limits'>;
  /** Records per query page (Sforce-Query-Options batchSize, 200 to 2000). */
  queryBatchSize: number;
  now?: () => number;
  /** The org's shared pacer (systems.<name>.rateLimit), on top of the Sforce-Limit-Info pacing. */
  pacing?: SharedPacing;
}

export class SalesforceApi {
  readonly system = 'Salesforce';
  private readonly http: HttpSystem;
  private readonly pacer: RateLimitPacer;
  private readonly config: SalesforceApiOptions['config'];
  private usage: { used: number; max: number } | undefined;

  constructor(private readonly options: SalesforceApiOptions) {
    this.config = options.config;
    this.pacer = new RateLimitPacer(0, options.now ?? Date.now);
    this.http = new HttpSystem({
      system: this.system,
      baseUrl: this.config.url,
      auth: options.auth,
      timeoutMs: this.config.timeoutMs,
      ...options.pacing,
      classifyError: (status, body) => this.classifyError(status, body),
      onResponse: (_status, headers) => this.observeUsage(headers.get('sforce-limit-info')),
    });
  }

  /** The versioned REST root, e.g. /services/data/v61.0. */
  get base(): string {
    return `/services/data/v${this.config.apiVersion}`;
  }

  async send<T>(request: RequestOptions<T>): Promise<T> {
    this.checkUsage();
    await this.pacer.wait();
    try {
      return await this.http.request(request);
    } catch (error) {
      if (!(error instanceof HttpStatusError)) throw error;
      const detail = describeBody(error.body) ?? error.message;
      if (error.status === 400 && /EXCEEDED_ID_LIMIT/.test(detail)) throw new BatchRejectedError(this.system, 'too-large', detail);
      throw new RequestRejectedError(
        this.system,
        error.status,
        `Salesforce refused ${request.method} ${request.path.split('?')[0]} with ${error.status}: ${detail}`,
      );
    }
  }

  query(soql: string): Promise<QueryResponse> {
    return this.send({
      method: 'GET',
      path: `${this.base}/query`,
      query: { q: soql },
      headers: this.queryHeaders(),
      schema: queryResponseSchema,
    });
  }

  nextPage(nextRecordsUrl: string): Promise<QueryResponse> {
    return this.send({ method: 'GET', path: nextRecordsUrl, headers: this.queryHeaders(), schema: queryResponseSchema });
  }

  /**
   * Records of a query with an IN list, the values split into queries of at most 200 whose GET
   * URI, encoded, stays within salesforceApiLimits.queryUriChars. `soqlFor` builds the query around
   * one part's list (the literals already quoted and joined).
   */
  async queryIn(soqlFor: (inList: string) => string, values: string[]): Promise<QueryRecord[]> {
    const uriLength = (part: string[]) =>
      `${this.base}/query?${new URLSearchParams({ q: soqlFor(part.map(soqlString).join(', ')) }).toString()}`.length;
    const parts: string[][] = [];
    let current: string[] = [];
    for (const value of [...new Set(values)]) {
      const candidate = [...current, value];
      if (
        current.length > 0 &&
        (candidate.length > salesforceApiLimits.collectionSize || uriLength(candidate) > salesforceApiLimits.queryUriChars)
      ) {
        parts.push(current);
        current = [value];
      } else current = candidate;
    }
    if (current.length > 0) parts.push(current);
    const tooLong = parts.find((part) => uriLength(part) > salesforceApiLimits.queryUriChars);
    if (tooLong)
      throw new RequestRejectedError(
        this.system,
        414,
        `A Salesforce query for the value ${tooLong[0]!.slice(0, 80)} is longer than the ${salesforceApiLimits.queryUriChars} characters a query URI may take; shorten the value or the field list.`,
      );
    const found: QueryRecord[] = [];
    for (const part of parts) found.push(...(await this.queryAll(soqlFor(part.map(soqlString).join(', ')))));
    return found;
  }

  async queryAll(soql: string): Promise<QueryRecord[]> {
    let answer = await this.query(soql);
    const records = [...answer.records];
    while (!answer.done && answer.nextRecordsUrl) {
      answer = await this.nextPage(answer.nextRecordsUrl);
      records.push(...answer.records);
    }
    return records;
  }

  /** The org's API usage over the rolling 24 hours, from the latest Sforce-Limit-Info header. */
  get apiUsage(): { used: number; max: number } | undefined {
    return this.usage;
  }

  /** Fields of an sObject type with their External ID flag, from its describe. */
  async describeFields(type: string): Promise<Array<{ name: string; externalId: boolean }>> {
    const describe = await this.send({
      method: 'GET',
      path: `${this.base}/sobjects/${type}/describe`,
      schema: z.object({ fields: z.array(z.object({ name: z.string(), externalId: z.boolean().default(false) }).loose()) }).loose(),
    });
    return describe.fields.map((f) => ({ name: f.name, externalId: f.externalId }));
  }

  /** Bulk API 2.0 ingest jobs of the org: the cheapest request that needs Bulk API access. */
  async listIngestJobs(): Promise<void> {
    await this.send({ method: 'GET', path: `${this.base}/jobs/ingest/`, schema: z.unknown() });
  }

  /** Field API names of an sObject type, from its describe. */
  async fieldsOf(type: string): Promise<Set<string>> {
    const describe = await this.send({
      method: 'GET',
      path: `${this.base}/sobjects/${type}/describe`,
      schema: z.object({ fields: z.array(z.object({ name: z.string() }).loose()) }).loose(),
    });
    return new Set(describe.fields.map((f) => f.name));
  }

  /**
   * Records of a type modified after the cursor, in the bridge's feed order on (SystemModstamp,
   * key), where key names the record in the feed (its Id or an external id field). Reads on until
   * a page passes the limit-th instant, so a tie on the timestamp is never cut.
   */
  async queryChanges(
    type: string,
    {
      cursor,
      limit,
      fields,
      where,
      key,
    }: { cursor: ChangeCursor | null; limit: number; fields: string[]; where?: string; key: (r: QueryRecord) => string },
  ): Promise<ChangePage<QueryRecord & { key: string; updatedAt: string }>> {
    type Positioned = QueryRecord & { key: string; updatedAt: string };
    const position = (r: Positioned) => ({ id: r.key, updatedAt: r.updatedAt });
    const since = cursor ? Date.parse(cursor.since) : undefined;
    const conditions = [...(since === undefined ? [] : [`SystemModstamp >= ${soqlDateTime(since)}`]), ...(where ? [where] : [])];
    const soql = `SELECT ${[...new Set(['Id', 'SystemModstamp', ...fields])].join(', ')} FROM ${type}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY SystemModstamp, Id`;
    const collected: Positioned[] = [];
    let answer = await this.query(soql);
    let exhausted = false;
    for (;;) {
      for (const record of answer.records) {
        const modified = typeof record.SystemModstamp === 'string' ? Date.parse(record.SystemModstamp) : NaN;
        if (Number.isNaN(modified))
          throw new RequestRejectedError(this.system, 502, `Salesforce answered ${type} ${record.Id} without a SystemModstamp`);
        const positioned = { ...record, key: key(record), updatedAt: new Date(modified).toISOString() };
        if (isAfterCursor(position(positioned), cursor)) collected.push(positioned);
      }
      if (answer.done || !answer.nextRecordsUrl) {
        exhausted = true;
        break;
      }
      const sorted = [...collected].sort((a, b) => byFeedPosition(position(a), position(b)));
      const lastOnPage = answer.records.at(-1)?.SystemModstamp;
      if (sorted.length >= limit && typeof lastOnPage === 'string' && Date.parse(lastOnPage) > Date.parse(sorted[limit - 1]!.updatedAt))
        break;
      answer = await this.nextPage(answer.nextRecordsUrl);
    }
    const records = collected.sort((a, b) => byFeedPosition(position(a), position(b)));
    const page = records.slice(0, limit);
    const last = page.at(-1);
    return {
      records: page,
      nextCursor: last ? { since: last.updatedAt, afterId: last.key } : null,
      hasMore: records.length > limit || !exhausted,
    };
  }

  private queryHeaders(): Record<string, string> {
    return { 'sforce-query-options': `batchSize=${this.options.queryBatchSize}` };
  }

  /** REQUEST_LIMIT_EXCEEDED comes as 403: it is the org's 24-hour limit, not a credentials problem. */
  private classifyError(status: number, body: unknown): Error | undefined {
    const detail = describeBody(body);
    if (status === 403 && detail?.startsWith('REQUEST_LIMIT_EXCEEDED'))
      return this.limitReached(`Salesforce refused the request: ${detail}`);
    if (status === 401 || status === 403) {
      return new AuthenticationError(
        this.system,
        `Salesforce rejected the bridge's credentials (${status}${detail ? `: ${detail}` : ''}). Check the access token or the connected app; retrying will not help.`,
      );
    }
    return undefined;
  }

  /** Sforce-Limit-Info: api-usage=used/max over the org's rolling 24 hours. */
  private observeUsage(header: string | null): void {
    const match = /api-usage=(\d+)\/(\d+)/.exec(header ?? '');
    if (!match) return;
    this.usage = { used: Number(match[1]), max: Number(match[2]) };
    if (this.usage.used >= this.usage.max * this.config.limits.slowDownAt)
      this.pacer.observeFixedRate(1000 / Math.max(1, this.config.limits.slowDownDelayMs));
  }

  private checkUsage(): void {
    if (this.usage && this.usage.used >= this.usage.max * this.config.limits.stopAt) {
      const { used, max } = this.usage;
      this.usage = undefined;
      throw this.limitReached(
        `The Salesforce org has used ${used} of its ${max} API requests in the last 24 hours (stop at ${Math.round(this.config.limits.stopAt * 100)}%)`,
      );
    }
  }

  private limitReached(reason: string): RateLimitedError {
    const waitMs = this.config.limits.waitWhenExhaustedMs;
    return new RateLimitedError(
      this.system,
      waitMs,
      `${reason}. The sync waits ${Math.round(waitMs / 60_000)} min and tries again, leaving the rest of the org's daily API limit to its other integrations.`,
    );
  }
}
