/** What a product sync may do to the CRM: create and update; only update; or also archive (mirror). */
export const syncModes = ['upsert', 'update-only', 'mirror'] as const;
export type SyncMode = (typeof syncModes)[number];
