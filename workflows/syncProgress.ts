import type { ChangeCursor } from './productSyncTypes';

/** Values of the SyncStatus search attribute and of `progress().state`. */
export type SyncState = 'Running' | 'Paused' | 'Completed' | 'CompletedWithFailures' | 'Failed';

/** What the `progress` query answers, for every sync workflow. */
export interface SyncProgress {
  state: SyncState;
  integrationId: string;
  /** Pages done in this logical run, across continue-as-new. */
  pages: number;
  /** Counts so far, named as in the run's summary. */
  counts: Record<string, number | Record<string, number>>;
  /** Where paging stands now. */
  cursor: ChangeCursor | null;
  /** Where the next run would start if this one ended now. */
  watermark: unknown;
}
