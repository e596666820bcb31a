import { z } from 'zod';
import { byFeedPosition, isAfterCursor } from './changeFeed';
import type { ChangeCursor } from './changeFeed';
import { BatchRejectedError, InvalidResponseError, RequestRejectedError } from './errors';
import type { CrmValue } from '../domain/fieldMapping';
import type { RawPmsProduct } from '../domain/pmsProduct';
import type { HubSpotSystemConfig } from './hubspotConfig';
import { HttpStatusError, HttpSystem, type RequestOptions, type SharedPacing } from './httpClient';
import type {
  CrmProductInput,
  CrmProductRecord,
  ProductPage,
  ProductSink,
  ProductSinkCapabilities,
  ProductSource,
  ProductSourceCapabilities,
  UpsertResult,
} from './productConnectors';
import { RateLimitPacer } from './rateLimitPacer';
import { hubspotRateLimitError } from './hubspotApi';
import { chunk } from '../chunk';

/**
 * HubSpot CRM products through the v3 object API, with a thin typed client rather than
 * @hubspot/api-client (which needs Node 22 and retries on its own, fighting Temporal's retries).
 * Limits: https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
 */

export const hubspotLimits = {
  /** Inputs per batch request. */
  batchSize: 100,
  /** Results per search page. */
  searchPageSize: 200,
  /** Results one search query can page through; beyond it, query again from the last timestamp. */
  searchResultCap: 10_000,
  /** Search requests per second per account. */
  searchPerSecond: 5,
  /** Values in one IN filter. */
  inFilterValues: 100,
} as const;

const propertyValue = z.string().nullable();
const objectSchema = z.object({
  id: z.string().min(1),
  properties: z.record(z.string(), propertyValue),
  archived: z.boolean().optional(),
  new: z.boolean().optional(),
});
type HubSpotObject = z.infer<typeof objectSchema>;

const batchErrorSchema = z.object({
  status: z.string(),
  category: z.string(),
  message: z.string(),
  context: z.record(z.string(), z.array(z.string())).optional(),
});
const batchResponseSchema = z.object({
  status: z.string(),
  results: z.array(objectSchema),
  errors: z.array(batchErrorSchema).optional(),
});
const searchResponseSchema = z.object({
  total: z.number().int().nonnegative(),
  results: z.array(objectSchema),
  paging: z.object({ next: z.object({ after: z.string().min(1) }) }).optional(),
});
const propertySchema = z.object({ name: z.string(), type: z.string(), hasUniqueValue: z.boolean().optional() });
const propertiesResponseSchema = z.object({ results: z.array(propertySchema) });
const errorBodySchema = z.object({ message: z.string().optional(), category: z.string().optional(), policyName: z.string().optional() }).loose();

interface SearchFilter {
  propertyName: string;
  operator: 'EQ' | 'IN' | 'GTE' | 'HAS_PROPERTY';
  value?: string;
  values?: string[];
}

type UpsertPath = 'batch-upsert' | 'search-then-write';

export interface HubSpotConnection {
  baseUrl: string;
  token: string;
  config: HubSpotSystemConfig;
  /** The product properties the bridge owns (the sync's mapping keys): read back and compared. */
  propertyNames: string[];
  now?: () => number;
  /** Results one search query may page through (HubSpot: 10,000); smaller in tests. */
  searchResultCap?: number;
  /** The account's shared pacer (systems.<name>.rateLimit), on top of the header pacing. */
  pacing?: SharedPacing;
}

/** HubSpot as the product target (and, by its search API, as an incremental product source). */
export class HubSpotCrm implements ProductSink, ProductSource {
  readonly system = 'HubSpot';
  private readonly http: HttpSystem;
  private readonly pacer: RateLimitPacer;
  private readonly config: HubSpotSystemConfig;
  private readonly idProperty: string;
  private readonly propertyNames: string[];
  private readonly now: () => number;
  private readonly searchResultCap: number;
  private setup: Promise<{ path: UpsertPath; types: Map<string, string> }> | undefined;
  private upsertPath: UpsertPath = 'batch-upsert';

  readonly sourceCapabilities: ProductSourceCapabilities = { maxPageSize: 1000, incremental: true, reportsDeletes: false };

