/**
 * The delivery ids a webhook receiver accepted while their signature is still fresh enough to be
 * accepted again. A delivery's bytes are refused by the signature check once its timestamp is
 * older than the tolerance, so an id is only remembered until then: the set stays small, and a
 * captured request can never be replayed, neither within the window (its id is known) nor after
 * (its timestamp is too old).
 *
 * A delivery counts as accepted only once its change is handed over: a delivery being handled
 * makes a concurrent copy of it wait for the outcome, and a failed one is forgotten so the
 * sender's retry is handled in full.
 */
interface Entry {
  expiresAtMs: number;
  outcome: Promise<boolean>;
}

export class RecentDeliveries {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 100_000) {}

  /**
   * Claims a delivery id. Answers 'duplicate' when the same id was accepted before (or is being
   * handled and then succeeds); otherwise the caller handles the delivery and calls `settle`.
   */
  async claim(
    key: string,
    expiresAtMs: number,
    nowMs: number,
  ): Promise<{ kind: 'duplicate' } | { kind: 'new'; settle: (accepted: boolean) => void }> {
    this.forgetExpired(nowMs);
    let known = this.live(key, nowMs);
    while (known) {
      const accepted = await known.outcome;
      const current = this.live(key, nowMs);
      if (accepted && current === known) return { kind: 'duplicate' };
      // Failed (forgotten), expired, or claimed again meanwhile: wait on the newer claim, if any.
      known = current === known ? undefined : current;
    }
    let settle!: (accepted: boolean) => void;
    const entry: Entry = { expiresAtMs, outcome: new Promise<boolean>((resolve) => (settle = resolve)) };
    this.entries.delete(key); // an expired entry of the same id: re-inserted as the newest
    this.entries.set(key, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return {
      kind: 'new',
      settle: (accepted) => {
        if (!accepted && this.entries.get(key) === entry) this.entries.delete(key);
        settle(accepted);
      },
    };
  }

  private live(key: string, nowMs: number): Entry | undefined {
    const entry = this.entries.get(key);
    return entry && entry.expiresAtMs >= nowMs ? entry : undefined;
  }

  /** Oldest first, stopping at the first live one: ids arrive roughly in signing order. */
  private forgetExpired(nowMs: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAtMs >= nowMs) return;
      this.entries.delete(key);
    }
  }
}
