import { z } from 'zod';
import { byFeedPosition, isAfterCursor, type ChangeCursor } from '../shared/changeCursor';
import { BatchRejectedError, InvalidResponseError, RequestRejectedError } from '../shared/systemErrors';
import { HttpStatusError, HttpSystem, type AuthProvider, type HttpExchange, type SharedPacing } from './httpClient';
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
import { getPath, renderTemplate, renderUrlPath, setPath } from './recordPath';
import type { PaginationConfig, RestProductSinkConfig, RestProductSourceConfig } from './restConnectorConfig';
import type { RawPmsProduct } from '../domain/pmsProduct';

export interface RestConnection {
  system: string;
  baseUrl: string;
  auth: AuthProvider;
  timeoutMs: number;
  /** The pacer every connector of this system shares on a worker, when it declares a rate limit. */
  pacing?: SharedPacing;
}

const anyJson = z.unknown();
const crmValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const mappedRecordSchema = z
  .object({
    id: z.union([z.string().min(1), z.number()]).transform(String),
    updatedAt: z.union([z.string().min(1), z.number()]),
    deleted: z.boolean().optional(),
  })
  .loose();

function httpFor(connection: RestConnection): HttpSystem {
  const { system, baseUrl, auth, timeoutMs, pacing } = connection;
  return new HttpSystem({ system, baseUrl, auth, timeoutMs, ...pacing });
}

