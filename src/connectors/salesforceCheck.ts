import { AuthenticationError } from '../shared/systemErrors';
import { credentialsItem, headroomItem, type CheckItem, type ConnectionCheck } from './connectionCheck';
import type { SalesforceApi } from './salesforceApi';
import type { SalesforceSystemConfig } from './salesforceConfig';

/**
 * What the bridge needs of a Salesforce org: credentials it accepts, the products' External ID
 * field (and the price book entries' key field), Bulk API access when bulk writes are on, for demand
 * syncs the Case fields, and headroom in the org's 24-hour API limit (Sforce-Limit-Info).
 */
export class SalesforceCheck implements ConnectionCheck {
  readonly system = 'Salesforce';

  constructor(
    private readonly api: SalesforceApi,
    private readonly config: SalesforceSystemConfig,
    private readonly roles: { products: boolean; demands: boolean },
  ) {}

  async check(): Promise<CheckItem[]> {
    let product: Array<{ name: string; externalId: boolean }> = [];
    const credentials = await credentialsItem(this.system, async () => {
      product = await this.api.describeFields('Product2');
      return `the org answers with the Product2 describe (${product.length} fields)`;
    });
    if (!credentials.ok) return [credentials];
    const items: CheckItem[] = [credentials];
    const { externalIdField, pricebook, bulk } = this.config.products;
    if (this.roles.products) {
      items.push(externalIdItem('Product2', externalIdField, product, 'products.externalIdField'));
      if (pricebook)
        items.push(
          externalIdItem(
            'PricebookEntry',
            pricebook.keyField,
            await this.api.describeFields('PricebookEntry'),
            'products.pricebook.keyField',
          ),
        );
      if (bulk) items.push(await this.bulkItem());
    }
    if (this.roles.demands) {
      const caseFields = new Set((await this.api.describeFields('Case')).map((f) => f.name));
      for (const name of new Set(Object.values(this.config.demands.fields)))
        items.push(
          caseFields.has(name)
            ? { name: `Case field ${name}`, ok: true, detail: 'present' }
            : {
                name: `Case field ${name}`,
                ok: false,
                detail: 'missing, or not visible to the integration user',
                fix: `Create the Case field ${name} (Setup > Object Manager > Case > Fields) and give the integration user read/edit access, or name another in demands.fields.`,
              },
        );
    }
    const usage = this.api.apiUsage;
    items.push(
      usage
        ? headroomItem(
            'daily API limit headroom',
            usage.max - usage.used,
            usage.max,
            'The org has used most of its 24-hour API requests: wait, or raise the limit with Salesforce.',
          )
        : { name: 'daily API limit headroom', ok: true, detail: 'Salesforce sent no Sforce-Limit-Info header' },
    );
    return items;
  }

  private async bulkItem(): Promise<CheckItem> {
    const name = 'Bulk API 2.0 access (products.bulk)';
    try {
      await this.api.listIngestJobs();
      return { name, ok: true, detail: 'the integration user may list ingest jobs' };
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      return {
        name,
        ok: false,
        detail: error.message,
        fix: 'Give the integration user the API Enabled permission and Bulk API access (permission set), or remove products.bulk to write through sObject Collections.',
      };
    }
  }
}

function externalIdItem(type: string, field: string, fields: Array<{ name: string; externalId: boolean }>, setting: string): CheckItem {
  const name = `${type} External ID field ${field} (${setting})`;
  const found = fields.find((f) => f.name === field);
  if (!found)
    return {
      name,
      ok: false,
      detail: 'missing, or not visible to the integration user',
      fix: `Create ${field} on ${type} as a Text field marked External ID and Unique (Setup > Object Manager > ${type} > Fields), and give the integration user edit access.`,
    };
  if (!found.externalId)
    return {
      name,
      ok: false,
      detail: 'present but not marked External ID, so upsert by it is refused',
      fix: `Edit ${field} on ${type} and tick External ID (and Unique).`,
    };
  return { name, ok: true, detail: 'present and marked External ID' };
}
