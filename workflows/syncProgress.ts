import type { ChangeCursor } from './productSyncTypes';

/** Values of the SyncStatus search attribute and of `progress().state`. */
export type SyncState = 'Running' | 'Paused' | 'Completed' | 'CompletedWithFailures' | 'Failed';

export interface SyncProgress {
  state: SyncState;
  integrationId: string;
  /** Pages done in this logical run, across continue-as-new. */
  pages: number;
  counts: {
    fetched: number;
    created: number;
    updated: number;
    archived: number;
    unchanged: number;
    skipped: number;
    rejected: number;
    failed: number;
  };
  /** Where paging stands now. */
  cursor: ChangeCursor | null;
  /** Where the next run will start if this one ended now. */
  watermark: ChangeCursor | null;
}
