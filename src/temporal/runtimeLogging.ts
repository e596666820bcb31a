import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logging/logger';

let installed = false;

/**
 * Routes the SDK's own logs and workflow `log.*` calls (which carry workflowId, runId and
 * workflowType) into pino. The SDK allows one Runtime per process, so only the first call counts.
 */
export function installRuntimeLogging(logger: Logger, level: LogLevel = 'INFO'): void {
  if (installed) return;
  installed = true;
  const sdkLog = logger.child({ component: 'temporal' });
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
      const method = entryLevel === 'TRACE' ? 'trace' : entryLevel === 'DEBUG' ? 'debug' : entryLevel === 'WARN' ? 'warn' : entryLevel === 'ERROR' ? 'error' : 'info';
      sdkLog[method](meta ?? {}, message);
    }),
  });
}
