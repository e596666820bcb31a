import type { Priority } from '@temporalio/common';

/**
 * Task-queue fairness per integration: each run of an integration's workflows carries the
 * integration id as its fairness key, and its activities inherit it (Temporal's Priority: "by
 * default, activities inherit Priority from the workflow that created them"). With fairness on
 * (matching.enableFairness on a self-hosted server), the server dispatches a backlog key by key in
 * proportion to their weights, so one integration's backlog cannot hold back the others' tasks on
 * the shared task queue. All integrations weigh the same.
 */
export function integrationPriority(integrationId: string): Priority {
  return { fairnessKey: integrationId };
}
