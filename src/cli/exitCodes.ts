/** Exit codes scripts can rely on. */
export const exitCodes = {
  ok: 0,
  /** Something failed: the run, the server, the network. */
  failed: 1,
  /** The command line or the configuration is wrong. */
  usage: 2,
  /** The run completed, but some records failed (see the summary). */
  completedWithFailures: 3,
  /** A run refused an operator command (pause, resume, retry, skip, cancel); the reason is on stderr. */
  refused: 4,
} as const;
