/** What every sync workflow's summary says about the run itself, whatever it synced. */
export interface RunFacts {
  integrationId: string;
  /** Cancelled: an operator cancelled the run; it stopped after the batch in flight, nothing half-written. */
  status: 'Completed' | 'CompletedWithFailures' | 'Cancelled';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Pages done across the whole chain of runs. */
  pages: number;
  /** How many times the run handed over to a fresh one to keep its history small. */
  continuedAsNew: number;
}

/** Start, end and duration of a run, from ISO timestamps taken on Temporal's clock. */
export function runTiming(startedAt: string, finishedAt: string): Pick<RunFacts, 'startedAt' | 'finishedAt' | 'durationMs'> {
  return { startedAt, finishedAt, durationMs: Date.parse(finishedAt) - Date.parse(startedAt) };
}