  constructor(connection: HubSpotConnection) {
    this.config = connection.config;
    this.idProperty = connection.config.products.idProperty;
    this.propertyNames = connection.propertyNames;
    this.now = connection.now ?? Date.now;
    this.searchResultCap = connection.searchResultCap ?? hubspotLimits.searchResultCap;
    this.pacer = new RateLimitPacer(connection.config.rateLimitReserve, this.now);
    this.http = new HttpSystem({
      system: this.system,
      baseUrl: connection.baseUrl,
      token: connection.token,
      timeoutMs: connection.config.timeoutMs,
      ...connection.pacing,
      classifyError: (status, body, headers) => this.classifyError(status, body, headers),
      onResponse: (_status, headers) =>
        this.pacer.observeWindow(Number(headers.get('x-hubspot-ratelimit-remaining') ?? NaN), Number(headers.get('x-hubspot-ratelimit-interval-milliseconds') ?? NaN)),
    });
  }

  get capabilities(): ProductSinkCapabilities & ProductSourceCapabilities {
    return {
      maxWriteBatch: hubspotLimits.batchSize,
      maxReadBatch: hubspotLimits.batchSize,
      upsert: this.upsertPath === 'batch-upsert' ? 'native' : 'lookup-then-write',
      archives: this.config.products.archivedProperty !== undefined,
      ...this.sourceCapabilities,
    };
  }

  // ---- ProductSink ----

  async readByExternalIds(externalIds: string[]): Promise<CrmProductRecord[]> {
    if (externalIds.length === 0) return [];
    this.requireBatchSize(externalIds.length);
    const { path, types } = await this.ensureSetup();
    const objects =
      path === 'batch-upsert'
        ? await this.batchRead(externalIds)
        : await this.searchAll([{ propertyName: this.idProperty, operator: 'IN', values: externalIds }]);
    const wanted = new Set(externalIds);
    return objects.filter((o) => wanted.has(o.properties[this.idProperty] ?? '')).map((o) => this.toCrmRecord(o, types));
  }

  async upsertBatch(inputs: CrmProductInput[]): Promise<UpsertResult[]> {
    if (inputs.length === 0) return [];
    this.requireBatchSize(inputs.length);
    const { path } = await this.ensureSetup();
    return path === 'batch-upsert' ? this.batchUpsert(inputs) : this.searchThenWrite(inputs);
  }

  /** Products carrying the bridge's id property: the records the change guard protects. */
  async count(): Promise<number> {
    await this.ensureSetup();
    const page = await this.search({ filterGroups: [{ filters: [{ propertyName: this.idProperty, operator: 'HAS_PROPERTY' }] }], limit: 1 });
    return page.total;
  }

  // ---- ProductSource: products changed since the cursor, by hs_lastmodifieddate ----

