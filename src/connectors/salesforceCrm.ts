import { z } from 'zod';
import { byFeedPosition, isAfterCursor, type ChangeCursor } from '../shared/changeCursor';
import type { CrmProperties, CrmValue } from '../domain/fieldMapping';
import type { RawPmsProduct } from '../domain/pmsProduct';
import { BatchRejectedError, InvalidResponseError } from '../shared/systemErrors';
import type { AuthProvider, RequestOptions, SharedPacing } from './httpClient';
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
import {
  describeErrors,
  SalesforceApi,
  salesforceApiLimits,
  saveResultsSchema,
  soqlDateTime,
  type QueryRecord,
  type SaveResult,
} from './salesforceApi';
import { bulkUpsert } from './salesforceBulk';
import type { SalesforceSystemConfig } from './salesforceConfig';
import { chunk } from '../shared/chunk';

/**
 * Salesforce products (Product2, with the price on a PricebookEntry) through the REST API, with
 * the thin typed client in salesforceApi.ts.
 */

const salesforceLimits = {
  /** Records per sObject Collections request. */
  collectionSize: salesforceApiLimits.collectionSize,
  /** Days the deleted-records resource looks back. */
  deletedLookbackDays: 15,
} as const;

const deletedResponseSchema = z.object({
  deletedRecords: z.array(z.object({ id: z.string().min(15), deletedDate: z.string() })),
  earliestDateAvailable: z.string().optional(),
  latestDateCovered: z.string().optional(),
});

export interface SalesforceConnection {
  auth: AuthProvider;
  config: SalesforceSystemConfig;
  /** The Product2 fields the bridge owns (the sync's mapping keys). */
  propertyNames: string[];
  now?: () => number;
  /** The org's shared pacer (systems.<name>.rateLimit). */
  pacing?: SharedPacing;
}

export class SalesforceCrm implements ProductSink, ProductSource {
  readonly system = 'Salesforce';
  private readonly api: SalesforceApi;
  private readonly config: SalesforceSystemConfig;
  private readonly now: () => number;
  private readonly productFields: string[];

  constructor(connection: SalesforceConnection) {
    this.config = connection.config;
    this.now = connection.now ?? Date.now;
    const priceProperty = this.config.products.pricebook?.priceProperty;
    this.productFields = connection.propertyNames.filter((name) => name !== priceProperty);
    this.api = new SalesforceApi({
      auth: connection.auth,
      config: this.config,
      queryBatchSize: this.config.products.queryBatchSize,
      now: this.now,
      ...(connection.pacing ? { pacing: connection.pacing } : {}),
    });
  }

  get capabilities(): ProductSinkCapabilities & ProductSourceCapabilities {
    return {
      maxWriteBatch: this.config.products.bulk?.maxRecords ?? salesforceLimits.collectionSize,
      maxReadBatch: salesforceLimits.collectionSize,
      upsert: 'native',
      archives: true,
      maxPageSize: 2000,
      incremental: true,
      reportsDeletes: this.config.products.reportDeletes,
      // SOQL reads committed data: a record is visible with its SystemModstamp once saved.
      settleMs: 0,
    };
  }

  private get base(): string {
    return this.api.base;
  }

  private get externalIdField(): string {
    return this.config.products.externalIdField;
  }

  // ---- ProductSink ----

  async readByExternalIds(externalIds: string[]): Promise<CrmProductRecord[]> {
    if (externalIds.length === 0) return [];
    this.requireCollectionSize(externalIds.length);
    const fields = [...new Set(['Id', this.externalIdField, 'IsActive', ...this.productFields])];
    const products = await this.api.queryIn(
      (inList) => `SELECT ${fields.join(', ')} FROM Product2 WHERE ${this.externalIdField} IN (${inList})`,
      externalIds,
    );
    const prices = await this.readPrices(externalIds);
    const priceProperty = this.config.products.pricebook?.priceProperty;
    return products.map((record) => {
      const externalId = String(record[this.externalIdField]);
      const properties: CrmProperties = Object.fromEntries(this.productFields.map((f) => [f, toCrmValue(record[f])]));
      if (priceProperty) properties[priceProperty] = prices.get(externalId)?.UnitPrice ?? null;
      return { externalId, properties, archived: record.IsActive === false };
    });
  }

  /**
   * Upsert by external id: through sObject Collections, 200 a request, or through one Bulk API 2.0
   * job when the write has at least products.bulk.minRecords products.
   */
  async upsertBatch(inputs: CrmProductInput[], onProgress?: () => void): Promise<UpsertResult[]> {
    if (inputs.length === 0) return [];
    this.requireWriteSize(inputs.length);
    const priceProperty = this.config.products.pricebook?.priceProperty;
    const records = inputs.map((input) => ({
      attributes: { type: 'Product2' },
      ...Object.fromEntries(Object.entries(input.properties).filter(([name]) => name !== priceProperty)),
      [this.externalIdField]: input.externalId,
      // The bridge's archived flag is Product2.IsActive: Salesforce's own way to retire a product.
      IsActive: !(input.archived ?? false),
    }));
    const { bulk } = this.config.products;
    const results =
      bulk && inputs.length >= bulk.minRecords ? await this.bulkWrite(records, bulk, onProgress) : await this.collectionsWrite(records);
    if (results.length !== inputs.length) throw this.shapeError('one result per record');
    const outcome: UpsertResult[] = inputs.map((input, index) => {
      const result = results[index]!;
      return result.success
        ? { externalId: input.externalId, created: result.created === true }
        : { externalId: input.externalId, created: false, error: describeErrors(result.errors) };
    });
    if (this.config.products.pricebook) await this.writePrices(inputs, results, outcome);
    return outcome;
  }

