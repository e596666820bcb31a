/** Exit codes scripts can rely on. */
export const exitCodes = {
  ok: 0,
  /** Something failed: the run, the server, the network. */
  failed: 1,
  /** The command line or the configuration is wrong. */
  usage: 2,
  /** The run completed, but some records failed (see the summary). */
  completedWithFailures: 3,
} as const;
