import type { ChangeCursor } from './changeCursor';

/** Values of the SyncStatus search attribute and of `progress().state`. */
export type SyncState = 'Running' | 'Paused' | 'NeedsAttention' | 'Completed' | 'CompletedWithFailures' | 'Cancelled' | 'Failed';

/** Which way a sync moves data: the SyncDirection search attribute. */
export type SyncDirection = 'PmsToCrm' | 'CrmToPms';

/** What the `progress` query answers, for every sync workflow. */
export interface SyncProgress {
  state: SyncState;
  integrationId: string;
  /** Why the run waits for an operator, while it is in NeedsAttention. */
  attentionReason?: string;
  /** Pages done in this logical run, across continue-as-new. */
  pages: number;
  /** Counts so far, named as in the run's summary. */
  counts: Record<string, number | Record<string, number>>;
  /** Where paging stands now. */
  cursor: ChangeCursor | null;
  /** Where the next run would start if this one ended now. */
  watermark: unknown;
  /** Records fetched per second since the run started. */
  recordsPerSecond?: number;
  /** Seconds until the feed is read to its end at the current rate; absent when the source does not say how much is left. */
  estimatedSecondsLeft?: number;
  /** productSync: the mapping change this run applies ("mapping changed (a -> b): up to N records to rewrite ..."). */
  mappingChange?: string;
  /** Operator commands refused (bad payload), newest last, with what was expected. */
  refusedCommands?: string[];
}