  private async collectionsWrite(records: Array<Record<string, unknown>>): Promise<SaveResult[]> {
    const results: SaveResult[] = [];
    for (const part of chunk(records, salesforceLimits.collectionSize)) {
      const answer = await this.send({
        method: 'PATCH',
        path: `${this.base}/composite/sobjects/Product2/${this.externalIdField}`,
        body: { allOrNone: false, records: part },
        schema: saveResultsSchema,
      });
      if (answer.length !== part.length) throw this.shapeError('one result per record');
      results.push(...answer);
    }
    return results;
  }

  /** One ingest job; its per-record results are put back in the order of the inputs. */
  private async bulkWrite(
    records: Array<Record<string, unknown>>,
    bulk: NonNullable<SalesforceSystemConfig['products']['bulk']>,
    onProgress: (() => void) | undefined,
  ): Promise<SaveResult[]> {
    const byExternalId = await bulkUpsert(this.api, {
      object: 'Product2',
      externalIdField: this.externalIdField,
      records: records.map(({ attributes: _type, ...fields }) => fields),
      pollIntervalMs: bulk.pollIntervalMs,
      maxWaitMs: bulk.maxWaitMs,
      now: this.now,
      ...(onProgress ? { onProgress } : {}),
    });
    return records.map(
      (record) =>
        byExternalId.get(String(record[this.externalIdField])) ?? {
          id: null,
          success: false,
          errors: [{ statusCode: 'NO_RESULT', message: 'the Bulk API job returned no result for this record' }],
        },
    );
  }

  async count(): Promise<number> {
    const answer = await this.query(`SELECT COUNT() FROM Product2 WHERE ${this.externalIdField} != null`);
    return answer.totalSize;
  }

  // ---- PricebookEntry: lookup-then-write, since Pricebook2Id and Product2Id are create-only ----

  private priceKey(externalId: string): string {
    return `${externalId}|${this.config.products.pricebook!.pricebook2Id}`;
  }

  private async readPrices(externalIds: string[]): Promise<Map<string, { Id: string; UnitPrice: CrmValue }>> {
    const pricebook = this.config.products.pricebook;
    const prices = new Map<string, { Id: string; UnitPrice: CrmValue }>();
    if (!pricebook) return prices;
    const entries = await this.api.queryIn(
      (inList) => `SELECT Id, UnitPrice, ${pricebook.keyField} FROM PricebookEntry WHERE ${pricebook.keyField} IN (${inList})`,
      externalIds.map((id) => this.priceKey(id)),
    );
    for (const entry of entries) {
      const key = String(entry[pricebook.keyField]);
      prices.set(key.slice(0, key.lastIndexOf('|')), { Id: entry.Id, UnitPrice: toCrmValue(entry.UnitPrice) });
    }
    return prices;
  }

  private async writePrices(inputs: CrmProductInput[], results: SaveResult[], outcome: UpsertResult[]): Promise<void> {
    const pricebook = this.config.products.pricebook!;
    const priced = inputs
      .map((input, index) => ({ input, index, productId: results[index]!.id, price: input.properties[pricebook.priceProperty] }))
      .filter((p) => results[p.index]!.success && p.productId && typeof p.price === 'number');
    if (priced.length === 0) return;
    const existing = await this.readPrices(priced.map((p) => p.input.externalId));
    const updates = priced.filter((p) => existing.has(p.input.externalId));
    const creates = priced.filter((p) => !existing.has(p.input.externalId));
    const write = async (method: 'POST' | 'PATCH', all: typeof priced, record: (p: (typeof priced)[number]) => Record<string, unknown>) => {
      for (const batch of chunk(all, salesforceLimits.collectionSize)) await writeOne(method, batch, record);
    };
    const writeOne = async (
      method: 'POST' | 'PATCH',
      batch: typeof priced,
      record: (p: (typeof priced)[number]) => Record<string, unknown>,
    ) => {
      const answers = await this.send({
        method,
        path: `${this.base}/composite/sobjects`,
        body: { allOrNone: false, records: batch.map((p) => ({ attributes: { type: 'PricebookEntry' }, ...record(p) })) },
        schema: saveResultsSchema,
      });
      batch.forEach((p, i) => {
        const answer = answers[i];
        if (!answer?.success)
          outcome[p.index] = { ...outcome[p.index]!, error: `price: ${answer ? describeErrors(answer.errors) : 'no result'}` };
      });
    };
    await write('PATCH', updates, (p) => ({ Id: existing.get(p.input.externalId)!.Id, UnitPrice: p.price, IsActive: true }));
    await write('POST', creates, (p) => ({
      Pricebook2Id: pricebook.pricebook2Id,
      Product2Id: p.productId,
      UnitPrice: p.price,
      IsActive: true,
      [pricebook.keyField]: this.priceKey(p.input.externalId),
    }));
  }

