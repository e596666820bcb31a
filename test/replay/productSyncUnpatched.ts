import { productSync as releasedProductSync } from '../../workflows/productSync';
import type { ProductSyncInput, ProductSyncSummary } from '../../src/shared/productSyncContract';
import { crmPreflight } from './crmPreflight';

/** Bundle entry for test/integration/replayGuard.test.ts: the real productSync with a new first step, not patched. */
export async function productSync(input: ProductSyncInput = {}): Promise<ProductSyncSummary> {
  await crmPreflight(input);
  return releasedProductSync(input);
}