/** An instant from an ISO string, epoch seconds or epoch milliseconds, as an ISO string. */
function toIso(value: string | number): string | undefined {
  const ms = typeof value === 'number' ? (value < 1e11 ? value * 1000 : value) : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

function formatSince(iso: string, format: RestProductSourceConfig['sinceFormat']): string {
  const ms = Date.parse(iso);
  if (format === 'epoch-ms') return String(ms);
  if (format === 'epoch-s') return String(Math.floor(ms / 1000));
  return iso;
}

/** True when the record lies strictly after the cursor in (updatedAt, id) order. */
/** The URL of the `rel="next"` entry of an RFC 8288 Link header. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;(.*)/.exec(part.trim());
    if (match && /rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(match[2]!)) return match[1];
  }
  return undefined;
}

interface PageRequest {
  path: string;
  query: Record<string, string | number | undefined>;
}

/**
 * A product source over any REST list endpoint described by configuration: incremental parameter,
 * pagination style, where the records are and where each product field is in them.
 */
export class RestProductSource implements ProductSource {
  private readonly http: HttpSystem;
  readonly capabilities: ProductSourceCapabilities;

  constructor(
    connection: RestConnection,
    private readonly config: RestProductSourceConfig,
  ) {
    this.http = httpFor(connection);
    this.capabilities = {
      maxPageSize: config.maxPageSize,
      incremental: config.sinceParam !== undefined,
      reportsDeletes: config.reportsDeletes,
      settleMs: 0,
    };
  }

  get system(): string {
    return this.http.system;
  }

  async listChanged(cursor: ChangeCursor | null, limit: number): Promise<ProductPage> {
    const { config } = this;
    const collected: RawPmsProduct[] = [];
    let request: PageRequest | undefined = this.firstRequest(cursor, limit);
    let pages = 0;
    while (request) {
      if (pages >= config.maxPagesPerRead) {
        throw new InvalidResponseError(
          this.system,
          `${this.system} needed more than ${config.maxPagesPerRead} pages for one read (${config.ordered ? 'records sharing one timestamp' : 'an unordered feed is read to its end'}); raise productSource.maxPagesPerRead${config.afterIdParam ? '' : ' or set afterIdParam'}.`,
        );
      }
      const answer: HttpExchange<unknown> = await this.getPage(request);
      pages += 1;
      const page = this.recordsOf(answer.data, request.path).map((record) => this.toProduct(record));
      collected.push(...page.filter((product) => isAfterCursor(product, cursor)));
      request = this.nextRequest(request, answer, page.length, limit);
      // In a feed ordered by change time, once a page goes past the limit-th record's instant, every
      // record up to that instant has been seen: the page can be cut there without splitting a tie.
      if (config.ordered && collected.length >= limit) {
        const limitInstant = Date.parse([...collected].sort(byFeedPosition)[limit - 1]!.updatedAt);
        if (page.some((product) => Date.parse(product.updatedAt) > limitInstant)) break;
      }
    }
    const records = collected.sort(byFeedPosition);
    const page = records.slice(0, limit);
    const last = page.at(-1);
    return {
      records: page,
      nextCursor: last ? { since: last.updatedAt, afterId: last.id } : null,
      hasMore: records.length > limit || request !== undefined,
    };
  }

  /** Products by id through the configured get endpoint, or by scanning the feed when there is none. */
  async getByIds(ids: string[]): Promise<RawPmsProduct[]> {
    if (ids.length === 0) return [];
    const get = this.config.get;
    if (!get) return this.scanFor(ids);
    const found: RawPmsProduct[] = [];
    if (get.mode === 'single') {
      for (const id of ids) {
        const data = await this.readOne(renderUrlPath(get.path, { id }));
        if (data !== undefined) found.push(this.toProduct(getPath(data, get.recordPath)));
      }
      return found;
    }
    for (let start = 0; start < ids.length; start += get.maxBatch) {
      const part = ids.slice(start, start + get.maxBatch);
      const data = await this.http.call({
        method: get.method,
        path: get.path,
        ...(get.method === 'GET' ? {} : { body: renderTemplate(get.body, { ids: part }) }),
        schema: anyJson,
      });
      const records = getPath(data, get.recordsPath);
      if (!Array.isArray(records)) {
        throw new InvalidResponseError(
          this.system,
          `${this.system} answered ${get.path} without a list of records at '${get.recordsPath}'; check productSource.get.recordsPath.`,
        );
      }
      found.push(...records.map((record) => this.toProduct(record)));
    }
    return found;
  }

  /** Without a get endpoint: the whole feed, keeping the records asked for. */
  private async scanFor(ids: string[]): Promise<RawPmsProduct[]> {
    const wanted = new Set(ids);
    const found = new Map<string, RawPmsProduct>();
    let cursor: ChangeCursor | null = null;
    for (;;) {
      const page = await this.listChanged(cursor, this.config.maxPageSize);
      for (const record of page.records) if (wanted.has(record.id)) found.set(record.id, record);
      if (!page.hasMore || !page.nextCursor || found.size === wanted.size) return [...found.values()];
      cursor = page.nextCursor;
    }
  }

  private async readOne(path: string): Promise<unknown> {
    try {
      return await this.http.request({ method: 'GET', path, schema: anyJson });
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === 404) return undefined;
      if (error instanceof HttpStatusError) throw new RequestRejectedError(this.system, error.status, error.message);
      throw error;
    }
  }

  private async getPage(request: PageRequest): Promise<HttpExchange<unknown>> {
    try {
      return await this.http.exchange({ method: 'GET', path: request.path, query: request.query, schema: anyJson });
    } catch (error) {
      if (error instanceof HttpStatusError) throw new RequestRejectedError(this.system, error.status, error.message);
      throw error;
    }
  }

  private firstRequest(cursor: ChangeCursor | null, limit: number): PageRequest {
    const { config } = this;
    const query: PageRequest['query'] = { ...stringValues(config.query) };
    if (config.limitParam) query[config.limitParam] = Math.min(limit, config.maxPageSize);
    if (cursor && config.sinceParam) query[config.sinceParam] = formatSince(cursor.since, config.sinceFormat);
    if (cursor && config.afterIdParam) query[config.afterIdParam] = cursor.afterId;
    if (config.pagination.type === 'page') query[config.pagination.param] = config.pagination.first;
    if (config.pagination.type === 'offset') query[config.pagination.param] = 0;
    return { path: config.path, query };
  }

  private nextRequest(previous: PageRequest, answer: HttpExchange<unknown>, received: number, limit: number): PageRequest | undefined {
    const pagination: PaginationConfig = this.config.pagination;
    const pageSize = this.config.limitParam ? Math.min(limit, this.config.maxPageSize) : this.config.maxPageSize;
    switch (pagination.type) {
      case 'none':
        return undefined;
      case 'cursor': {
        if (pagination.hasMorePath && getPath(answer.data, pagination.hasMorePath) !== true) return undefined;
        const query = { ...previous.query };
        for (const [param, valuePath] of Object.entries(pagination.params)) {
          const value = getPath(answer.data, valuePath);
          if (typeof value !== 'string' && typeof value !== 'number') return undefined;
          if (value === '') return undefined;
          query[param] = String(value);
        }
        return { path: previous.path, query };
      }
      case 'page':
        return received < pageSize
          ? undefined
          : { path: previous.path, query: { ...previous.query, [pagination.param]: Number(previous.query[pagination.param]) + 1 } };
      case 'offset':
        return received < pageSize
          ? undefined
          : { path: previous.path, query: { ...previous.query, [pagination.param]: Number(previous.query[pagination.param]) + received } };
      case 'link-header': {
        const next = nextLink(answer.headers.get('link'));
        return next ? { path: next, query: {} } : undefined;
      }
      case 'next-url': {
        const next = getPath(answer.data, pagination.path);
        return typeof next === 'string' && next !== '' ? { path: next, query: {} } : undefined;
      }
    }
  }

  private recordsOf(data: unknown, path: string): unknown[] {
    const records = getPath(data, this.config.recordsPath);
    if (!Array.isArray(records)) {
      throw new InvalidResponseError(
        this.system,
        `${this.system} answered GET ${path.split('?')[0]} without a list of records at '${this.config.recordsPath}'; check productSource.recordsPath in the configuration.`,
      );
    }
    return records;
  }

  /** The vendor record with the configured fields moved to where the bridge expects them. */
  private toProduct(record: unknown): RawPmsProduct {
    const mapped: Record<string, unknown> =
      record !== null && typeof record === 'object' ? structuredClone(record as Record<string, unknown>) : {};
    for (const [field, sourcePath] of Object.entries(this.config.fields)) setPath(mapped, field, getPath(record, sourcePath));
    const keys = mappedRecordSchema.safeParse(mapped);
    const updatedAt = keys.success ? toIso(keys.data.updatedAt) : undefined;
    if (!keys.success || !updatedAt) {
      throw new InvalidResponseError(
        this.system,
        `${this.system} handed out a record without a usable id and updatedAt (after the field mapping); check productSource.fields.id and productSource.fields.updatedAt.`,
      );
    }
    return { ...keys.data, id: keys.data.id, updatedAt };
  }
}

