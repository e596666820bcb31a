import type { FastifyInstance } from 'fastify';
import { crmRoutes, type CrmStatsSnapshot } from './crmApi';
import { batchRefused, batchRefusedFromZod } from './crmBatchRefusal';
import { CrmStats } from './crmStats';
import { BatchRefusedError, CrmStore } from './crmStore';
import type { FaultInjector } from './faults';
import { badRequest } from './httpErrors';
import { addRoute } from './routeSpec';
import { createSandboxServer, parseOptions, sandboxOptionsSchema, type SandboxOptions, type SandboxServer } from './sandboxServer';

export type CrmServerOptions = SandboxOptions;
export type CrmServer = SandboxServer<CrmStore> & { stats: CrmStats };

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
 * The sandbox CRM: batch upsert by external id (all or nothing, as HubSpot and Salesforce do),
 * batch read and a paged list over HTTP, stored in SQLite, with bearer-token auth, fault
 * injection and counters that let tests prove what a sync wrote.
 */
export function createCrmServer(options: CrmServerOptions): CrmServer {
  const parsed = parseOptions(sandboxOptionsSchema, options, 'sandbox CRM');
  const store = CrmStore.open(parsed.dbPath);
  const stats = new CrmStats();
  const server = createSandboxServer({
    name: 'sandbox-crm',
    info: {
      title: 'Sandbox CRM',
      version: '1.0.0',
      description: 'CRM stand-in: product records upserted in batches by external id.',
    },
    options: parsed,
    store,
    routes: Object.values(crmRoutes),
    registerApi: (api) => registerProductRoutes(api, store, stats),
    registerAdmin: (admin, faults) => registerStatsRoutes(admin, stats, faults),
  });
  return { ...server, stats };
}
