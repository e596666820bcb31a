import { chunk } from '../shared/chunk';
import type { CrmAccount, CrmContact } from '../domain/crmDemand';
import type { ChangeCursor } from '../shared/changeCursor';
import type { ChangePage, FeedRecord } from './changeFeed';
import type { DemandLinkSink, DemandLinkUpdate, DemandSource } from './demandConnectors';
import { RequestRejectedError, SystemUnavailableError } from '../shared/systemErrors';
import { describeErrors, salesforceApiLimits, saveResultsSchema, soqlString, type QueryRecord, type SalesforceApi } from './salesforceApi';
import type { SalesforceSystemConfig } from './salesforceConfig';

/**
 * Customer demands as Salesforce Cases: each Case names its products (SKUs) in a field, its
 * Account and Contact come from the Case's own lookups, and the bridge writes the PMS requirement
 * and its status back onto two custom Case fields. Orders are Orders in a counting status, their
 * OrderItems the quantities.
 * Case: https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_case.htm
 * Order, OrderItem: https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_order.htm
 */
export class SalesforceDemands implements DemandSource, DemandLinkSink {
  readonly system = 'Salesforce';
  /** SOQL reads committed data: a Case or Order is visible with its SystemModstamp once saved. */
  readonly settleMs = 0;
  /** sObject Collections take at most 200 records. */
  readonly maxLinkBatch = salesforceApiLimits.collectionSize;
  private readonly demands: SalesforceSystemConfig['demands'];
  private readonly productIdField: string;
  private setup: Promise<void> | undefined;

  constructor(
    private readonly api: SalesforceApi,
    config: Pick<SalesforceSystemConfig, 'demands' | 'products'>,
  ) {
    this.demands = config.demands;
    this.productIdField = config.products.externalIdField;
  }

  // ---- DemandSource ----

  async listDemandChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<FeedRecord>> {
    await this.ensureSetup();
    const { idField, types } = this.demands;
    const conditions = [
      ...(types ? [`Type IN (${types.map(soqlString).join(', ')})`] : []),
      // Cases without a demand id (when it is a field of their own) are not demands yet.
      ...(idField !== 'Id' ? [`${idField} != null`] : []),
    ];
    const page = await this.api.queryChanges('Case', {
      cursor,
      limit,
      fields: this.caseFields(),
      ...(conditions.length > 0 ? { where: conditions.join(' AND ') } : {}),
      key: (c) => this.demandIdOf(c),
    });
    return { ...page, records: page.records.map((c) => this.toDemand(c, c.updatedAt)) };
  }

  async readDemands(ids: string[]): Promise<FeedRecord[]> {
    if (ids.length === 0) return [];
    await this.ensureSetup();
    const cases = await this.casesByDemandId(ids, ['SystemModstamp', ...this.caseFields()]);
    return cases.map((c) =>
      this.toDemand(c, typeof c.SystemModstamp === 'string' ? new Date(Date.parse(c.SystemModstamp)).toISOString() : ''),
    );
  }

  async readAccounts(ids: string[]): Promise<CrmAccount[]> {
    const { segmentField, valueField } = this.demands.account;
    const accounts = await this.byIds('Account', ids, ['Name', segmentField, valueField]);
    return accounts.map((a) => ({
      id: a.Id,
      name: stringOf(a.Name),
      segment: stringOf(a[segmentField]),
      annualValue: Math.max(0, Number(a[valueField] ?? 0) || 0),
    }));
  }

  async readContacts(ids: string[]): Promise<CrmContact[]> {
    const contacts = await this.byIds('Contact', ids, ['Name', 'Email', 'Phone']);
    return contacts.map((c) => ({ id: c.Id, name: stringOf(c.Name), email: stringOf(c.Email), phone: stringOf(c.Phone) }));
  }

  /** Through the Product2 records product sync keeps: each carries its SKU and its PMS id. */
  async resolveSkus(skus: string[]): Promise<Map<string, string>> {
    const skuField = this.demands.productSkuField;
    const resolved = new Map<string, string>();
    const products = await this.api.queryIn(
      (inList) =>
        `SELECT Id, ${skuField}, ${this.productIdField} FROM Product2 WHERE ${skuField} IN (${inList}) AND ${this.productIdField} != null`,
      skus,
    );
    for (const product of products) resolved.set(stringOf(product[skuField]), stringOf(product[this.productIdField]));
    return resolved;
  }

  /** Orders in a counting status changed since the cursor, with their OrderItems' products. */
  async listOrderChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<FeedRecord>> {
    const page = await this.api.queryChanges('Order', {
      cursor,
      limit,
      fields: ['AccountId', 'EffectiveDate', 'Status'],
      where: `Status IN (${this.demands.orders.statuses.map(soqlString).join(', ')})`,
      key: (order) => order.Id,
    });
    const items = await this.inChunks(
      'OrderItem',
      'OrderId',
      page.records.map((o) => o.Id),
      ['OrderId', 'Product2Id', 'Quantity'],
    );
    const skuField = this.demands.productSkuField;
    const products = new Map(
      (
        await this.byIds(
          'Product2',
          items.map((i) => stringOf(i.Product2Id)),
          [skuField],
        )
      ).map((p) => [p.Id, stringOf(p[skuField])]),
    );
    const records = page.records.map((order) => ({
      id: order.Id,
      accountId: stringOf(order.AccountId),
      // EffectiveDate is a date (YYYY-MM-DD): the order counts toward that day, in UTC.
      orderedAt: typeof order.EffectiveDate === 'string' ? `${order.EffectiveDate}T00:00:00.000Z` : order.updatedAt,
      lines: items
        .filter((i) => i.OrderId === order.Id)
        .map((i) => ({ sku: products.get(stringOf(i.Product2Id)) ?? '', quantity: Number(i.Quantity ?? NaN) })),
      updatedAt: order.updatedAt,
    }));
    return { ...page, records };
  }

