import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ProductChange, StreamProgress } from './productChangeStreamContract';
import type { FailuresReport } from './failuresReport';
import type { RetryFailedRequest, SkipFailedRequest } from './operatorRequests';
import type { SyncProgress } from './syncProgress';

/**
 * Signals and queries shared by the workflows, the bridge CLI and tests: one definition, so a
 * renamed handler cannot drift between sender and receiver. Names are what operators type in the
 * Temporal UI, so they stay short and stable.
 */
export const pauseSignal = defineSignal<[]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
/** `{}` retries every failed and parked record; `{"ids": [...]}` only those. */
export const retryFailedSignal = defineSignal<[RetryFailedRequest?]>('retryFailed');
/** `{"reason": "..."}` (all) or `{"ids": [...], "reason": "..."}`: stop retrying them, kept for audit. */
export const skipFailedSignal = defineSignal<[SkipFailedRequest]>('skipFailed');
export const progressQuery = defineQuery<SyncProgress>('progress');

/** A product changed in the PMS (sent by the webhook receiver with signal-with-start). */
export const productChangedSignal = defineSignal<[ProductChange]>('productChanged');
export const streamProgressQuery = defineQuery<StreamProgress>('streamProgress');
export const failuresQuery = defineQuery<FailuresReport>('failures');
