import type { MetricMeter } from '@temporalio/common';

/**
 * What the bridge reports about each integration, next to the SDK's own metrics on the worker's
 * Prometheus endpoint. Counters count work the activities did: a retried activity counts again.
 */
interface IntegrationMetrics {
  recordsFetched: (count: number) => void;
  recordsWritten: (count: number) => void;
  recordsUnchanged: (count: number) => void;
  recordsRejected: (count: number) => void;
  /** Records the target refused to write. */
  recordsFailed: (count: number) => void;
  /** Records that read back different from what was written (they are written again). */
  recordsMismatched: (count: number) => void;
  /** Age in seconds of the oldest change not yet read; 0 once a run reached the end of the feed. */
  syncLag: (seconds: number) => void;
  /** A 429 answer from a system (the activity then retries after its Retry-After). */
  rateLimited: (system: string) => void;
}

export interface SyncMetrics {
  /** `sync` names the direction of work, e.g. productSync, demandMapping, demandStatus. */
  forIntegration: (integrationId: string, sync: string) => IntegrationMetrics;
}

const metricNames = {
  fetched: 'bridge_records_fetched',
  written: 'bridge_records_written',
  unchanged: 'bridge_records_unchanged',
  rejected: 'bridge_records_rejected',
  failed: 'bridge_records_failed',
  mismatched: 'bridge_records_mismatched',
  syncLag: 'bridge_sync_lag_seconds',
  rateLimited: 'bridge_rate_limited_responses',
  runDuration: 'bridge_sync_run_duration',
} as const;

/** The bridge's instruments on Temporal's metric meter, created once per worker. */
export function createSyncMetrics(meter: MetricMeter): SyncMetrics {
  const counter = (name: string, description: string) => meter.createCounter(name, 'records', description);
  const fetched = counter(metricNames.fetched, 'Records read from the source system');
  const written = counter(metricNames.written, 'Records written to the target system');
  const unchanged = counter(metricNames.unchanged, 'Records read that the target already showed as they are');
  const rejected = counter(metricNames.rejected, 'Records invalid in the source system, not written');
  const failed = counter(metricNames.failed, 'Records the target system refused to write');
  const mismatched = counter(metricNames.mismatched, 'Records that read back different from what was written');
  const lag = meter.createGauge(metricNames.syncLag, 'float', 's', 'Age of the oldest change not yet read from the source');
  const rateLimited = meter.createCounter(metricNames.rateLimited, 'responses', '429 answers received from a system');
  return {
    forIntegration(integrationId, sync) {
      const tags = { integration: integrationId, sync };
      const add = (metric: typeof fetched) => (count: number) => {
        if (count > 0) metric.add(count, tags);
      };
      return {
        recordsFetched: add(fetched),
        recordsWritten: add(written),
        recordsUnchanged: add(unchanged),
        recordsRejected: add(rejected),
        recordsFailed: add(failed),
        recordsMismatched: add(mismatched),
        syncLag: (seconds) => lag.set(Math.max(0, seconds), tags),
        rateLimited: (system) => rateLimited.add(1, { ...tags, system }),
      };
    },
  };
}

const ignore = () => undefined;
const ignoredIntegration: IntegrationMetrics = {
  recordsFetched: ignore,
  recordsWritten: ignore,
  recordsUnchanged: ignore,
  recordsRejected: ignore,
  recordsFailed: ignore,
  recordsMismatched: ignore,
  syncLag: ignore,
  rateLimited: ignore,
};

/** For activities built without a metrics endpoint (tests, one-off tools). */
export const noSyncMetrics: SyncMetrics = { forIntegration: () => ignoredIntegration };

/** Seconds between a change-feed position and now; 0 when the feed is read to its end. */
export function lagSeconds(position: string | null, reachedEnd: boolean, now = Date.now()): number {
  if (reachedEnd || position === null) return 0;
  const at = Date.parse(position);
  return Number.isNaN(at) ? 0 : Math.max(0, (now - at) / 1000);
}
