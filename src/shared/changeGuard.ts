import { z } from 'zod';

/**
 * The change guard: a broken source must not wipe or rewrite the CRM. productSync, its mirror
 * reconcile and productChangeStream count the updates and archives they are about to make
 * (creates do not count) and stop for an operator's go-ahead before the write that would cross
 * `maxChangeShare` of the CRM's products. Pure: the operator controls hold one and carry it.
 */
export const changeGuardSchema = z
  .object({
    /** Largest share of the CRM's records one run (or, in the stream, one `windowMs`) may update or archive. */
    maxChangeShare: z.number().min(0).max(1).default(0.5),
    /** The guard applies only to a CRM holding at least this many records. */
    minRecords: z.number().int().min(0).default(100),
  })
  .default({ maxChangeShare: 0.5, minRecords: 100 });
export type ChangeGuardSettings = z.output<typeof changeGuardSchema>;

/** The changes counted so far: one entry per step, oldest first (carried across continue-as-new). */
export const guardCountSchema = z.array(z.object({ at: z.string(), changes: z.number().int().min(0) })).default([]);
export type GuardCount = z.output<typeof guardCountSchema>;

/** What the guard limits, as the operator reads it. */
export interface GuardedStep {
  /** How many products the CRM holds: the base of the share. */
  crmTotal: number;
  /** Updates and archives the step is about to write. */
  changes: number;
  /** "page 12", "batch 3", "reconcile": where the run stops. */
  step: string;
  /** ISO time now (Temporal's clock in a workflow). */
  now: string;
}

export class ChangeGuardCount {
  private entries: GuardCount;

  /**
   * `windowMs`: count only the changes of this long before now (the stream, which never ends);
   * undefined counts the whole run (productSync, across continue-as-new).
   */
  constructor(
    private readonly settings: ChangeGuardSettings,
    private readonly windowMs: number | undefined,
    carried: GuardCount = [],
  ) {
    this.entries = carried.map((entry) => ({ ...entry }));
  }

  private counted(now: string): number {
    if (this.windowMs !== undefined) {
      const since = Date.parse(now) - this.windowMs;
      this.entries = this.entries.filter((entry) => Date.parse(entry.at) > since);
    }
    return this.entries.reduce((sum, entry) => sum + entry.changes, 0);
  }

  /** The reason to stop before the step, or undefined when it stays under the share. */
  excess({ crmTotal, changes, step, now }: GuardedStep): string | undefined {
    if (crmTotal < this.settings.minRecords || changes === 0) return undefined;
    const counted = this.counted(now);
    if (counted + changes <= Math.floor(this.settings.maxChangeShare * crmTotal)) return undefined;
    const share = Math.round(this.settings.maxChangeShare * 100);
    const scope = this.windowMs === undefined ? 'this run' : `the last ${describeWindow(this.windowMs)}`;
    return (
      `Change guard: ${step} would take the updates and archives of ${scope} past ${share}% of the CRM's ${crmTotal} products ` +
      `(${counted} done, ${changes} more in ${step}). Nothing of ${step} was written. If the PMS really changed this much, ` +
      'send resume (the go-ahead: this step is written and the count starts again after it); otherwise check the PMS and cancel the run.'
    );
  }

  /** The step's changes were let through. */
  record(changes: number, now: string): void {
    if (changes === 0) return;
    if (this.windowMs === undefined && this.entries.length > 0) this.entries = [{ at: now, changes: this.counted(now) + changes }];
    else this.entries.push({ at: now, changes });
  }

  /** The operator's go-ahead: what was counted and the step that stopped are accepted; the count starts again. */
  reset(): void {
    this.entries = [];
  }

  snapshot(): GuardCount {
    return this.entries.map((entry) => ({ ...entry }));
  }
}

function describeWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
