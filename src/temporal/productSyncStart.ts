import type { ProductSyncConfig } from '../config/configSchema';
import type { ProductSyncInput } from '../../workflows/productSyncTypes';

/** The workflow input a configured product sync runs with, for schedules and `bridge sync`. */
export function productSyncInput(sync: ProductSyncConfig, overrides: Partial<ProductSyncInput> = {}): ProductSyncInput {
  return {
    integrationId: sync.id,
    mode: sync.mode,
    pageSize: sync.pageSize,
    overlapMs: sync.overlapMs,
    guard: sync.guard,
    ...overrides,
  };
}

export const productSyncScheduleId = (integrationId: string): string => `product-sync-${integrationId}`;

/** Shown in the Temporal UI next to every run: what it syncs, from where to where. */
export function productSyncSummaryText(sync: ProductSyncConfig): string {
  return `Product sync '${sync.id}': ${sync.source} -> ${sync.target} (${sync.mode})`;
}
