import { z } from 'zod';
import { chunk } from '../shared/chunk';
import { byFeedPosition, isAfterCursor, type ChangeCursor } from '../shared/changeCursor';
import { settledPage, type ChangePage } from './changeFeed';
import { InvalidResponseError, RateLimitedError, RequestRejectedError } from '../shared/systemErrors';
import type { HubSpotSystemConfig } from './hubspotConfig';
import { HttpStatusError, HttpSystem, type RequestOptions, type SharedPacing } from './httpClient';
import { msUntilMidnight, RateLimitPacer } from './rateLimitPacer';

/**
 * A thin typed client of HubSpot's CRM v3 object API and v4 associations, shared by the HubSpot
 * connectors: one place for the 429 kinds, the pacing from rate-limit headers and the search limits.
 * Limits: https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
 */

export const hubspotApiLimits = {
  /** Inputs per object batch request. */
  batchSize: 100,
  /** Inputs per associations v4 batch read. */
  associationBatchSize: 1000,
  /** Results per search page. */
  searchPageSize: 200,
  /** Results one search query can page through; beyond it, query again from the last timestamp. */
  searchResultCap: 10_000,
  /** Search requests per second per account. */
  searchPerSecond: 5,
  /** Values in one IN filter. */
  inFilterValues: 100,
  /** Characters in one search request body (400 beyond). */
  searchBodyChars: 3_000,
} as const;

/**
 * HubSpot-defined association type ids that mark the primary record of a pair; labels are display
 * text HubSpot renames, so they are never read. Ticket -> company: 26 primary (339 unlabelled);
 * deal -> company: 5 primary (341 unlabelled).
 * https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associations-v4/guide
 * https://developers.hubspot.com/changelog/changes-to-primary-labels-for-hubspot-defined-association-labels
 */
const primaryAssociationTypeIds: Record<string, number> = { 'tickets/companies': 26, 'deals/companies': 5 };

export const hubspotObjectSchema = z.object({
  id: z.string().min(1),
  properties: z.record(z.string(), z.string().nullable()),
  archived: z.boolean().optional(),
  new: z.boolean().optional(),
});
export type HubSpotObject = z.infer<typeof hubspotObjectSchema>;

const batchErrorSchema = z.object({
  status: z.string(),
  category: z.string(),
  message: z.string(),
  context: z.record(z.string(), z.array(z.string())).optional(),
});
const batchResponseSchema = z.object({
  status: z.string(),
  results: z.array(hubspotObjectSchema),
  errors: z.array(batchErrorSchema).optional(),
});
const searchResponseSchema = z.object({
  total: z.number().int().nonnegative(),
  results: z.array(hubspotObjectSchema),
  paging: z.object({ next: z.object({ after: z.string().min(1) }) }).optional(),
});
const propertySchema = z.object({ name: z.string(), type: z.string(), hasUniqueValue: z.boolean().optional() });
const associationsResponseSchema = z.object({
  results: z.array(
    z.object({
      from: z.object({ id: z.string() }),
      to: z.array(
        z.object({
          toObjectId: z.union([z.string(), z.number()]).transform(String),
          associationTypes: z.array(z.object({ typeId: z.number().int() }).loose()).default([]),
        }),
      ),
      paging: z.object({ next: z.object({ after: z.string().min(1) }) }).optional(),
    }),
  ),
  errors: z.array(batchErrorSchema.partial({ status: true })).optional(),
});
const errorBodySchema = z
  .object({ message: z.string().optional(), category: z.string().optional(), policyName: z.string().optional() })
  .loose();

export interface SearchFilter {
  propertyName: string;
  operator: 'EQ' | 'IN' | 'GTE' | 'HAS_PROPERTY';
  value?: string;
  values?: string[];
  /**
   * The property is a string: HubSpot matches IN values on it only when they are lowercase ("When
   * searching a string property with this operator, values must be lowercase"), so they are sent so
   * and the caller matches the results' exact values itself.
   */
  stringProperty?: boolean;
}

