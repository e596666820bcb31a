import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ProductChange, StreamProgress } from './productChangeStreamTypes';
import type { SyncProgress } from './syncProgress';

/**
 * Signals and queries shared by the workflows, the bridge CLI and tests: one definition, so a
 * renamed handler cannot drift between sender and receiver. Names are what operators type in the
 * Temporal UI, so they stay short and stable.
 */
export const pauseSignal = defineSignal<[]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const progressQuery = defineQuery<SyncProgress>('progress');

/** A product changed in the PMS (sent by the webhook receiver with signal-with-start). */
export const productChangedSignal = defineSignal<[ProductChange]>('productChanged');
export const streamProgressQuery = defineQuery<StreamProgress>('streamProgress');
