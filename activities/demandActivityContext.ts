import type { DemandIntegration } from '../src/connectors/demandConnectors';
import type { Logger } from '../src/logging/logger';
import { lagSeconds, noSyncMetrics, type SyncMetrics } from '../src/metrics/syncMetrics';
import type { ChangeCursor } from '../src/shared/changeCursor';
import { requireIntegration } from './activityContext';

/** What the demand activities (mapping, links, status) are built with. */
export interface DemandDeps {
  integration(integrationId: string): DemandIntegration | undefined;
  logger: Logger;
  /** Counters on the worker's metrics endpoint; none when absent. */
  metrics?: SyncMetrics;
}

/** What the metrics call each stream of work of a demand integration. */
type DemandWork = 'demandMapping' | 'orderSignals' | 'demandLinks' | 'demandStatus';

/** The integration's connectors and settings, or a non-retryable failure an operator can act on. */
export function demandIntegrationFor(deps: DemandDeps, integrationId: string): DemandIntegration {
  return requireIntegration((id) => deps.integration(id), integrationId, 'demand');
}

export function demandMetrics(deps: DemandDeps, integrationId: string, work: DemandWork) {
  return (deps.metrics ?? noSyncMetrics).forIntegration(integrationId, work);
}

/** Counts a fetched page on the metrics endpoint and hands it on. */
export function countedPage<
  P extends { fetched: number; rejected?: unknown[]; failed?: unknown[]; nextCursor: ChangeCursor | null; hasMore: boolean },
>(deps: DemandDeps, integrationId: string, work: DemandWork, page: P): P {
  const counters = demandMetrics(deps, integrationId, work);
  counters.recordsFetched(page.fetched);
  counters.recordsRejected(page.rejected?.length ?? 0);
  counters.recordsFailed(page.failed?.length ?? 0);
  counters.syncLag(lagSeconds(page.nextCursor?.since ?? null, !page.hasMore));
  return page;
}
