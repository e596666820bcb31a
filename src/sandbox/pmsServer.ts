import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from './httpErrors';
import { pmsRoutes } from './pmsApi';
import { registerDemandRoutes } from './pmsDemandRoutes';
import { demandSignalRoutes } from './pmsDemandSignalApi';
import { PmsDemandSignalStore, pmsDemandSignalTables } from './pmsDemandSignalStore';
import { requirementRoutes } from './pmsRequirementApi';
import { PmsRequirementStore, pmsRequirementTables } from './pmsRequirementStore';
import { PmsStore, pmsProductTables } from './pmsStore';
import { openDatabase } from './sqlite';
import type { RawPmsProduct } from '../domain/pmsProduct';
import { defaultCatalogueSeed, generateProducts } from './seed';
import { addRoute } from './routeSpec';
import { createSandboxServer, parseOptions, sandboxOptionsSchema, type SandboxServer } from './sandboxServer';
import { PmsWebhookSender, webhookSettingsSchema } from './pmsWebhooks';
import { createLogger } from '../logging/logger';

const pmsServerOptionsSchema = sandboxOptionsSchema.extend({
  seedProducts: z
    .number()
    .int()
    .min(0, 'seedProducts must be 0 or more')
    .default(0)
    .describe('Products to generate when the store is empty'),
  webhook: webhookSettingsSchema.nullable().default(null).describe('Where to announce product changes (signed webhooks)'),
});

export type PmsServerOptions = z.input<typeof pmsServerOptionsSchema>;
export type PmsServer = SandboxServer<PmsStore> & {
  requirements: PmsRequirementStore;
  demandSignals: PmsDemandSignalStore;
  /** Product-change webhooks; `webhooks.configure` changes their target at run time. */
  webhooks: PmsWebhookSender;
};

function registerProductRoutes(api: FastifyInstance, store: PmsStore, webhooks: PmsWebhookSender): void {
  // Announced once the change is committed, without holding up the answer, as real PIMs do.
  const announced = <T extends RawPmsProduct | undefined>(product: T): T => {
    if (product !== undefined) webhooks.notify(product);
    return product;
  };

  addRoute(api, pmsRoutes.list, ({ query }) => store.listChanges(query));

  addRoute(api, pmsRoutes.batchGet, ({ body }) => ({ data: store.getMany(body.ids) }));

  addRoute(api, pmsRoutes.batchGetBySku, ({ body }) => ({ data: store.getBySkus(body.skus) }));

  addRoute(api, pmsRoutes.put, ({ params, body }) => announced(store.put(params.id, body)));

  addRoute(api, pmsRoutes.patch, ({ params, body }) => {
    const product = announced(store.patch(params.id, body));
    if (product !== undefined) return product;
    const deleted = store.get(params.id)?.deleted === true;
    throw notFound(
      deleted
        ? `Product '${params.id}' is deleted: PUT /api/products/${params.id} to recreate it`
        : `Product '${params.id}' does not exist: create it with PUT /api/products/${params.id}`,
    );
  });

  addRoute(api, pmsRoutes.delete, ({ params }) => {
    const wasDeleted = store.get(params.id)?.deleted === true;
    const product = store.softDelete(params.id);
    // Deleting a deleted product changes nothing, so there is nothing to announce.
    if (product !== undefined && !wasDeleted) webhooks.notify(product);
    if (product === undefined) throw notFound(`Product '${params.id}' does not exist, so it cannot be deleted`);
    return product;
  });
}

/**
 * The sandbox Product Management System: a change feed of product documents, requirements with
 * the customer demands linked to them, and demand signals from orders, over HTTP, stored in one
 * SQLite file, with bearer-token auth and fault injection. On an empty store it generates
 * `seedProducts` products so the product works out of the box.
 */
export function createPmsServer(options: PmsServerOptions): PmsServer {
  const parsed = parseOptions(pmsServerOptionsSchema, options, 'sandbox PMS');
  // One connection for all tables: a second one on the same file would contend for its lock.
  const db = openDatabase(parsed.dbPath, [pmsProductTables, pmsRequirementTables, pmsDemandSignalTables].join('\n'));
  const store = PmsStore.attach(db);
  const requirements = PmsRequirementStore.attach(db);
  const demandSignals = PmsDemandSignalStore.attach(db);
  const webhooks = new PmsWebhookSender(parsed.webhook, parsed.logger ?? createLogger('sandbox-pms'));
  const seeded = parsed.seedProducts > 0 && store.count() === 0;
  if (seeded) store.upsertMany(generateProducts(parsed.seedProducts, defaultCatalogueSeed));
  const server = createSandboxServer({
    name: 'sandbox-pms',
    info: {
      title: 'Sandbox PMS',
      version: '1.0.0',
      description: 'Product Management System stand-in: a change feed of product documents, requirements and demand signals.',
    },
    options: parsed,
    store,
    routes: [...Object.values(pmsRoutes), ...Object.values(requirementRoutes), ...Object.values(demandSignalRoutes)],
    registerAdmin: (admin) => addRoute(admin, pmsRoutes.purge, ({ body }) => ({ purged: store.purge(body.ids) })),
    registerApi: (api) => {
      registerProductRoutes(api, store, webhooks);
      registerDemandRoutes(api, { products: store, requirements, signals: demandSignals });
    },
  });
  if (seeded) server.app.log.info({ products: parsed.seedProducts }, 'sandbox PMS: seeded an empty store');
  return { ...server, requirements, demandSignals, webhooks };
}
