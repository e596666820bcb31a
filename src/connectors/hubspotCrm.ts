import { z } from 'zod';
import type { ChangeCursor } from '../shared/changeCursor';
import { BatchRejectedError, InvalidResponseError, RequestRejectedError } from '../shared/systemErrors';
import type { CrmValue } from '../domain/fieldMapping';
import type { RawPmsProduct } from '../domain/pmsProduct';
import type { HubSpotSystemConfig } from './hubspotConfig';
import { HttpStatusError, type SharedPacing } from './httpClient';
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
import { HubSpotApi, hubspotApiLimits, hubspotObjectSchema, type HubSpotObject } from './hubspotApi';

/**
 * HubSpot CRM products through the v3 object API, with the thin typed client in hubspotApi.ts
 * rather than @hubspot/api-client (which needs Node 22 and retries on its own, fighting Temporal's
 * retries). Limits: https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
 */

const hubspotLimits = hubspotApiLimits;

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
const propertySchema = z.object({ name: z.string(), type: z.string(), hasUniqueValue: z.boolean().optional() });
const errorBodySchema = z
  .object({ message: z.string().optional(), category: z.string().optional(), policyName: z.string().optional() })
  .loose();

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
  private readonly api: HubSpotApi;
  private readonly config: HubSpotSystemConfig;
  private readonly idProperty: string;
  private readonly propertyNames: string[];
  private setup: Promise<{ path: UpsertPath; types: Map<string, string> }> | undefined;
  private upsertPath: UpsertPath = 'batch-upsert';
  /**
   * Search-then-write: the HubSpot record id of each PMS id this connector has found or created.
   * Search shows a write only seconds later, so a record written a moment ago is read back by its
   * record id (batch read sees it at once) instead of being searched for, found missing and created again.
   */
  private readonly recordIds = new Map<string, string>();

  readonly sourceCapabilities: ProductSourceCapabilities;

  constructor(connection: HubSpotConnection) {
    this.config = connection.config;
    this.idProperty = connection.config.products.idProperty;
    this.propertyNames = connection.propertyNames;
    this.sourceCapabilities = { maxPageSize: 1000, incremental: true, reportsDeletes: false, settleMs: connection.config.changeSettleMs };
    this.api = new HubSpotApi({
      baseUrl: connection.baseUrl,
      token: connection.token,
      config: connection.config,
      ...(connection.now ? { now: connection.now } : {}),
      ...(connection.searchResultCap ? { searchResultCap: connection.searchResultCap } : {}),
      ...(connection.pacing ? { pacing: connection.pacing } : {}),
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
    const objects = path === 'batch-upsert' ? await this.batchRead(externalIds) : [...(await this.lookUp(externalIds)).values()];
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
    const page = await this.api.search('products', {
      filterGroups: [{ filters: [{ propertyName: this.idProperty, operator: 'HAS_PROPERTY' }] }],
      limit: 1,
    });
    return page.total;
  }

  // ---- ProductSource: products changed since the cursor, by hs_lastmodifieddate ----

  async listChanged(cursor: ChangeCursor | null, limit: number): Promise<ProductPage> {
    const { types } = await this.ensureSetup();
    const page = await this.api.searchChanges('products', {
      cursor,
      limit,
      filters: [],
      properties: [...this.propertyNames, this.idProperty],
      key: (o) => o.id,
      settleMs: this.sourceCapabilities.settleMs,
    });
    return { ...page, records: page.records.map((o) => this.toRawProduct(o, o.updatedAt, types)) };
  }

  /** Products by HubSpot record id, 100 a request; unknown ones are absent. */
  async getByIds(ids: string[]): Promise<RawPmsProduct[]> {
    const { types } = await this.ensureSetup();
    const found = await this.api.batchRead('products', ids, [...this.propertyNames, this.idProperty, 'hs_lastmodifieddate']);
    return found.map((o) => this.toRawProduct(o, o.properties.hs_lastmodifieddate, types));
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
    let definitions = await this.api.properties('products');
    if (!definitions.has(this.idProperty)) {
      if (!products.createIdProperty) throw this.missingProperties([this.idProperty]);
      await this.createIdProperty(products.upsert !== 'search-then-write');
      definitions = await this.api.properties('products');
    }
    const types = new Map([...definitions.values()].map((p) => [p.name, p.type]));
    const missing = [...this.propertyNames, ...(products.archivedProperty ? [products.archivedProperty] : [])].filter(
      (name) => !types.has(name),
    );
    if (missing.length > 0) throw this.missingProperties(missing);
    const unique = definitions.get(this.idProperty)?.hasUniqueValue === true;
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
    const definition = {
      name: this.idProperty,
      label: 'PMS id (crm-pms-bridge)',
      type: 'string',
      fieldType: 'text',
      groupName: 'productinformation',
    };
    try {
      await this.api.request({
        method: 'POST',
        path: '/crm/v3/properties/products',
        body: { ...definition, hasUniqueValue: unique },
        schema: propertySchema,
      });
    } catch (error) {
      if (!(error instanceof HttpStatusError)) throw error;
      if (error.status === 409) return;
      if (error.status === 400 && unique) {
        // Not every account accepts unique product properties: fall back to a plain one.
        await this.api.call({
          method: 'POST',
          path: '/crm/v3/properties/products',
          body: { ...definition, hasUniqueValue: false },
          schema: propertySchema,
        });
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

  private batchRead(externalIds: string[]): Promise<HubSpotObject[]> {
    return this.api.batchRead('products', externalIds, this.readProperties(), this.idProperty);
  }

  /**
   * Results come in no guaranteed order: each is matched to its input by the id property, sent
   * inside `properties` so HubSpot returns it. Never by position.
   */
  private async batchUpsert(inputs: CrmProductInput[]): Promise<UpsertResult[]> {
    const body = {
      inputs: inputs.map((input) => ({
        idProperty: this.idProperty,
        id: input.externalId,
        properties: { ...this.toHubSpotValues(input), [this.idProperty]: input.externalId },
      })),
    };
    const response = await this.write('/crm/v3/objects/products/batch/upsert', body);
    const written = new Map(response.results.map((o) => [o.properties[this.idProperty], o.new === true]));
    return inputs.map((input) => {
      const created = written.get(input.externalId);
      if (created !== undefined) return { externalId: input.externalId, created };
      return { externalId: input.externalId, created: false, error: errorFor(input.externalId, response.errors) };
    });
  }

  // ---- search-then-write path ----

  /**
   * The products carrying these PMS ids, by PMS id: those this connector wrote or found before by
   * their record id (batch read sees a write at once), the rest through search, whose IN matches
   * regardless of case; only exact matches count.
   */
  private async lookUp(externalIds: string[]): Promise<Map<string, HubSpotObject>> {
    const found = new Map<string, HubSpotObject>();
    const known = externalIds.filter((id) => this.recordIds.has(id));
    const byRecordId = await this.api.batchRead(
      'products',
      known.map((id) => this.recordIds.get(id)!),
      this.readProperties(),
    );
    for (const object of byRecordId) found.set(object.properties[this.idProperty] ?? '', object);
    for (const id of known) if (!found.has(id)) this.recordIds.delete(id);
    const unknown = externalIds.filter((id) => !found.has(id));
    if (unknown.length > 0) {
      const searched = await this.api.searchAll(
        'products',
        [{ propertyName: this.idProperty, operator: 'IN', values: unknown, stringProperty: true }],
        this.readProperties(),
      );
      const wanted = new Set(unknown);
      for (const object of searched) {
        const externalId = object.properties[this.idProperty] ?? '';
        if (wanted.has(externalId)) found.set(externalId, object);
      }
    }
    for (const [externalId, object] of found) this.recordIds.set(externalId, object.id);
    return found;
  }

  private async searchThenWrite(inputs: CrmProductInput[]): Promise<UpsertResult[]> {
    const existing = await this.lookUp(inputs.map((i) => i.externalId));
    const hubspotId = new Map([...existing].map(([externalId, o]) => [externalId, o.id]));
    const toUpdate = inputs.filter((i) => hubspotId.has(i.externalId));
    const toCreate = inputs.filter((i) => !hubspotId.has(i.externalId));
    const results = new Map<string, UpsertResult>();
    if (toUpdate.length > 0) {
      const body = { inputs: toUpdate.map((i) => ({ id: hubspotId.get(i.externalId)!, properties: this.toHubSpotValues(i) })) };
      const response = await this.write('/crm/v3/objects/products/batch/update', body);
      const updated = new Set(response.results.map((o) => o.id));
      for (const input of toUpdate) {
        results.set(
          input.externalId,
          updated.has(hubspotId.get(input.externalId)!)
            ? { externalId: input.externalId, created: false }
            : { externalId: input.externalId, created: false, error: errorFor(hubspotId.get(input.externalId)!, response.errors) },
        );
      }
    }
    if (toCreate.length > 0) {
      const body = { inputs: toCreate.map((i) => ({ properties: { ...this.toHubSpotValues(i), [this.idProperty]: i.externalId } })) };
      const response = await this.write('/crm/v3/objects/products/batch/create', body);
      for (const o of response.results) if (o.properties[this.idProperty]) this.recordIds.set(o.properties[this.idProperty]!, o.id);
      const created = new Set(response.results.map((o) => o.properties[this.idProperty]));
      for (const input of toCreate) {
        results.set(
          input.externalId,
          created.has(input.externalId)
            ? { externalId: input.externalId, created: true }
            : { externalId: input.externalId, created: false, error: errorFor(input.externalId, response.errors) },
        );
      }
    }
    return inputs.map((input) => results.get(input.externalId)!);
  }

  // ---- HTTP ----

  private async write(path: string, body: unknown): Promise<z.infer<typeof batchResponseSchema>> {
    try {
      return await this.api.request({ method: 'POST', path, body, schema: batchResponseSchema });
    } catch (error) {
      if (!(error instanceof HttpStatusError)) throw error;
      const detail = errorBodySchema.safeParse(error.body);
      const message = detail.success ? (detail.data.message ?? error.message) : error.message;
      if (error.status === 400 && /non-unique/i.test(message)) {
        throw new RequestRejectedError(
          this.system,
          400,
          `${message}. The id property must be unique: set products.upsert to search-then-write or recreate it with hasUniqueValue.`,
        );
      }
      if (error.status === 400 && /batch limit|too many inputs/i.test(message))
        throw new BatchRejectedError(this.system, 'too-large', message);
      if (error.status === 400 || error.status === 422) throw new BatchRejectedError(this.system, 'invalid-record', message);
      if (error.status === 413) throw new BatchRejectedError(this.system, 'too-large', message);
      throw new RequestRejectedError(this.system, error.status, message);
    }
  }

  private requireBatchSize(size: number): void {
    if (size > hubspotLimits.batchSize) {
      throw new BatchRejectedError(
        this.system,
        'too-large',
        `HubSpot batch requests take at most ${hubspotLimits.batchSize} records; got ${size}.`,
      );
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

  private toRawProduct(object: HubSpotObject, modified: string | null | undefined, types: Map<string, string>): RawPmsProduct {
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
