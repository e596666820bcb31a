import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ProductChange, StreamProgress } from './productChangeStreamContract';
import type { FailuresReport } from './failuresReport';
import type { RetryFailedRequest, SkipFailedRequest } from './operatorRequests';
import type { SyncProgress } from './syncProgress';

/**
 * Signals, updates and queries shared by the workflows, the bridge CLI and tests: one definition,
 * so a renamed handler cannot drift between sender and receiver. Names are what operators type in
 * the Temporal UI, so they stay short and stable.
 */
export const pauseSignal = defineSignal<[]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
/** `{}` retries every failed and parked record; `{"ids": [...]}` only those. */
export const retryFailedSignal = defineSignal<[RetryFailedRequest?]>('retryFailed');
/** `{"reason": "..."}` (all) or `{"ids": [...], "reason": "..."}`: stop retrying them, kept for audit. */
export const skipFailedSignal = defineSignal<[SkipFailedRequest]>('skipFailed');
export const progressQuery = defineQuery<SyncProgress>('progress');

/**
 * The same operator moves as updates ("Send an Update" in the Web UI, `bridge`): a validator
 * refuses, with the reason, what cannot apply before anything is written to the history, and the
 * answer says what will happen. Same names as the signals, which stay for schedules' memo requests
 * and older clients.
 */
export const pauseUpdate = defineUpdate<string, []>('pause');
export const resumeUpdate = defineUpdate<string, []>('resume');
export const retryFailedUpdate = defineUpdate<string, [RetryFailedRequest]>('retryFailed');
export const skipFailedUpdate = defineUpdate<string, [SkipFailedRequest]>('skipFailed');
/** Ends the run after the batch in flight, with a summary (as a cancel request does). */
export const cancelAfterBatchUpdate = defineUpdate<string, []>('cancelAfterBatch');

/** A product changed in the PMS (sent by the webhook receiver with signal-with-start). */
export const productChangedSignal = defineSignal<[ProductChange]>('productChanged');
export const streamProgressQuery = defineQuery<StreamProgress>('streamProgress');
export const failuresQuery = defineQuery<FailuresReport>('failures');
