import type { CrmAccount, CrmContact } from '../domain/crmDemand';
import type { ChangeCursor } from '../shared/changeCursor';
import type { ChangePage, FeedRecord } from './changeFeed';
import type { DemandLinkSink, DemandLinkUpdate, DemandSource } from './demandConnectors';
import { RequestRejectedError } from '../shared/systemErrors';
import type { HubSpotApi, HubSpotObject, SearchFilter } from './hubspotApi';
import type { HubSpotSystemConfig } from './hubspotConfig';

/**
 * Customer demands as HubSpot tickets: each ticket names its products (SKUs), its company is the
 * account, and the bridge writes the PMS requirement and its status back onto two ticket
 * properties of its own. Orders are deals in a won stage, their line items the quantities: HubSpot
 * has no order object in every tier, and products attach to deals only through line items.
 * Tickets: https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/tickets/guide
 * Associations: https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/associate-records/batch/get-associations
 */
export class HubSpotDemands implements DemandSource, DemandLinkSink {
  readonly system = 'HubSpot';
  /** HubSpot batch requests take at most 100 inputs. */
  readonly maxLinkBatch = 100;
  readonly settleMs: number;
  private readonly demands: HubSpotSystemConfig['demands'];
  private readonly productIdProperty: string;
  private setup: Promise<void> | undefined;

  constructor(
    private readonly api: HubSpotApi,
    config: Pick<HubSpotSystemConfig, 'demands' | 'products' | 'changeSettleMs'>,
  ) {
    this.settleMs = config.changeSettleMs;
    this.demands = config.demands;
    this.productIdProperty = config.products.idProperty;
  }

  // ---- DemandSource ----

  async listDemandChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<FeedRecord>> {
    await this.ensureSetup();
    const { idProperty, pipeline } = this.demands;
    const filters: SearchFilter[] = [
      ...(pipeline ? [{ propertyName: 'hs_pipeline', operator: 'EQ' as const, value: pipeline }] : []),
      // Tickets without a demand id (when it is a property of their own) are not demands yet.
      ...(idProperty !== 'hs_object_id' ? [{ propertyName: idProperty, operator: 'HAS_PROPERTY' as const }] : []),
    ];
    const page = await this.api.searchChanges('tickets', {
      cursor,
      limit,
      filters,
      properties: this.ticketProperties(),
      key: (ticket) => this.demandIdOf(ticket),
      settleMs: this.settleMs,
    });
    return { ...page, records: await this.toDemands(page.records) };
  }

  async readDemands(ids: string[]): Promise<FeedRecord[]> {
    if (ids.length === 0) return [];
    await this.ensureSetup();
    const tickets = await this.api.batchRead(
      'tickets',
      this.possibleIds(ids),
      [...this.ticketProperties(), 'hs_lastmodifieddate'],
      this.demands.idProperty,
    );
    return this.toDemands(tickets.map((ticket) => ({ ...ticket, updatedAt: isoOf(ticket.properties.hs_lastmodifieddate) })));
  }

  async readAccounts(ids: string[]): Promise<CrmAccount[]> {
    if (ids.length === 0) return [];
    const { segmentProperty, valueProperty } = this.demands.company;
    const companies = await this.api.batchRead('companies', ids, ['name', segmentProperty, valueProperty]);
    return companies.map((company) => ({
      id: company.id,
      name: company.properties.name ?? '',
      segment: company.properties[segmentProperty] ?? '',
      annualValue: Math.max(0, Number(company.properties[valueProperty] ?? 0) || 0),
    }));
  }

  async readContacts(ids: string[]): Promise<CrmContact[]> {
    if (ids.length === 0) return [];
    const contacts = await this.api.batchRead('contacts', ids, ['firstname', 'lastname', 'email', 'phone']);
    return contacts.map(({ id, properties: p }) => ({
      id,
      name: [p.firstname, p.lastname].filter(Boolean).join(' '),
      email: p.email ?? '',
      phone: p.phone ?? '',
    }));
  }