/** 429s differ by policy: the 10-second window passes soon; the daily quota only at midnight. */
function hubspotRateLimitError(status: number, body: unknown, headers: Headers, timeZone: string, now: number): Error | undefined {
  if (status !== 429) return undefined;
  const policy = errorBodySchema.safeParse(body).data?.policyName;
  if (policy === 'DAILY') {
    const waitMs = msUntilMidnight(timeZone, now);
    const resetAt = new Date(now + waitMs).toISOString();
    return new RateLimitedError(
      'HubSpot',
      waitMs,
      `HubSpot's daily API limit for this account is used up (429 DAILY). The sync waits until it resets at midnight ${timeZone} (${resetAt}); other integrations on the account share this limit.`,
    );
  }
  const windowMs = Number(headers.get('x-hubspot-ratelimit-interval-milliseconds') ?? (policy === 'TEN_SECONDLY_ROLLING' ? 10_000 : 1_000));
  return new RateLimitedError(
    'HubSpot',
    windowMs,
    `HubSpot is rate limiting us (429 ${policy ?? 'unknown policy'}); retrying after ${windowMs} ms`,
  );
}

export interface HubSpotApiOptions {
  baseUrl: string;
  token: string;
  config: Pick<HubSpotSystemConfig, 'timeoutMs' | 'timeZone' | 'rateLimitReserve'>;
  now?: () => number;
  /** Results one search query may page through (HubSpot: 10,000); smaller in tests. */
  searchResultCap?: number;
  /** The account's shared pacer (systems.<name>.rateLimit), on top of the header pacing. */
  pacing?: SharedPacing;
}

export class HubSpotApi {
  readonly system = 'HubSpot';
  private readonly http: HttpSystem;
  private readonly pacer: RateLimitPacer;
  private readonly now: () => number;
  private readonly searchResultCap: number;
  /** The rate-limit headers of the latest answer that carried them (search answers carry none). */
  private limits: { remaining: number; max: number; dailyRemaining?: number; daily?: number } | undefined;

  constructor(options: HubSpotApiOptions) {
    this.now = options.now ?? Date.now;
    this.searchResultCap = options.searchResultCap ?? hubspotApiLimits.searchResultCap;
    this.pacer = new RateLimitPacer(options.config.rateLimitReserve, this.now);
    this.http = new HttpSystem({
      system: this.system,
      baseUrl: options.baseUrl,
      token: options.token,
      timeoutMs: options.config.timeoutMs,
      ...options.pacing,
      classifyError: (status, body, headers) => hubspotRateLimitError(status, body, headers, options.config.timeZone, this.now()),
      onResponse: (_status, headers) => {
        this.observeLimits(headers);
        this.pacer.observeWindow(
          Number(headers.get('x-hubspot-ratelimit-remaining') ?? NaN),
          Number(headers.get('x-hubspot-ratelimit-interval-milliseconds') ?? NaN),
        );
      },
    });
  }

  /** What the latest X-HubSpot-RateLimit headers said: the 10-second window, and the day's (absent for OAuth apps). */
  get rateLimits(): { remaining: number; max: number; dailyRemaining?: number; daily?: number } | undefined {
    return this.limits;
  }

  private observeLimits(headers: Headers): void {
    const number = (name: string) => {
      const value = Number(headers.get(name) ?? NaN);
      return Number.isFinite(value) ? value : undefined;
    };
    const remaining = number('x-hubspot-ratelimit-remaining');
    const max = number('x-hubspot-ratelimit-max');
    if (remaining === undefined || max === undefined) return;
    const dailyRemaining = number('x-hubspot-ratelimit-daily-remaining');
    const daily = number('x-hubspot-ratelimit-daily');
    this.limits = { remaining, max, ...(dailyRemaining !== undefined && daily !== undefined ? { dailyRemaining, daily } : {}) };
  }

