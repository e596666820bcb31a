import { compareCursors, type ChangeCursor } from '../src/shared/changeCursor';

/** Moves a watermark back by the overlap, inclusive of everything at that instant. */
export function withOverlap(watermark: ChangeCursor | null, overlapMs: number): ChangeCursor | null {
  if (!watermark) return null;
  if (overlapMs === 0) return watermark;
  return { since: new Date(Date.parse(watermark.since) - overlapMs).toISOString(), afterId: '' };
}

/** What a feed's position looks like between workflow runs (continue-as-new carries it). */
export interface FeedState {
  cursor: ChangeCursor | null;
  earliestFailure: ChangeCursor | null;
  startWatermark: ChangeCursor | null;
}

export function startFeed(startWatermark: ChangeCursor | null, overlapMs: number): FeedState {
  return { cursor: withOverlap(startWatermark, overlapMs), earliestFailure: null, startWatermark };
}

/** Remembers a record that failed, so the watermark stops before it. */
export function noteFailure(feed: FeedState, position: ChangeCursor): void {
  if (!feed.earliestFailure || compareCursors(position, feed.earliestFailure) < 0) feed.earliestFailure = position;
}

/**
 * Where the next run starts: never past a record that failed (it must be read again), but past
 * records that were done or explicitly rejected. A dry run moves nothing.
 */
export function feedWatermark(feed: FeedState, dryRun = false): ChangeCursor | null {
  if (dryRun) return feed.startWatermark;
  if (feed.earliestFailure) return { since: feed.earliestFailure.since, afterId: '' };
  return feed.cursor ?? feed.startWatermark;
}

/** Sends a feed back to just before the earliest of these records, so they are read again (retryFailed). */
export function rewindTo(feed: FeedState & { done: boolean }, positions: ChangeCursor[]): void {
  const earliest = [...positions].sort(compareCursors)[0];
  if (!earliest) return;
  const before = { since: earliest.since, afterId: '' };
  if (!feed.cursor || compareCursors(before, feed.cursor) < 0) feed.cursor = before;
  feed.done = false;
}