  /** Through the products product sync keeps: each carries its SKU and its PMS id. */
  async resolveSkus(skus: string[]): Promise<Map<string, string>> {
    if (skus.length === 0) return new Map();
    const skuProperty = this.demands.productSkuProperty;
    const products = await this.api.searchAll(
      'products',
      [
        { propertyName: skuProperty, operator: 'IN', values: [...new Set(skus)], stringProperty: true },
        { propertyName: this.productIdProperty, operator: 'HAS_PROPERTY' },
      ],
      [skuProperty, this.productIdProperty],
    );
    // IN matches regardless of case: keep the products whose SKU is exactly one asked for.
    const wanted = new Set(skus);
    return new Map(
      products
        .filter((p) => wanted.has(p.properties[skuProperty] ?? ''))
        .map((p) => [p.properties[skuProperty] ?? '', p.properties[this.productIdProperty] ?? '']),
    );
  }

  /** Won deals changed since the cursor, with their company and line items. */
  async listOrderChanges(cursor: ChangeCursor | null, limit: number): Promise<ChangePage<FeedRecord>> {
    const { stages, lineSkuProperty } = this.demands.orders;
    const page = await this.api.searchChanges('deals', {
      cursor,
      limit,
      filters: [{ propertyName: 'dealstage', operator: 'IN', values: stages }],
      properties: ['closedate', 'dealstage'],
      key: (deal) => deal.id,
      settleMs: this.settleMs,
    });
    const dealIds = page.records.map((deal) => deal.id);
    const [companies, lineIds] = await Promise.all([
      this.api.associations('deals', 'companies', dealIds),
      this.api.associations('deals', 'line_items', dealIds),
    ]);
    const lineItems = new Map(
      (await this.api.batchRead('line_items', [...lineIds.values()].flat(), [lineSkuProperty, 'quantity', 'hs_product_id'])).map((l) => [
        l.id,
        l,
      ]),
    );
    const skuOfProduct = await this.skusOfProducts(
      [...lineItems.values()].filter((l) => !l.properties[lineSkuProperty]).map((l) => l.properties.hs_product_id ?? ''),
    );
    const records = page.records.map((deal) => ({
      id: deal.id,
      accountId: companies.get(deal.id)?.[0] ?? '',
      orderedAt: isoOf(deal.properties.closedate) ?? deal.updatedAt,
      // Left as HubSpot has them: the order schema rejects a line without a SKU or a positive quantity.
      lines: (lineIds.get(deal.id) ?? []).flatMap((id) => {
        const line = lineItems.get(id);
        if (!line) return [];
        const sku = line.properties[lineSkuProperty] || skuOfProduct.get(line.properties.hs_product_id ?? '') || '';
        return [{ sku, quantity: Number(line.properties.quantity ?? NaN) }];
      }),
      updatedAt: deal.updatedAt,
    }));
    return { ...page, records };
  }

  // ---- DemandLinkSink ----

  /** Writes only the two link properties, and only on tickets where they differ. */
  async updateDemandLinks(updates: DemandLinkUpdate[]): Promise<Array<{ id: string; found: boolean; changed: boolean }>> {
    if (updates.length === 0) return [];
    await this.ensureSetup();
    const { idProperty, properties } = this.demands;
    const current = new Map(
      (
        await this.api.batchRead(
          'tickets',
          this.possibleIds(updates.map((u) => u.id)),
          [properties.requirementId, properties.requirementStatus, idProperty],
          idProperty,
        )
      ).map((ticket) => [this.demandIdOf(ticket), ticket]),
    );
    const changed = updates.filter((update) => {
      const ticket = current.get(update.id);
      return (
        ticket &&
        (valueOf(ticket, properties.requirementId) !== update.pmsRequirementId ||
          valueOf(ticket, properties.requirementStatus) !== update.pmsStatus)
      );
    });
    await this.api.batchUpdate(
      'tickets',
      // An empty string clears a HubSpot property.
      changed.map((u) => ({
        id: u.id,
        properties: { [properties.requirementId]: u.pmsRequirementId ?? '', [properties.requirementStatus]: u.pmsStatus ?? '' },
      })),
      idProperty,
    );
    const changedIds = new Set(changed.map((u) => u.id));
    return updates.map((u) => ({ id: u.id, found: current.has(u.id), changed: changedIds.has(u.id) }));
  }

  // ---- mapping ----

  private ticketProperties(): string[] {
    const { idProperty, properties } = this.demands;
    return [...new Set([idProperty, ...Object.values(properties)])];
  }

  /** A PMS shared by several CRMs links demands of all of them; record ids are numbers, so others are not tickets here. */
  private possibleIds(ids: string[]): string[] {
    return this.demands.idProperty === 'hs_object_id' ? ids.filter((id) => /^\d+$/.test(id)) : ids;
  }

