import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema, type BridgeConfig } from '../../src/config/configSchema';
import { createLogger } from '../../src/logging/logger';
import { createCrmServer, type CrmServer } from '../../src/sandbox/crmServer';
import type { FaultSettingsPatch } from '../../src/sandbox/faults';
import type { RawPmsProduct } from '../../src/domain/pmsProduct';
import { createPmsServer, type PmsServer } from '../../src/sandbox/pmsServer';

export const pmsToken = 'test-pms-token';
export const crmToken = 'test-crm-token';

export interface CrmStats {
  upsertRequests: number;
  recordsCreated: number;
  recordsUpdated: number;
  recordsUnchanged: number;
  /** Every read: the count, batch reads (diff and read-back), single gets. */
  readRequests: number;
  rejectedBatches: number;
}

/** The sandbox PMS and CRM on free ports with their own temporary databases. */
export interface TestSandbox {
  pms: PmsServer;
  crm: CrmServer;
  pmsUrl: string;
  crmUrl: string;
  dir: string;
  /** Changes the CRM's fault knobs at run time, over HTTP as an operator or a test script would. */
  setCrmFaults(patch: FaultSettingsPatch): Promise<void>;
  setPmsFaults(patch: FaultSettingsPatch): Promise<void>;
  crmStats(): Promise<CrmStats>;
  resetCrmStats(): Promise<void>;
  /** Every product in the PMS (deleted ones included), read from its store. */
  pmsProducts(): RawPmsProduct[];
  /** Writes a product to the PMS through its API. */
  putProduct(id: string, body: Record<string, unknown>): Promise<void>;
  /** Calls the PMS API with its token, e.g. pmsApi('GET', '/api/requirements?productId=P-000001'). */
  pmsApi(method: string, path: string, body?: unknown): Promise<unknown>;
  /** Calls the CRM API with its token, e.g. crmApi('PUT', '/api/demands/D-1', {...}). */
  crmApi(method: string, path: string, body?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

async function admin(url: string, token: string, method: string, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

export async function startSandbox(
  options: {
    products?: number;
    customers?: boolean;
    crmFaults?: FaultSettingsPatch;
    pmsFaults?: FaultSettingsPatch;
    /** Seeds the sandboxes' fault decisions, so a chaos run can be replayed. */
    faultSeed?: number;
  } = {},
): Promise<TestSandbox> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bridge-sandbox-'));
  const logger = createLogger('test-sandbox', { level: 'error' });
  const pms = createPmsServer({
    dbPath: path.join(dir, 'pms.db'),
    token: pmsToken,
    seedProducts: options.products ?? 0,
    faults: options.pmsFaults,
    seed: options.faultSeed ?? 11,
    logger,
  });
  const crm = createCrmServer({
    dbPath: path.join(dir, 'crm.db'),
    token: crmToken,
    faults: options.crmFaults,
    seedCustomers: options.customers ?? false,
    seed: (options.faultSeed ?? 6) + 1,
    logger,
  });
  const pmsUrl = await pms.listen(0);
  const crmUrl = await crm.listen(0);
  return {
    pms,
    crm,
    pmsUrl,
    crmUrl,
    dir,
    setCrmFaults: async (patch) => void (await admin(`${crmUrl}/_admin/faults`, crmToken, 'PUT', patch)),
    setPmsFaults: async (patch) => void (await admin(`${pmsUrl}/_admin/faults`, pmsToken, 'PUT', patch)),
    crmStats: async () => (await admin(`${crmUrl}/_admin/stats`, crmToken, 'GET')) as CrmStats,
    resetCrmStats: async () => void (await admin(`${crmUrl}/_admin/stats/reset`, crmToken, 'POST')),
    pmsProducts: () => {
      const products: RawPmsProduct[] = [];
      let cursor: { since: string; afterId: string } | null = null;
      for (;;) {
        const page = pms.store.listChanges({ ...(cursor ?? {}), limit: 1000 });
        products.push(...page.data);
        if (!page.hasMore || !page.nextCursor) return products;
        cursor = page.nextCursor;
      }
    },
    putProduct: async (id, body) => void (await admin(`${pmsUrl}/api/products/${id}`, pmsToken, 'PUT', body)),
    pmsApi: (method, apiPath, body) => admin(`${pmsUrl}${apiPath}`, pmsToken, method, body),
    crmApi: (method, apiPath, body) => admin(`${crmUrl}${apiPath}`, crmToken, method, body),
    close: async () => {
      await Promise.all([pms.close(), crm.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A configuration whose sandbox CRM leaves too-long texts to the CRM's own refusal (as a target
 * whose limits the bridge cannot know): for tests of how the bridge isolates and parks refused records.
 */
export function withoutFieldLimitChecks(config: BridgeConfig): BridgeConfig {
  const crm = config.systems.crm;
  if (crm?.kind !== 'sandbox-crm') throw new Error('withoutFieldLimitChecks needs the sandbox CRM as system crm');
  return { ...config, systems: { ...config.systems, crm: { ...crm, checkFieldLimits: false } } };
}

/** The bridge configuration for a test: the sandbox systems, one product sync, a given task queue. */
export function testConfig(
  sandbox: Pick<TestSandbox, 'pmsUrl' | 'crmUrl'>,
  taskQueue: string,
  overrides: Record<string, unknown> = {},
): BridgeConfig {
  return configSchema.parse({
    logLevel: 'warn',
    temporal: { taskQueue },
    systems: {
      pms: { kind: 'sandbox-pms', url: sandbox.pmsUrl, token: pmsToken, timeoutMs: 10_000 },
      crm: { kind: 'sandbox-crm', url: sandbox.crmUrl, token: crmToken, timeoutMs: 10_000 },
    },
    productSyncs: [{ id: 'products', source: 'pms', target: 'crm' }],
    demandSyncs: [{ id: 'demands', crm: 'crm', pms: 'pms' }],
    ...overrides,
  });
}

/** The environment a separate `bridge` process needs to work against a test's server and sandbox. */
export function bridgeEnvironment(
  temporalAddress: string,
  sandbox: Pick<TestSandbox, 'pmsUrl' | 'crmUrl' | 'dir'>,
  taskQueue: string,
): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PMS_URL: sandbox.pmsUrl,
    PMS_TOKEN: pmsToken,
    CRM_URL: sandbox.crmUrl,
    CRM_TOKEN: crmToken,
    // Its own data directory, so no key file from a local `npm start` turns encryption on; and
    // unencrypted on purpose, so the test's own client reads what the workers write.
    BRIDGE_DATA_DIR: sandbox.dir,
    BRIDGE_ENCRYPTION: 'off',
  };
}
