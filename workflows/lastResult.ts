/**
 * The previous scheduled run's summary, from `workflowInfo().lastResult`, when it has the shape
 * this workflow returns (it has a watermark and the given counters field); otherwise undefined, as
 * for a first run or one started by hand.
 */
export function previousSummary<T>(lastResult: unknown, countersField: string): T | undefined {
  const looksRight = typeof lastResult === 'object' && lastResult !== null && 'watermark' in lastResult && countersField in lastResult;
  return looksRight ? (lastResult as T) : undefined;
}
