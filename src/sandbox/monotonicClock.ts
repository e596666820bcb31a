/**
 * Hands out ISO timestamps (millisecond precision) that strictly increase, even when the wall
 * clock stands still within a millisecond or steps backwards (NTP adjustments, restarts on a
 * machine with a skewed clock).
 *
 * Why it matters: change feeds are paged by (updatedAt, id). If a write could receive a timestamp
 * at or below one already handed out in a cursor, a reader holding that cursor would never see
 * the write. Strictly increasing timestamps make every new write sort after every cursor issued
 * before it.
 */
export class MonotonicClock {
  private lastIssuedMs: number;

  /** @param lastIssued the newest timestamp already stored, so the guarantee survives restarts. */
  constructor(
    lastIssued: string | null = null,
    private readonly now: () => number = Date.now,
  ) {
    this.lastIssuedMs = lastIssued === null ? Number.NEGATIVE_INFINITY : Date.parse(lastIssued);
  }

  next(): string {
    const nowMs = this.now();
    this.lastIssuedMs = nowMs > this.lastIssuedMs ? nowMs : this.lastIssuedMs + 1;
    return new Date(this.lastIssuedMs).toISOString();
  }
}
