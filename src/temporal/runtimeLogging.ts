import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logging/logger';

let installed = false;

export interface RuntimeTelemetryOptions {
  /** host:port of the Prometheus endpoint (/metrics) for the SDK's and the bridge's metrics. */
  prometheusBindAddress?: string;
}

/**
 * Routes the SDK's own logs and workflow `log.*` calls (which carry workflowId, runId and
 * workflowType) into pino, and serves metrics when asked. The SDK allows one Runtime per process,
 * so only the first call counts.
 */
export function installRuntimeLogging(logger: Logger, level: LogLevel = 'INFO', telemetry: RuntimeTelemetryOptions = {}): void {
  if (installed) return;
  installed = true;
  const sdkLog = logger.child({ component: 'temporal' });
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
      const method =
        entryLevel === 'TRACE'
          ? 'trace'
          : entryLevel === 'DEBUG'
            ? 'debug'
            : entryLevel === 'WARN'
              ? 'warn'
              : entryLevel === 'ERROR'
                ? 'error'
                : 'info';
      sdkLog[method](meta ?? {}, message);
    }),
    ...(telemetry.prometheusBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: telemetry.prometheusBindAddress } } } }
      : {}),
  });
}
