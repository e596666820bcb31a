import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { BridgeConfig } from '../config/configSchema';

/**
 * OpenTelemetry for one bridge process. With an OTLP endpoint configured, spans of the Temporal
 * interceptors (client, workflow, activity) and of every outbound HTTP call are batched and posted
 * as OTLP/JSON; without one, nothing is recorded and every tracer is a no-op.
 */
export interface Tracing {
  /** Where workflow spans go: the worker hands them out of the sandbox through a sink. */
  readonly spanProcessor: SpanProcessor;
  readonly resource: Resource;
  /** The traces URL spans are posted to, or undefined when tracing is off. */
  readonly tracesUrl: string | undefined;
}

let current: { tracing: Tracing; provider?: BasicTracerProvider } | undefined;

/** The OTLP traces URL by OpenTelemetry's rules: configuration first, then the standard variables. */
export function otlpTracesUrl(config: Pick<BridgeConfig, 'observability'>, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  if (config.observability.otlp.endpoint) return tracesPath(config.observability.otlp.endpoint);
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (specific) return specific;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? tracesPath(base) : undefined;
}

function tracesPath(base: string): string {
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts tracing for this process once (later calls return the same); the first configuration
 * decides. Registers the tracer provider, the async context manager and W3C trace-context
 * propagation globally, so the Temporal interceptors carry the trace across processes.
 */
export function startTracing(config: Pick<BridgeConfig, 'observability'>, env: NodeJS.ProcessEnv = process.env): Tracing {
  if (current) return current.tracing;
  const resource = Resource.default().merge(
    new Resource({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || config.observability.serviceName }),
  );
  const tracesUrl = otlpTracesUrl(config, env);
  if (!tracesUrl) {
    current = { tracing: { spanProcessor: new NoopSpanProcessor(), resource, tracesUrl } };
    return current.tracing;
  }
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  current = { tracing: { spanProcessor, resource, tracesUrl }, provider };
  return current.tracing;
}

/** Sends the spans still batched and stops tracing; call it before the process exits. */
export async function stopTracing(): Promise<void> {
  const stopping = current;
  current = undefined;
  if (!stopping?.provider) return;
  await stopping.provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
}