  // ---- ProductSource: SOQL on SystemModstamp, plus the deleted-records resource ----

  async listChanged(cursor: ChangeCursor | null, limit: number): Promise<ProductPage> {
    const since = cursor ? Date.parse(cursor.since) : undefined;
    const fields = [...new Set(['Id', 'SystemModstamp', ...this.config.products.sourceFields])];
    const where = since === undefined ? '' : ` WHERE SystemModstamp >= ${soqlDateTime(since)}`;
    const collected: RawPmsProduct[] = [];
    let answer = await this.query(`SELECT ${fields.join(', ')} FROM Product2${where} ORDER BY SystemModstamp, Id`);
    for (;;) {
      collected.push(...answer.records.map((r) => this.toRawProduct(r)).filter((r) => isAfterCursor(r, cursor)));
      if (answer.done || !answer.nextRecordsUrl) break;
      // Enough, and the page went past the limit-th instant: a tie on the timestamp is never cut.
      const sorted = [...collected].sort(byFeedPosition);
      const lastOnPage = answer.records.at(-1)?.SystemModstamp;
      if (sorted.length >= limit && typeof lastOnPage === 'string' && Date.parse(lastOnPage) > Date.parse(sorted[limit - 1]!.updatedAt)) {
        answer = { ...answer, done: false };
        break;
      }
      answer = await this.api.nextPage(answer.nextRecordsUrl);
    }
    const exhausted = answer.done;
    if (this.config.products.reportDeletes) {
      const cutoff = exhausted ? Infinity : Math.max(...collected.map((r) => Date.parse(r.updatedAt)));
      for (const gone of await this.deletedSince(since))
        if (isAfterCursor(gone, cursor) && Date.parse(gone.updatedAt) <= cutoff) collected.push(gone);
    }
    const records = collected.sort(byFeedPosition);
    const page = records.slice(0, limit);
    const last = page.at(-1);
    return {
      records: page,
      nextCursor: last ? { since: last.updatedAt, afterId: last.id } : null,
      hasMore: records.length > limit || !exhausted,
    };
  }

  /** Product2 records by Salesforce Id, 200 a query; unknown (and deleted) ones are absent. */
  async getByIds(ids: string[]): Promise<RawPmsProduct[]> {
    const fields = [...new Set(['Id', 'SystemModstamp', ...this.config.products.sourceFields])];
    const found: RawPmsProduct[] = [];
    const records = await this.api.queryIn((inList) => `SELECT ${fields.join(', ')} FROM Product2 WHERE Id IN (${inList})`, ids);
    found.push(...records.map((r) => this.toRawProduct(r)));
    return found;
  }

  private async deletedSince(since: number | undefined): Promise<RawPmsProduct[]> {
    const end = this.now();
    const earliest = end - salesforceLimits.deletedLookbackDays * 86_400_000 + 60_000;
    const start = Math.max(since ?? earliest, earliest);
    const answer = await this.send({
      method: 'GET',
      path: `${this.base}/sobjects/Product2/deleted/`,
      query: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
      schema: deletedResponseSchema,
    });
    return answer.deletedRecords.map((d) => ({ id: d.id, updatedAt: new Date(Date.parse(d.deletedDate)).toISOString(), deleted: true }));
  }

  private toRawProduct(record: QueryRecord): RawPmsProduct {
    const modified = typeof record.SystemModstamp === 'string' ? Date.parse(record.SystemModstamp) : NaN;
    if (Number.isNaN(modified)) throw this.shapeError(`a SystemModstamp on record ${record.Id}`);
    const fields: Record<string, unknown> = { ...record };
    delete fields.attributes;
    return { ...fields, id: record.Id, updatedAt: new Date(modified).toISOString() };
  }

  // ---- HTTP ----

  private query(soql: string) {
    return this.api.query(soql);
  }

  private queryAll(soql: string): Promise<QueryRecord[]> {
    return this.api.queryAll(soql);
  }

  private send<T>(request: RequestOptions<T>): Promise<T> {
    return this.api.send(request);
  }

  private requireCollectionSize(size: number): void {
    if (size > salesforceLimits.collectionSize) {
      throw new BatchRejectedError(
        this.system,
        'too-large',
        `Salesforce sObject Collections take at most ${salesforceLimits.collectionSize} records; got ${size}.`,
      );
    }
  }

  private requireWriteSize(size: number): void {
    const max = this.capabilities.maxWriteBatch;
    if (size > max)
      throw new BatchRejectedError(
        this.system,
        'too-large',
        `Salesforce writes take at most ${max} records here (products.bulk.maxRecords, or 200 without bulk); got ${size}.`,
      );
  }

  private shapeError(expected: string): InvalidResponseError {
    return new InvalidResponseError(this.system, `Salesforce answered without ${expected}`);
  }
}

function toCrmValue(value: unknown): CrmValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}
