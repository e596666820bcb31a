/** Resolves with the signal's name when the process is asked to stop (Ctrl-C, or SIGTERM from a supervisor). */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}