function stringValues(query: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).map(([key, value]) => [key, String(value)]));
}

/**
 * A product sink over any REST API described by configuration: batch or single reads and writes,
 * body shapes from templates, and a count endpoint for the change guard.
 */
export class RestProductSink implements ProductSink {
  private readonly http: HttpSystem;
  readonly capabilities: ProductSinkCapabilities;

  constructor(
    connection: RestConnection,
    private readonly config: RestProductSinkConfig,
  ) {
    this.http = httpFor(connection);
    this.capabilities = {
      maxWriteBatch: config.write.mode === 'batch' ? config.write.maxBatch : 25,
      maxReadBatch: config.read.mode === 'batch' ? config.read.maxBatch : 25,
      upsert: 'native',
      archives: config.archives,
    };
  }

  get system(): string {
    return this.http.system;
  }

  async readByExternalIds(externalIds: string[]): Promise<CrmProductRecord[]> {
    if (externalIds.length === 0) return [];
    const { read } = this.config;
    if (read.mode === 'batch') {
      const data = await this.http.call({
        method: read.method,
        path: read.path,
        ...(read.method === 'GET' ? {} : { body: renderTemplate(read.body, { externalIds }) }),
        schema: anyJson,
      });
      const records = getPath(data, read.recordsPath);
      if (!Array.isArray(records)) throw this.shapeError(`a list of records at '${read.recordsPath}'`, 'productSink.read.recordsPath');
      const wanted = new Set(externalIds);
      return records.map((record) => this.toRecord(record)).filter((record) => wanted.has(record.externalId));
    }
    const found: CrmProductRecord[] = [];
    for (const externalId of externalIds) {
      const record = await this.readOne(renderUrlPath(read.path, { externalId }));
      if (record !== undefined) found.push(this.toRecord(getPath(record, read.recordPath)));
    }
    return found;
  }