  /** A request whose refusals (4xx) come back as they are (HttpStatusError), for callers that read them. */
  async request<T>(request: RequestOptions<T>): Promise<T> {
    await this.pacer.wait();
    return this.http.request(request);
  }

  /** A request whose refusals (4xx) are non-retryable RequestRejectedErrors. */
  async call<T>(request: RequestOptions<T>): Promise<T> {
    await this.pacer.wait();
    return this.http.call(request);
  }

  /** Property names and types of an object type. */
  async properties(objectType: string): Promise<Map<string, z.infer<typeof propertySchema>>> {
    const response = await this.call({
      method: 'GET',
      path: `/crm/v3/properties/${objectType}`,
      schema: z.object({ results: z.array(propertySchema) }),
    });
    return new Map(response.results.map((p) => [p.name, p]));
  }

  /** Creates a property (409: someone created it meanwhile, which is as good). */
  async createProperty(objectType: string, definition: Record<string, unknown>): Promise<void> {
    await this.pacer.wait();
    try {
      await this.http.request({ method: 'POST', path: `/crm/v3/properties/${objectType}`, body: definition, schema: propertySchema });
    } catch (error) {
      if (!(error instanceof HttpStatusError)) throw error;
      if (error.status !== 409) throw new RequestRejectedError(this.system, error.status, error.message);
    }
  }

  /**
   * Records by id (or by a unique property's values), 100 a request; unknown ones are absent. Reads
   * by id see a write at once, unlike search. When HubSpot knows none of the ids it may answer 404
   * OBJECT_NOT_FOUND instead of 207: that, too, means none found.
   */
  async batchRead(objectType: string, ids: string[], properties: string[], idProperty?: string): Promise<HubSpotObject[]> {
    const found: HubSpotObject[] = [];
    for (const part of chunk([...new Set(ids)], hubspotApiLimits.batchSize)) {
      const body = {
        inputs: part.map((id) => ({ id })),
        properties,
        ...(idProperty && idProperty !== 'hs_object_id' ? { idProperty } : {}),
      };
      let response: z.infer<typeof batchResponseSchema>;
      try {
        response = await this.request({
          method: 'POST',
          path: `/crm/v3/objects/${objectType}/batch/read`,
          query: { archived: 'false' },
          body,
          schema: batchResponseSchema,
        });
      } catch (error) {
        if (!(error instanceof HttpStatusError)) throw error;
        if (error.status === 404 && errorBodySchema.safeParse(error.body).data?.category === 'OBJECT_NOT_FOUND') continue;
        throw new RequestRejectedError(this.system, error.status, error.message);
      }
      const unexpected = (response.errors ?? []).filter((e) => e.category !== 'OBJECT_NOT_FOUND');
      if (unexpected.length > 0)
        throw new InvalidResponseError(this.system, `${this.system} could not read some ${objectType}: ${unexpected[0]!.message}`);
      found.push(...response.results);
    }
    return found;
  }

  /** Overwrites the given properties of records by id (or unique property); 100 a request. */
  async batchUpdate(
    objectType: string,
    inputs: Array<{ id: string; properties: Record<string, string> }>,
    idProperty?: string,
  ): Promise<HubSpotObject[]> {
    const updated: HubSpotObject[] = [];
    for (const part of chunk(inputs, hubspotApiLimits.batchSize)) {
      const body = { inputs: part.map((input) => ({ ...input, ...(idProperty && idProperty !== 'hs_object_id' ? { idProperty } : {}) })) };
      const response = await this.call({
        method: 'POST',
        path: `/crm/v3/objects/${objectType}/batch/update`,
        body,
        schema: batchResponseSchema,
      });
      if (response.errors?.length)
        throw new RequestRejectedError(
          this.system,
          400,
          `${this.system} refused to update some ${objectType}: ${response.errors[0]!.message}`,
        );
      updated.push(...response.results);
    }
    return updated;
  }

