import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that may carry secrets or personal data. pino replaces them in every line, so a careless
 * `log.info({ request })` can never leak a token, an e-mail address or a phone number.
 */
const redactedPaths = [
  'token',
  '*.token',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'apiKey',
  '*.apiKey',
  'email',
  '*.email',
  'phone',
  '*.phone',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to capture them. */
  destination?: pino.DestinationStream;
}

/**
 * The ids of the span a line is written in (an activity, an HTTP call, a webhook delivery), so a
 * log line leads to its trace; nothing when tracing is off or no span is active.
 */
function traceIds(): Record<string, string> {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  return pino(
    { name, level, redact: { paths: redactedPaths, censor: '[redacted]' }, base: { service: 'crm-pms-bridge' }, mixin: traceIds },
    options.destination,
  );
}
