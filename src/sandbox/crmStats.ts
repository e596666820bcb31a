import type { CrmStatsSnapshot } from './crmApi';
import type { LinkOutcome } from './crmCustomerApi';
import type { UpsertOutcome } from './crmStore';

type Counters = Omit<CrmStatsSnapshot, 'faults'>;

const zero = (): Counters => ({
  upsertRequests: 0,
  recordsCreated: 0,
  recordsUpdated: 0,
  recordsUnchanged: 0,
  readRequests: 0,
  rejectedBatches: 0,
  demandLinkWrites: 0,
});

/**
 * What clients did to the CRM since start or the last reset. Tests read it over HTTP to prove
 * properties of a sync, e.g. "a second run with no PMS changes writes nothing".
 */
export class CrmStats {
  private counters = zero();

  recordUpsert(outcomes: readonly UpsertOutcome[]): void {
    this.counters.upsertRequests++;
    for (const outcome of outcomes) {
      if (outcome.created) this.counters.recordsCreated++;
      else if (outcome.changed) this.counters.recordsUpdated++;
      else this.counters.recordsUnchanged++;
    }
  }

  /** A batch refused as invalid: it still counts as an upsert request. */
  recordRejectedBatch(): void {
    this.counters.upsertRequests++;
    this.counters.rejectedBatches++;
  }

  /** Counts only demands update-links actually changed, so "the second run wrote nothing" is provable. */
  recordDemandLinks(outcomes: readonly LinkOutcome[]): void {
    this.counters.demandLinkWrites += outcomes.filter((outcome) => outcome.changed).length;
  }

  recordRead(): void {
    this.counters.readRequests++;
  }

  snapshot(): Counters {
    return { ...this.counters };
  }

  reset(): void {
    this.counters = zero();
  }
}