  /**
   * Associated record ids per record, primary first (by HubSpot's primary association type id, e.g. a
   * ticket's primary company). Each record's associations page on their own: a record whose answer
   * carries `paging.next.after` is asked again with that cursor beside its id. Records with none are absent.
   */
  async associations(fromType: string, toType: string, ids: string[]): Promise<Map<string, string[]>> {
    const primaryTypeId = primaryAssociationTypeIds[`${fromType}/${toType}`];
    const found = new Map<string, Array<{ id: string; primary: boolean }>>();
    let pending: Array<{ id: string; after?: string }> = [...new Set(ids)].map((id) => ({ id }));
    while (pending.length > 0) {
      const next: Array<{ id: string; after: string }> = [];
      for (const part of chunk(pending, hubspotApiLimits.associationBatchSize)) {
        const response = await this.call({
          method: 'POST',
          path: `/crm/v4/associations/${fromType}/${toType}/batch/read`,
          body: { inputs: part },
          schema: associationsResponseSchema,
        });
        for (const result of response.results) {
          const list = found.get(result.from.id) ?? [];
          for (const to of result.to)
            list.push({ id: to.toObjectId, primary: to.associationTypes.some((type) => type.typeId === primaryTypeId) });
          found.set(result.from.id, list);
          if (result.paging) next.push({ id: result.from.id, after: result.paging.next.after });
        }
      }
      pending = next;
    }
    const byId = new Map<string, string[]>();
    for (const [id, list] of found) {
      const primaryFirst = [...list].sort((a, b) => Number(b.primary) - Number(a.primary));
      byId.set(id, [...new Set(primaryFirst.map((to) => to.id))]);
    }
    return byId;
  }

  async search(objectType: string, body: Record<string, unknown>): Promise<z.infer<typeof searchResponseSchema>> {
    await this.pacer.wait();
    try {
      return await this.http.call({ method: 'POST', path: `/crm/v3/objects/${objectType}/search`, body, schema: searchResponseSchema });
    } finally {
      // The search endpoints send no rate-limit headers: keep to their documented rate.
      this.pacer.observeFixedRate(hubspotApiLimits.searchPerSecond);
    }
  }

  /**
   * Every record matching the filters. The IN filter's values are split into requests of at most 100
   * values whose body stays within HubSpot's 3,000 characters; on a string property they go lowercase.
   */
  async searchAll(objectType: string, filters: SearchFilter[], properties: string[]): Promise<HubSpotObject[]> {
    const found: HubSpotObject[] = [];
    const inFilter = filters.find((f) => f.values);
    const bodyOf = (values: string[] | undefined, after?: string) => ({
      filterGroups: [
        {
          filters: filters.map(({ stringProperty: _string, ...f }) => (f.values && values ? { ...f, values } : f)),
        },
      ],
      properties,
      limit: hubspotApiLimits.searchPageSize,
      ...(after ? { after } : {}),
    });
    const values = inFilter?.values
      ? [...new Set(inFilter.stringProperty ? inFilter.values.map((v) => v.toLowerCase()) : inFilter.values)]
      : [];
    const valueChunks = inFilter?.values ? this.inChunks(values, (part) => bodyOf(part, '99999')) : [undefined];
    for (const part of valueChunks) {
      let after: string | undefined;
      do {
        const page = await this.search(objectType, bodyOf(part, after));
        found.push(...page.results);
        after = page.paging?.next.after;
      } while (after);
    }
    return found;
  }

  /** IN values in groups of at most 100 whose request body stays within the search body limit. */
  private inChunks(values: string[], bodyOf: (part: string[]) => unknown): string[][] {
    const chunks: string[][] = [];
    let current: string[] = [];
    for (const value of values) {
      const candidate = [...current, value];
      if (
        current.length > 0 &&
        (candidate.length > hubspotApiLimits.inFilterValues || JSON.stringify(bodyOf(candidate)).length > hubspotApiLimits.searchBodyChars)
      ) {
        chunks.push(current);
        current = [value];
      } else current = candidate;
    }
    if (current.length > 0) chunks.push(current);
    const tooLong = chunks.find((part) => JSON.stringify(bodyOf(part)).length > hubspotApiLimits.searchBodyChars);
    if (tooLong)
      throw new RequestRejectedError(
        this.system,
        400,
        `A HubSpot search for the value ${tooLong[0]!.slice(0, 80)} does not fit HubSpot's ${hubspotApiLimits.searchBodyChars}-character search body; shorten the id or the property list.`,
      );
    return chunks;
  }

