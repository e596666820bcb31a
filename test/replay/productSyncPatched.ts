import { patched } from '@temporalio/workflow';
import { productSync as releasedProductSync } from '../../workflows/productSync';
import type { ProductSyncInput, ProductSyncSummary } from '../../src/shared/productSyncContract';
import { crmPreflight } from './crmPreflight';

/**
 * Bundle entry for test/integration/replayGuard.test.ts: the same change behind patched(). A new
 * execution records the patch marker and runs the step; one whose history has no marker (started
 * by the released code) skips it and replays as it ran.
 */
export async function productSync(input: ProductSyncInput = {}): Promise<ProductSyncSummary> {
  if (patched('crm-preflight')) await crmPreflight(input);
  return releasedProductSync(input);
}