  async upsertBatch(inputs: CrmProductInput[]): Promise<UpsertResult[]> {
    if (inputs.length === 0) return [];
    const { write } = this.config;
    if (write.mode === 'single') {
      const results: UpsertResult[] = [];
      for (const input of inputs) results.push(await this.writeOne(input));
      return results;
    }
    const records = inputs.map((input) => renderTemplate(write.record, this.variables(input)));
    const data = await this.mapWriteErrors(() =>
      this.http.request({ method: write.method, path: write.path, body: renderTemplate(write.body, { records }), schema: anyJson }),
    );
    if (!write.resultsPath) return inputs.map(({ externalId }) => ({ externalId, created: false }));
    const results = getPath(data, write.resultsPath);
    if (!Array.isArray(results) || results.length !== inputs.length) {
      throw this.shapeError(`one result per record at '${write.resultsPath}'`, 'productSink.write.resultsPath');
    }
    return inputs.map(({ externalId }, index) => ({
      externalId,
      created: write.createdPath ? getPath(results[index], write.createdPath) === true : false,
    }));
  }

  async count(): Promise<number> {
    const { count } = this.config;
    const data = await this.http.call({ method: 'GET', path: count.path, query: stringValues(count.query), schema: anyJson });
    const total = z.coerce.number().int().nonnegative().safeParse(getPath(data, count.totalPath));
    if (!total.success) throw this.shapeError(`a record count at '${count.totalPath}'`, 'productSink.count.totalPath');
    return total.data;
  }

  private variables(input: CrmProductInput): Record<string, unknown> {
    return { externalId: input.externalId, properties: input.properties, archived: input.archived ?? false, record: input };
  }

  private async readOne(path: string): Promise<unknown> {
    try {
      return await this.http.request({ method: 'GET', path, schema: anyJson });
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === 404) return undefined;
      if (error instanceof HttpStatusError) throw new RequestRejectedError(this.system, error.status, error.message);
      throw error;
    }
  }

  private async writeOne(input: CrmProductInput): Promise<UpsertResult> {
    const write = this.config.write;
    if (write.mode !== 'single') throw new Error('writeOne needs a single-record write configuration');
    const answer = await this.mapWriteErrors(() =>
      this.http.exchange({
        method: write.method,
        path: renderUrlPath(write.path, { externalId: input.externalId }),
        body: renderTemplate(write.body, this.variables(input)),
        schema: anyJson,
      }),
    );
    const created = write.createdPath ? getPath(answer.data, write.createdPath) === true : answer.status === 201;
    return { externalId: input.externalId, created };
  }

  /** A refused write names the records at fault (400/422) or the size (413): the caller splits. */
  private async mapWriteErrors<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof HttpStatusError)) throw error;
      if (error.status === 400 || error.status === 422) throw new BatchRejectedError(this.system, 'invalid-record', error.message);
      if (error.status === 413) throw new BatchRejectedError(this.system, 'too-large', error.message);
      throw new RequestRejectedError(this.system, error.status, error.message);
    }
  }

  private toRecord(raw: unknown): CrmProductRecord {
    const { record } = this.config;
    const externalId = getPath(raw, record.externalId);
    const properties = z.record(z.string(), crmValue).safeParse(getPath(raw, record.properties));
    const archived = record.archived ? getPath(raw, record.archived) : false;
    if (
      (typeof externalId !== 'string' && typeof externalId !== 'number') ||
      !properties.success ||
      typeof (archived ?? false) !== 'boolean'
    ) {
      throw this.shapeError('records with an external id, flat properties and an archived flag', 'productSink.record');
    }
    return { externalId: String(externalId), properties: properties.data, archived: (archived as boolean | undefined) ?? false };
  }

  private shapeError(expected: string, setting: string): InvalidResponseError {
    return new InvalidResponseError(this.system, `${this.system} answered without ${expected}; check ${setting} in the configuration.`);
  }
}