  /**
   * Records modified after the cursor, by hs_lastmodifieddate, in the bridge's feed order on
   * (modified, key). `key` names the record in the feed (its id, or a unique property). Past the
   * 10,000 results one query can page through, a new query starts from the last instant seen.
   */
  async searchChanges(
    objectType: string,
    {
      cursor,
      limit,
      filters,
      properties,
      key,
      settleMs,
    }: {
      cursor: ChangeCursor | null;
      limit: number;
      filters: SearchFilter[];
      properties: string[];
      key: (o: HubSpotObject) => string;
      /** Changes newer than this are left for the next read: search shows writes late, and not in timestamp order. */
      settleMs: number;
    },
  ): Promise<ChangePage<HubSpotObject & { key: string; updatedAt: string }>> {
    type Positioned = HubSpotObject & { key: string; updatedAt: string; id: string };
    const collected = new Map<string, Positioned>();
    const position = (o: Positioned) => ({ id: o.key, updatedAt: o.updatedAt });
    let since = cursor ? Date.parse(cursor.since) : 0;
    let after: string | undefined;
    let read = 0;
    let exhausted = false;
    for (;;) {
      if (read + hubspotApiLimits.searchPageSize > this.searchResultCap) {
        const last = Math.max(...[...collected.values()].map((r) => Date.parse(r.updatedAt)));
        if (!(last > since))
          throw new InvalidResponseError(
            this.system,
            `${this.system} holds more than ${this.searchResultCap} ${objectType} modified at the same instant; the search API cannot page through them.`,
          );
        since = last;
        after = undefined;
        read = 0;
      }
      const page = await this.search(objectType, {
        filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(since) }, ...filters] }],
        sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
        properties: [...properties, 'hs_lastmodifieddate'],
        limit: hubspotApiLimits.searchPageSize,
        ...(after ? { after } : {}),
      });
      read += page.results.length;
      for (const object of page.results) {
        const modified = object.properties.hs_lastmodifieddate;
        if (!modified || Number.isNaN(Date.parse(modified))) {
          throw new InvalidResponseError(
            this.system,
            `${this.system} returned ${objectType} ${object.id} without a valid hs_lastmodifieddate`,
          );
        }
        const record = { ...object, key: key(object), updatedAt: new Date(Date.parse(modified)).toISOString() };
        if (isAfterCursor(position(record), cursor)) collected.set(record.key, record);
      }
      if (!page.paging) {
        exhausted = true;
        break;
      }
      after = page.paging.next.after;
      // Ties on the timestamp come in no order: read on until the page passes the limit-th instant.
      const sorted = [...collected.values()].sort((a, b) => byFeedPosition(position(a), position(b)));
      const lastOnPage = page.results.at(-1)?.properties.hs_lastmodifieddate;
      if (sorted.length >= limit && lastOnPage && Date.parse(lastOnPage) > Date.parse(sorted[limit - 1]!.updatedAt)) break;
    }
    const records = [...collected.values()].sort((a, b) => byFeedPosition(position(a), position(b)));
    const pageRecords = records.slice(0, limit);
    const last = pageRecords.at(-1);
    return settledPage(
      {
        records: pageRecords,
        nextCursor: last ? { since: last.updatedAt, afterId: last.key } : null,
        hasMore: records.length > limit || !exhausted,
      },
      settleMs,
      this.now(),
      (record) => ({ since: record.updatedAt, afterId: record.key }),
    );
  }
}
