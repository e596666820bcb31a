import { AuthenticationError } from '../shared/systemErrors';
import { credentialsItem, headroomItem, type CheckItem, type ConnectionCheck } from './connectionCheck';
import type { HubSpotApi } from './hubspotApi';
import type { HubSpotSystemConfig } from './hubspotConfig';

/**
 * What the bridge needs of a HubSpot account: a token HubSpot accepts with the CRM scopes, the
 * product id property (unique for batch upsert), for demand syncs the ticket properties, and
 * headroom in the daily API limit the account shares with its other integrations.
 */
export class HubSpotCheck implements ConnectionCheck {
  readonly system = 'HubSpot';

  constructor(
    private readonly api: HubSpotApi,
    private readonly config: HubSpotSystemConfig,
    private readonly roles: { products: boolean; demands: boolean },
  ) {}

  async check(): Promise<CheckItem[]> {
    let productProperties: Awaited<ReturnType<HubSpotApi['properties']>> | undefined;
    const credentials = await credentialsItem(this.system, async () => {
      productProperties = await this.api.properties('products');
      return `the token reads product properties (${productProperties.size} found; scope crm.objects.products.read)`;
    });
    if (!credentials.ok || !productProperties) return [credentials];
    const items: CheckItem[] = [credentials];
    if (this.roles.products) items.push(this.idPropertyItem(productProperties));
    if (this.roles.demands) items.push(...(await this.ticketItems()));
    items.push(this.headroom());
    return items;
  }

  private idPropertyItem(properties: Map<string, { hasUniqueValue?: boolean | undefined }>): CheckItem {
    const { idProperty, createIdProperty, upsert } = this.config.products;
    const name = `product property ${idProperty} (products.idProperty)`;
    const definition = properties.get(idProperty);
    if (!definition) {
      return createIdProperty
        ? { name, ok: true, detail: 'missing; the first run creates it (needs scope crm.schemas.products.write)' }
        : {
            name,
            ok: false,
            detail: 'missing, and products.createIdProperty is off',
            fix: `Create a unique single-line text product property ${idProperty} in HubSpot (Settings > Properties > Product properties), or set products.createIdProperty: true.`,
          };
    }
    if (definition.hasUniqueValue === true) return { name, ok: true, detail: 'present and unique: batch upsert by it' };
    return upsert === 'batch-upsert'
      ? {
          name,
          ok: false,
          detail: 'present but not unique (hasUniqueValue), and products.upsert is batch-upsert',
          fix: 'Set products.upsert to auto or search-then-write, or name a unique property in products.idProperty.',
        }
      : { name, ok: true, detail: 'present, not unique: the bridge searches before it writes (search-then-write)' };
  }

  private async ticketItems(): Promise<CheckItem[]> {
    let tickets: Map<string, { hasUniqueValue?: boolean | undefined }>;
    try {
      tickets = await this.api.properties('tickets');
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      return [
        {
          name: 'scope tickets',
          ok: false,
          detail: error.message,
          fix: 'Give the private app or service key the scopes tickets and crm.schemas.tickets.write (docs/connectors/hubspot.md).',
        },
      ];
    }
    const { idProperty, properties, createLinkProperties } = this.config.demands;
    const linkProperties = new Set([properties.requirementId, properties.requirementStatus]);
    const items: CheckItem[] = [{ name: 'scope tickets', ok: true, detail: `ticket properties readable (${tickets.size} found)` }];
    for (const name of new Set([idProperty, ...Object.values(properties)])) {
      const label = `ticket property ${name}`;
      if (tickets.has(name)) items.push({ name: label, ok: true, detail: 'present' });
      else if (linkProperties.has(name) && createLinkProperties)
        items.push({ name: label, ok: true, detail: 'missing; the first demand run creates it (needs scope crm.schemas.tickets.write)' });
      else
        items.push({
          name: label,
          ok: false,
          detail: 'missing',
          fix: `Create the ticket property ${name} in HubSpot (Settings > Properties > Ticket properties), or name an existing one in systems.<name>.demands.properties.`,
        });
    }
    if (idProperty !== 'hs_object_id' && tickets.has(idProperty) && tickets.get(idProperty)?.hasUniqueValue !== true)
      items.push({
        name: `ticket property ${idProperty} is unique`,
        ok: false,
        detail: 'not unique (hasUniqueValue)',
        fix: 'Use a unique ticket property or hs_object_id as demands.idProperty.',
      });
    return items;
  }

  private headroom(): CheckItem {
    const limits = this.api.rateLimits;
    if (!limits) return { name: 'API limit headroom', ok: true, detail: 'HubSpot reported no rate-limit headers' };
    return limits.daily !== undefined && limits.dailyRemaining !== undefined
      ? headroomItem(
          'daily API limit headroom',
          limits.dailyRemaining,
          limits.daily,
          'Other integrations use up the account’s daily limit: wait for midnight in the account’s time zone, or buy an API capacity pack.',
        )
      : headroomItem(
          '10-second API limit headroom',
          limits.remaining,
          limits.max,
          'Other apps are using the 10-second window: check again shortly.',
        );
  }
}
