import path from 'node:path';
import type { BridgeConfig } from '../config/configSchema';
import type { Logger } from '../logging/logger';
import { createCrmServer } from './crmServer';
import { createPmsServer } from './pmsServer';
import type { WebhookSettings } from './pmsWebhooks';

export interface SandboxSystems {
  pmsUrl: string;
  crmUrl: string;
  close: () => Promise<void>;
}

/**
 * The embedded sandbox PMS and CRM on the configured ports, with their SQLite files in the data
 * directory (products and customers seeded on first start), so `npm start` works with nothing
 * else installed.
 */
export async function startSandboxSystems(
  config: BridgeConfig,
  logger: Logger,
  options: { webhook?: WebhookSettings | null } = {},
): Promise<SandboxSystems> {
  const pms = createPmsServer({
    dbPath: path.join(config.dataDir, 'sandbox-pms.db'),
    token: config.systems.pms?.token ?? '',
    seedProducts: config.sandbox.products,
    webhook: options.webhook ?? null,
    logger: logger.child({ component: 'sandbox-pms' }),
  });
  const crm = createCrmServer({
    dbPath: path.join(config.dataDir, 'sandbox-crm.db'),
    token: config.systems.crm?.token ?? '',
    // Customers, demands and orders to map out of the box; they name SKUs of the first 60 seeded products.
    seedCustomers: true,
    logger: logger.child({ component: 'sandbox-crm' }),
  });
  const pmsUrl = await pms.listen(config.sandbox.pmsPort, config.sandbox.host);
  const crmUrl = await crm.listen(config.sandbox.crmPort, config.sandbox.host);
  return {
    pmsUrl,
    crmUrl,
    close: async () => {
      await Promise.all([pms.close(), crm.close()]);
    },
  };
}
