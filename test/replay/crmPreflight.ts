import { proxyActivities } from '@temporalio/workflow';
import type { ProductSyncActivities } from '../../activities/productSyncActivities';
import type { ProductSyncInput } from '../../src/shared/productSyncContract';

const { countCrmProducts } = proxyActivities<ProductSyncActivities>({ startToCloseTimeout: '1 minute' });

/**
 * The change under test, as a developer might make it: a new first step that checks the CRM
 * answers before the run begins. One more activity call shifts every later command of a running
 * execution, so its history no longer matches the code.
 */
export async function crmPreflight(input: ProductSyncInput): Promise<void> {
  await countCrmProducts({ integrationId: input.integrationId ?? 'products' });
}
