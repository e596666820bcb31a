import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes that let an operator filter runs in the Temporal UI, e.g.
 * `SyncStatus = "CompletedWithFailures"`. The dev server registers them at start; a real cluster
 * needs `temporal operator search-attribute create` once (see docs/operating.md).
 */
export const integrationIdKey = defineSearchAttributeKey('IntegrationId', SearchAttributeType.KEYWORD);
export const syncDirectionKey = defineSearchAttributeKey('SyncDirection', SearchAttributeType.KEYWORD);
export const syncStatusKey = defineSearchAttributeKey('SyncStatus', SearchAttributeType.KEYWORD);

export const bridgeSearchAttributes = [integrationIdKey, syncDirectionKey, syncStatusKey];