  private demandIdOf(ticket: HubSpotObject): string {
    const { idProperty } = this.demands;
    return idProperty === 'hs_object_id' ? ticket.id : (ticket.properties[idProperty] ?? '');
  }

  /** Tickets in the shape of a CRM demand; the demand schema checks them one by one afterwards. */
  private async toDemands(tickets: Array<HubSpotObject & { updatedAt: string | undefined }>): Promise<FeedRecord[]> {
    const ids = tickets.map((t) => t.id);
    const [companies, contacts] = await Promise.all([
      this.api.associations('tickets', 'companies', ids),
      this.api.associations('tickets', 'contacts', ids),
    ]);
    const { properties: names, kindValues, priorityValues } = this.demands;
    return tickets.map((ticket) => {
      const value = (name: string) => ticket.properties[name] ?? undefined;
      const kind = value(names.kind);
      const priority = value(names.priority);
      return {
        id: this.demandIdOf(ticket),
        title: value(names.title) ?? '',
        description: value(names.description) ?? '',
        kind: kind ? (kindValues[kind] ?? kind) : undefined,
        skus: (value(names.skus) ?? '')
          .split(/[;,\n]/)
          .map((sku) => sku.trim())
          .filter(Boolean),
        priority: priority ? (priorityValues[priority] ?? priority) : undefined,
        accountId: companies.get(ticket.id)?.[0] ?? '',
        contactId: contacts.get(ticket.id)?.[0] ?? null,
        status: value(names.status) ?? 'open',
        updatedAt: ticket.updatedAt ?? '',
        pmsRequirementId: value(names.requirementId) || null,
        pmsStatus: value(names.requirementStatus) || null,
      };
    });
  }

  private async skusOfProducts(productIds: string[]): Promise<Map<string, string>> {
    const ids = productIds.filter(Boolean);
    if (ids.length === 0) return new Map();
    const skuProperty = this.demands.productSkuProperty;
    const products = await this.api.batchRead('products', ids, [skuProperty]);
    return new Map(products.map((p) => [p.id, p.properties[skuProperty] ?? '']));
  }

  // ---- setup: the ticket properties the bridge reads and writes ----

  private ensureSetup(): Promise<void> {
    this.setup ??= this.discover().catch((error: unknown) => {
      this.setup = undefined;
      throw error;
    });
    return this.setup;
  }

  private async discover(): Promise<void> {
    const { idProperty, properties, createLinkProperties } = this.demands;
    let existing = await this.api.properties('tickets');
    const linkProperties = [properties.requirementId, properties.requirementStatus];
    const missingLinks = linkProperties.filter((name) => !existing.has(name));
    if (missingLinks.length > 0 && createLinkProperties) {
      for (const [name, label] of [
        [properties.requirementId, 'PMS requirement (crm-pms-bridge)'],
        [properties.requirementStatus, 'PMS status (crm-pms-bridge)'],
      ] as const) {
        if (!existing.has(name))
          await this.api.createProperty('tickets', { name, label, type: 'string', fieldType: 'text', groupName: 'ticketinformation' });
      }
      existing = await this.api.properties('tickets');
    }
    const missing = [idProperty, ...Object.values(properties)].filter((name) => !existing.has(name));
    if (missing.length > 0) {
      throw new RequestRejectedError(
        this.system,
        400,
        `HubSpot has no ticket properties ${missing.join(', ')} (systems.<name>.demands.properties). Create them in HubSpot (Settings > Properties > Ticket properties) or name existing ones in the configuration.`,
      );
    }
    if (idProperty !== 'hs_object_id' && existing.get(idProperty)?.hasUniqueValue !== true) {
      throw new RequestRejectedError(
        this.system,
        400,
        `The HubSpot ticket property ${idProperty} (systems.<name>.demands.idProperty) is not unique (hasUniqueValue), so it cannot identify demands; use a unique property or hs_object_id.`,
      );
    }
  }
}

function valueOf(ticket: HubSpotObject, name: string): string | null {
  return ticket.properties[name] || null;
}

/** HubSpot datetimes come as ISO strings; the bridge's feeds carry them normalized. */
function isoOf(value: string | null | undefined): string | undefined {
  if (!value || Number.isNaN(Date.parse(value))) return undefined;
  return new Date(Date.parse(value)).toISOString();
}
