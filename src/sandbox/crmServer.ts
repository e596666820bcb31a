import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { crmRoutes, type CrmStatsSnapshot } from './crmApi';
import { batchRefused, batchRefusedFromZod } from './crmBatchRefusal';
import { crmCustomerRoutes } from './crmCustomerApi';
import { registerCustomerRoutes } from './crmCustomerRoutes';
import { defaultCustomerSeed, generateCustomers } from './crmCustomerSeed';
import { CrmCustomerStore, crmCustomerTables, customerCollections } from './crmCustomerStore';
import { CrmStats } from './crmStats';
import { BatchRefusedError, CrmStore, crmProductTables } from './crmStore';
import type { FaultInjector } from './faults';
import { badRequest } from './httpErrors';
import { addRoute } from './routeSpec';
import { openDatabase } from './sqlite';
import { createSandboxServer, parseOptions, sandboxOptionsSchema, type SandboxServer } from './sandboxServer';

const crmServerOptionsSchema = sandboxOptionsSchema.extend({
  seedCustomers: z
    .boolean({ error: 'seedCustomers must be true or false' })
    .default(false)
    .describe('Generate accounts, contacts, demands and orders when the customer tables are empty'),
});

export type CrmServerOptions = z.input<typeof crmServerOptionsSchema>;
export type CrmServer = SandboxServer<CrmStore> & { stats: CrmStats; customers: CrmCustomerStore };

/** Paging cursors are opaque to clients (base64url of the last id) so the format can change. */
const encodeCursor = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');

function decodeCursor(after: string | undefined): string | undefined {
  if (after === undefined) return undefined;
  const id = Buffer.from(after, 'base64url').toString('utf8');
  if (/^crm_\d+$/.test(id)) return id;
  throw badRequest(
    "Invalid query parameter 'after': not a cursor issued by this API; pass paging.next.after from the previous page unchanged",
  );
}

function registerProductRoutes(api: FastifyInstance, store: CrmStore, stats: CrmStats): void {
  const refuseInvalidBody = (...args: Parameters<typeof batchRefusedFromZod>) => {
    stats.recordRejectedBatch();
    return batchRefusedFromZod(...args);
  };

  addRoute(
    api,
    crmRoutes.upsert,
    ({ body }) => {
      try {
        const results = store.upsertBatch(body.inputs);
        stats.recordUpsert(results);
        return { results };
      } catch (error) {
        if (!(error instanceof BatchRefusedError)) throw error;
        stats.recordRejectedBatch();
        throw batchRefused(error.problems);
      }
    },
    refuseInvalidBody,
  );

  addRoute(api, crmRoutes.read, ({ body }) => {
    stats.recordRead();
    return { results: store.readByExternalIds(body.externalIds) };
  });

  addRoute(api, crmRoutes.readBySku, ({ body }) => {
    stats.recordRead();
    return { results: store.readBySkus(body.skus) };
  });

  addRoute(api, crmRoutes.list, ({ query }) => {
    const afterId = decodeCursor(query.after);
    stats.recordRead();
    const page = store.list({ limit: query.limit, afterId, includeArchived: query.includeArchived });
    return {
      results: page.results,
      total: page.total,
      paging: page.lastId === null ? null : { next: { after: encodeCursor(page.lastId) } },
    };
  });
}

function registerStatsRoutes(admin: FastifyInstance, stats: CrmStats, faults: FaultInjector): void {
  const snapshot = (): CrmStatsSnapshot => ({ ...stats.snapshot(), faults: faults.injected });
  addRoute(admin, crmRoutes.stats, () => snapshot());
  addRoute(admin, crmRoutes.resetStats, () => {
    stats.reset();
    faults.resetCounters();
    return snapshot();
  });
}

/**
 * The sandbox CRM: products upserted in batches by external id (all or nothing, as HubSpot and
 * Salesforce do), read in batches, by SKU or in a paged list; and the customer side: accounts,
 * contacts, demands and orders with change feeds and bridge-owned demand link fields. Stored in
 * one SQLite file, with bearer-token auth, fault injection and counters that let tests prove
 * what a sync wrote. With seedCustomers it generates customers on an empty store.
 */
export function createCrmServer(options: CrmServerOptions): CrmServer {
  const parsed = parseOptions(crmServerOptionsSchema, options, 'sandbox CRM');
  // One connection for all tables: a second one on the same file would contend for its lock.
  const db = openDatabase(parsed.dbPath, `${crmProductTables}\n${crmCustomerTables}`);
  const store = CrmStore.attach(db);
  const customers = CrmCustomerStore.attach(db);
  const seeded = parsed.seedCustomers && customers.isEmpty();
  if (seeded) customers.load(generateCustomers(defaultCustomerSeed));
  const stats = new CrmStats();
  const server = createSandboxServer({
    name: 'sandbox-crm',
    info: {
      title: 'Sandbox CRM',
      version: '1.0.0',
      description: 'CRM stand-in: product records upserted in batches by external id, and customers with their demands and orders.',
    },
    options: parsed,
    store,
    routes: [...Object.values(crmRoutes), ...Object.values(crmCustomerRoutes)],
    registerApi: (api) => {
      registerProductRoutes(api, store, stats);
      registerCustomerRoutes(api, customers, stats);
    },
    registerAdmin: (admin, faults) => registerStatsRoutes(admin, stats, faults),
  });
  if (seeded) {
    const counts = Object.fromEntries(customerCollections.map((collection) => [collection, customers.count(collection)]));
    server.app.log.info(counts, 'sandbox CRM: seeded customers into an empty store');
  }
  return { ...server, stats, customers };
}