  async listChanged(cursor: ChangeCursor | null, limit: number): Promise<ProductPage> {
    const { types } = await this.ensureSetup();
    const collected = new Map<string, RawPmsProduct>();
    let since = cursor ? Date.parse(cursor.since) : 0;
    // `after` is HubSpot's opaque paging token; `read` counts the results this query has handed out.
    let after: string | undefined;
    let read = 0;
    let exhausted = false;
    for (;;) {
      if (read + hubspotLimits.searchPageSize > this.searchResultCap) {
        // A query pages through at most 10,000 results: start a new one from the last instant seen.
        const last = Math.max(...[...collected.values()].map((r) => Date.parse(r.updatedAt)));
        if (!(last > since)) throw new InvalidResponseError(this.system, `${this.system} holds more than ${this.searchResultCap} products modified at the same instant; the search API cannot page through them.`);
        since = last;
        after = undefined;
        read = 0;
      }
      const page = await this.search({
        filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(since) }] }],
        sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
        properties: [...this.propertyNames, this.idProperty],
        limit: hubspotLimits.searchPageSize,
        ...(after ? { after } : {}),
      });
      read += page.results.length;
      for (const object of page.results) {
        const record = this.toRawProduct(object, types);
        if (isAfterCursor(record, cursor)) collected.set(record.id, record);
      }
      if (!page.paging) {
        exhausted = true;
        break;
      }
      after = page.paging.next.after;
      // Ties on the timestamp come in no order: read on until the page passes the limit-th instant.
      const sorted = [...collected.values()].sort(byFeedPosition);
      const lastOnPage = page.results.at(-1)?.properties.hs_lastmodifieddate;
      if (sorted.length >= limit && lastOnPage && Date.parse(lastOnPage) > Date.parse(sorted[limit - 1]!.updatedAt)) break;
    }
    const records = [...collected.values()].sort(byFeedPosition);
    const pageRecords = records.slice(0, limit);
    const last = pageRecords.at(-1);
    return {
      records: pageRecords,
      nextCursor: last ? { since: last.updatedAt, afterId: last.id } : null,
      hasMore: records.length > limit || !exhausted,
    };
  }

  /** Products by HubSpot record id, 100 a request; unknown ones are absent. */
  async getByIds(ids: string[]): Promise<RawPmsProduct[]> {
    const { types } = await this.ensureSetup();
    const found: RawPmsProduct[] = [];
    for (let start = 0; start < ids.length; start += hubspotLimits.batchSize) {
      const body = { inputs: ids.slice(start, start + hubspotLimits.batchSize).map((id) => ({ id })), properties: [...this.propertyNames, this.idProperty, 'hs_lastmodifieddate'] };
      const response = await this.call({ method: 'POST', path: '/crm/v3/objects/products/batch/read', query: { archived: 'false' }, body, schema: batchResponseSchema });
      const unexpected = (response.errors ?? []).filter((e) => e.category !== 'OBJECT_NOT_FOUND');
      if (unexpected.length > 0) throw new InvalidResponseError(this.system, `${this.system} could not read some products: ${unexpected[0]!.message}`);
      found.push(...response.results.map((o) => this.toRawProduct(o, types)));
    }
    return found;
  }

  // ---- setup: the id property and the property types ----

  private ensureSetup(): Promise<{ path: UpsertPath; types: Map<string, string> }> {
    this.setup ??= this.discover().catch((error: unknown) => {
      this.setup = undefined;
      throw error;
    });
    return this.setup;
  }

  private async discover(): Promise<{ path: UpsertPath; types: Map<string, string> }> {
    const { products } = this.config;
    let definitions = (await this.call({ method: 'GET', path: '/crm/v3/properties/products', schema: propertiesResponseSchema })).results;
    if (!definitions.some((p) => p.name === this.idProperty)) {
      if (!products.createIdProperty) throw this.missingProperties([this.idProperty]);
      await this.createIdProperty(products.upsert !== 'search-then-write');
      definitions = (await this.call({ method: 'GET', path: '/crm/v3/properties/products', schema: propertiesResponseSchema })).results;
    }
    const types = new Map(definitions.map((p) => [p.name, p.type]));
    const missing = [...this.propertyNames, ...(products.archivedProperty ? [products.archivedProperty] : [])].filter((name) => !types.has(name));
    if (missing.length > 0) throw this.missingProperties(missing);
    const unique = definitions.find((p) => p.name === this.idProperty)?.hasUniqueValue === true;
    if (products.upsert === 'batch-upsert' && !unique) {
      throw new RequestRejectedError(
        this.system,
        400,
        `The HubSpot product property ${this.idProperty} is not unique (hasUniqueValue), so batch upsert cannot use it. Set products.upsert to auto or search-then-write, or use a unique property.`,
      );
    }
    this.upsertPath = products.upsert === 'search-then-write' || !unique ? 'search-then-write' : 'batch-upsert';
    return { path: this.upsertPath, types };
  }

  /** Creates the id property, unique where the account allows it on products. */
  private async createIdProperty(unique: boolean): Promise<void> {
    const definition = { name: this.idProperty, label: 'PMS id (crm-pms-bridge)', type: 'string', fieldType: 'text', groupName: 'productinformation' };
    try {
      await this.http.request({ method: 'POST', path: '/crm/v3/properties/products', body: { ...definition, hasUniqueValue: unique }, schema: propertySchema });
    } catch (error) {
      if (!(error instanceof HttpStatusError)) throw error;
      if (error.status === 409) return;
      if (error.status === 400 && unique) {
        // Not every account accepts unique product properties: fall back to a plain one.
        await this.call({ method: 'POST', path: '/crm/v3/properties/products', body: { ...definition, hasUniqueValue: false }, schema: propertySchema });
        return;
      }
      throw new RequestRejectedError(this.system, error.status, error.message);
    }
  }

  private missingProperties(names: string[]): RequestRejectedError {
    return new RequestRejectedError(
      this.system,
      400,
      `HubSpot has no product properties ${names.join(', ')}. Create them in HubSpot (Settings > Properties > Product properties) or change the sync's mapping; the bridge writes only existing properties.`,
    );
  }

  // ---- batch upsert path ----

  private async batchRead(externalIds: string[]): Promise<HubSpotObject[]> {
    const body = { idProperty: this.idProperty, inputs: externalIds.map((id) => ({ id })), properties: this.readProperties() };
    const response = await this.call({ method: 'POST', path: '/crm/v3/objects/products/batch/read', query: { archived: 'false' }, body, schema: batchResponseSchema });
    const unexpected = (response.errors ?? []).filter((e) => e.category !== 'OBJECT_NOT_FOUND');
    if (unexpected.length > 0) throw new InvalidResponseError(this.system, `${this.system} could not read some products: ${unexpected[0]!.message}`);
    return response.results;
  }

  private async batchUpsert(inputs: CrmProductInput[]): Promise<UpsertResult[]> {
    const body = {
      inputs: inputs.map((input) => ({ idProperty: this.idProperty, id: input.externalId, properties: this.toHubSpotValues(input) })),
    };
    const response = await this.write('/crm/v3/objects/products/batch/upsert', body);
    const written = new Map(response.results.map((o) => [o.properties[this.idProperty], o.new === true]));
    const noIds = response.results.every((o) => o.properties[this.idProperty] === undefined);
    return inputs.map((input, index) => {
      const created = noIds && !response.errors ? response.results[index]?.new === true : written.get(input.externalId);
      if (created !== undefined) return { externalId: input.externalId, created };
      return { externalId: input.externalId, created: false, error: errorFor(input.externalId, response.errors) };
    });
  }

  // ---- search-then-write path ----

  private async searchThenWrite(inputs: CrmProductInput[]): Promise<UpsertResult[]> {
    const existing = await this.searchAll([{ propertyName: this.idProperty, operator: 'IN', values: inputs.map((i) => i.externalId) }]);
    const hubspotId = new Map(existing.map((o) => [o.properties[this.idProperty] ?? '', o.id]));
    const toUpdate = inputs.filter((i) => hubspotId.has(i.externalId));
    const toCreate = inputs.filter((i) => !hubspotId.has(i.externalId));
    const results = new Map<string, UpsertResult>();
    if (toUpdate.length > 0) {
      const body = { inputs: toUpdate.map((i) => ({ id: hubspotId.get(i.externalId)!, properties: this.toHubSpotValues(i) })) };
      const response = await this.write('/crm/v3/objects/products/batch/update', body);
      const updated = new Set(response.results.map((o) => o.id));
      for (const input of toUpdate) {
        results.set(input.externalId, updated.has(hubspotId.get(input.externalId)!) ? { externalId: input.externalId, created: false } : { externalId: input.externalId, created: false, error: errorFor(hubspotId.get(input.externalId)!, response.errors) });
      }
    }
    if (toCreate.length > 0) {
      const body = { inputs: toCreate.map((i) => ({ properties: { ...this.toHubSpotValues(i), [this.idProperty]: i.externalId } })) };
      const response = await this.write('/crm/v3/objects/products/batch/create', body);
      const created = new Set(response.results.map((o) => o.properties[this.idProperty]));
      for (const input of toCreate) {
        results.set(input.externalId, created.has(input.externalId) ? { externalId: input.externalId, created: true } : { externalId: input.externalId, created: false, error: errorFor(input.externalId, response.errors) });
      }
    }
    return inputs.map((input) => results.get(input.externalId)!);
  }

  private async searchAll(filters: SearchFilter[]): Promise<HubSpotObject[]> {
    const found: HubSpotObject[] = [];
    for (let i = 0; i < filters.length; i++) {
      const filter = filters[i]!;
      const valueChunks = filter.values ? chunk(filter.values, hubspotLimits.inFilterValues) : [undefined];
      for (const values of valueChunks) {
        let after: string | undefined;
        do {
          const page = await this.search({
            filterGroups: [{ filters: [values ? { ...filter, values } : filter] }],
            properties: this.readProperties(),
            limit: hubspotLimits.searchPageSize,
            ...(after ? { after } : {}),
          });
          found.push(...page.results);
          after = page.paging?.next.after;
        } while (after);
      }
    }
    return found;
  }

  // ---- HTTP ----

  private async search(body: Record<string, unknown>): Promise<z.infer<typeof searchResponseSchema>> {
    await this.pacer.wait();
    try {
      return await this.call({ method: 'POST', path: '/crm/v3/objects/products/search', body, schema: searchResponseSchema });
    } finally {
      // The search endpoints send no rate-limit headers: keep to their documented rate.
      this.pacer.observeFixedRate(hubspotLimits.searchPerSecond);
    }
  }

  private async write(path: string, body: unknown): Promise<z.infer<typeof batchResponseSchema>> {
    await this.pacer.wait();
    try {
      return await this.http.request({ method: 'POST', path, body, schema: batchResponseSchema });
    } catch (error) {
      if (!(error instanceof HttpStatusError)) throw error;
      const detail = errorBodySchema.safeParse(error.body);
      const message = detail.success ? (detail.data.message ?? error.message) : error.message;
      if (error.status === 400 && /non-unique/i.test(message)) {
        throw new RequestRejectedError(this.system, 400, `${message}. The id property must be unique: set products.upsert to search-then-write or recreate it with hasUniqueValue.`);
      }
      if (error.status === 400 && /batch limit|too many inputs/i.test(message)) throw new BatchRejectedError(this.system, 'too-large', message);
      if (error.status === 400 || error.status === 422) throw new BatchRejectedError(this.system, 'invalid-record', message);
      if (error.status === 413) throw new BatchRejectedError(this.system, 'too-large', message);
      throw new RequestRejectedError(this.system, error.status, message);
    }
  }

  private async call<T>(request: RequestOptions<T>): Promise<T> {
    await this.pacer.wait();
    return this.http.call(request);
  }

  /** 429s differ by policy (see hubspotRateLimitError). */
  private classifyError(status: number, body: unknown, headers: Headers): Error | undefined {
    return hubspotRateLimitError(status, body, headers, this.config.timeZone, this.now());
  }

  private requireBatchSize(size: number): void {
    if (size > hubspotLimits.batchSize) {
      throw new BatchRejectedError(this.system, 'too-large', `HubSpot batch requests take at most ${hubspotLimits.batchSize} records; got ${size}.`);
    }
  }

  // ---- values ----

  private readProperties(): string[] {
    const { archivedProperty } = this.config.products;
    return [...this.propertyNames, this.idProperty, ...(archivedProperty ? [archivedProperty] : [])];
  }

  /** HubSpot takes every value as a string; an empty string clears a property. */
  private toHubSpotValues(input: CrmProductInput): Record<string, string> {
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(input.properties)) values[name] = value === null ? '' : String(value);
    const { archivedProperty } = this.config.products;
    if (archivedProperty) values[archivedProperty] = String(input.archived ?? false);
    return values;
  }

  private toCrmRecord(object: HubSpotObject, types: Map<string, string>): CrmProductRecord {
    const { archivedProperty } = this.config.products;
    return {
      externalId: object.properties[this.idProperty]!,
      properties: Object.fromEntries(this.propertyNames.map((name) => [name, typedValue(object.properties[name], types.get(name))])),
      archived: archivedProperty ? object.properties[archivedProperty] === 'true' : false,
    };
  }

  private toRawProduct(object: HubSpotObject, types: Map<string, string>): RawPmsProduct {
    const modified = object.properties.hs_lastmodifieddate;
    if (!modified || Number.isNaN(Date.parse(modified))) {
      throw new InvalidResponseError(this.system, `${this.system} returned product ${object.id} without a valid hs_lastmodifieddate`);
    }
    const values = Object.fromEntries(Object.entries(object.properties).map(([name, value]) => [name, typedValue(value, types.get(name))]));
    return { ...values, id: object.id, updatedAt: new Date(Date.parse(modified)).toISOString() };
  }
}

/** The string HubSpot stores, as the type its property definition declares. */
function typedValue(value: string | null | undefined, type: string | undefined): CrmValue {
  if (value === null || value === undefined) return null;
  if (type === 'number') return value === '' ? null : Number(value);
  if (type === 'bool') return value === 'true';
  return value;
}

function errorFor(id: string, errors: Array<z.infer<typeof batchErrorSchema>> | undefined): string {
  const matching = errors?.find((e) => Object.values(e.context ?? {}).some((ids) => ids.includes(id)));
  const error = matching ?? errors?.[0];
  return error ? `${error.category}: ${error.message}` : 'HubSpot returned no result for this record';
}

