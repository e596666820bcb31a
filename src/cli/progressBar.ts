import type { SyncProgress } from '../shared/syncProgress';

/** One status line for a run in progress: state, pages, counts, rate. */
export function progressLine(progress: SyncProgress): string {
  const counts = Object.entries(progress.counts)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > 0)
    .map(([name, n]) => `${name} ${n}`)
    .join(' · ');
  const rate = progress.recordsPerSecond !== undefined ? ` · ${progress.recordsPerSecond} rec/s` : '';
  const left = progress.estimatedSecondsLeft !== undefined ? ` · ~${progress.estimatedSecondsLeft} s left` : '';
  const attention = progress.attentionReason ? ` · ${progress.attentionReason}` : '';
  return `${progress.state.padEnd(14)} page ${progress.pages}${counts ? ` · ${counts}` : ''}${rate}${left}${attention}`;
}

/**
 * Redraws one line on a terminal while a run goes on; prints nothing when the output is not a
 * terminal, so scripts get only the final summary.
 */
export class ProgressBar {
  private lastLength = 0;
  private readonly frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  private frame = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(progress: SyncProgress): void {
    if (!this.enabled) return;
    const width = this.stream.columns || 100;
    const line = `${this.frames[this.frame++ % this.frames.length]} ${progressLine(progress)}`.slice(0, width - 1);
    this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.lastLength - line.length))}`);
    this.lastLength = line.length;
  }

  done(): void {
    if (this.enabled && this.lastLength > 0) this.stream.write(`\r${' '.repeat(this.lastLength + 2)}\r`);
    this.lastLength = 0;
  }
}
