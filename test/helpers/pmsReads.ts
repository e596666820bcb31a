import type { Requirement } from '../../src/domain/requirement';
import type { TestSandbox } from './sandbox';

/** The PMS requirements of one product, read through its API as the product team sees them. */
export async function requirementsFor(sandbox: TestSandbox, productId: string): Promise<Requirement[]> {
  return ((await sandbox.pmsApi('GET', `/api/requirements?productId=${productId}&limit=1000`)) as { data: Requirement[] }).data;
}

/** The order quantities the PMS holds for one product, as [period, quantity] pairs. */
export async function demandSignalsFor(sandbox: TestSandbox, productId: string): Promise<Array<[string, number]>> {
  const { data } = (await sandbox.pmsApi('GET', `/api/demand-signals?productId=${productId}`)) as {
    data: Array<{ period: string; quantity: number }>;
  };
  return data.map((signal) => [signal.period, signal.quantity]);
}