  // ---- DemandLinkSink ----

  /** Writes only the two link fields, and only on Cases where they differ; never creates a Case. */
  async updateDemandLinks(updates: DemandLinkUpdate[]): Promise<Array<{ id: string; found: boolean; changed: boolean }>> {
    if (updates.length === 0) return [];
    await this.ensureSetup();
    const { fields } = this.demands;
    const current = new Map(
      (
        await this.casesByDemandId(
          updates.map((u) => u.id),
          [fields.requirementId, fields.requirementStatus],
        )
      ).map((c) => [this.demandIdOf(c), c]),
    );
    const changed = updates.filter((u) => {
      const found = current.get(u.id);
      return (
        found && ((found[fields.requirementId] ?? null) !== u.pmsRequirementId || (found[fields.requirementStatus] ?? null) !== u.pmsStatus)
      );
    });
    for (const part of chunk(changed, salesforceApiLimits.collectionSize)) {
      const results = await this.api.send({
        method: 'PATCH',
        path: `${this.api.base}/composite/sobjects`,
        body: {
          allOrNone: false,
          records: part.map((u) => ({
            attributes: { type: 'Case' },
            Id: current.get(u.id)!.Id,
            [fields.requirementId]: u.pmsRequirementId,
            [fields.requirementStatus]: u.pmsStatus,
          })),
        },
        schema: saveResultsSchema,
      });
      const failures = results.filter((r) => !r.success);
      if (failures.length > 0) {
        const reason = failures.map((r) => describeErrors(r.errors)).join('; ');
        // A locked row frees itself; anything else (validation rule, field access) needs a person.
        if (failures.every((r) => r.errors.every((e) => e.statusCode === 'UNABLE_TO_LOCK_ROW')))
          throw new SystemUnavailableError(this.system, `Salesforce could not lock some Cases: ${reason}`);
        throw new RequestRejectedError(this.system, 400, `Salesforce refused the PMS link on some Cases: ${reason}`);
      }
    }
    const changedIds = new Set(changed.map((u) => u.id));
    return updates.map((u) => ({ id: u.id, found: current.has(u.id), changed: changedIds.has(u.id) }));
  }

  // ---- mapping ----

  private caseFields(): string[] {
    const { idField, fields } = this.demands;
    return [...new Set([idField, 'AccountId', 'ContactId', ...Object.values(fields)])];
  }

  private demandIdOf(record: QueryRecord): string {
    return stringOf(record[this.demands.idField]);
  }

  /** A Case in the shape of a CRM demand; the demand schema checks it afterwards. */
  private toDemand(record: QueryRecord, updatedAt: string): FeedRecord {
    const { fields, kindValues, priorityValues } = this.demands;
    const value = (name: string) => (record[name] === null || record[name] === undefined ? undefined : stringOf(record[name]));
    const kind = value(fields.kind);
    const priority = value(fields.priority);
    return {
      id: this.demandIdOf(record),
      title: value(fields.title) ?? '',
      description: value(fields.description) ?? '',
      kind: kind ? (kindValues[kind] ?? kind) : undefined,
      skus: (value(fields.skus) ?? '')
        .split(/[;,\n]/)
        .map((sku) => sku.trim())
        .filter(Boolean),
      priority: priority ? (priorityValues[priority] ?? priority) : undefined,
      accountId: value('AccountId') ?? '',
      contactId: value('ContactId') ?? null,
      status: value(fields.status) ?? 'open',
      updatedAt,
      pmsRequirementId: value(fields.requirementId) ?? null,
      pmsStatus: value(fields.requirementStatus) ?? null,
    };
  }

  /**
   * A PMS shared by several CRMs links demands of all of them; an id that cannot be a Salesforce
   * Id would make SOQL refuse the whole query ("invalid ID field"), so such ids are simply not found.
   */
  private casesByDemandId(ids: string[], fields: string[]): Promise<QueryRecord[]> {
    const { idField } = this.demands;
    const possible = idField === 'Id' ? ids.filter((id) => salesforceIdPattern.test(id)) : ids;
    return this.inChunks('Case', idField, possible, [idField, ...fields]);
  }

  private byIds(type: string, ids: string[], fields: string[]): Promise<QueryRecord[]> {
    return this.inChunks(type, 'Id', ids, fields);
  }

  /** Records whose field is one of the values, the IN list split by count and URI length. */
  private inChunks(type: string, field: string, values: string[], fields: string[]): Promise<QueryRecord[]> {
    return this.api.queryIn(
      (inList) => `SELECT ${[...new Set(['Id', ...fields])].join(', ')} FROM ${type} WHERE ${field} IN (${inList})`,
      values.filter(Boolean),
    );
  }

  // ---- setup: the Case fields the bridge reads and writes must exist ----

  private ensureSetup(): Promise<void> {
    this.setup ??= this.checkCaseFields().catch((error: unknown) => {
      this.setup = undefined;
      throw error;
    });
    return this.setup;
  }

  private async checkCaseFields(): Promise<void> {
    const existing = await this.api.fieldsOf('Case');
    const missing = this.caseFields().filter((name) => !existing.has(name));
    if (missing.length > 0) {
      throw new RequestRejectedError(
        this.system,
        400,
        `Salesforce has no Case fields ${missing.join(', ')} (systems.<name>.demands.fields). Create them in Setup > Object Manager > Case > Fields & Relationships, give the bridge's user access to them, or name existing ones in the configuration.`,
      );
    }
  }
}

/** A Salesforce record Id: 15 case-sensitive or 18 case-insensitive characters. */
const salesforceIdPattern = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

function stringOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : JSON.stringify(value);
}
