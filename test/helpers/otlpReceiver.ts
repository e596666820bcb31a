import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/**
 * A local OTLP/HTTP trace receiver for tests: it accepts `POST /v1/traces` with an OTLP/JSON body
 * (opentelemetry-proto's ExportTraceServiceRequest in its JSON mapping, trace and span ids as hex,
 * https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) and answers 200 with an
 * empty ExportTraceServiceResponse, as the OTLP spec describes for a full success.
 */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  serviceName: string | undefined;
  attributes: Record<string, string | number | boolean>;
}

const anyValueSchema = z
  .object({
    stringValue: z.string().optional(),
    intValue: z.union([z.string(), z.number()]).optional(),
    doubleValue: z.number().optional(),
    boolValue: z.boolean().optional(),
  })
  .loose();
const keyValuesSchema = z.array(z.object({ key: z.string(), value: anyValueSchema })).default([]);
const exportRequestSchema = z.object({
  resourceSpans: z.array(
    z.object({
      resource: z.object({ attributes: keyValuesSchema }).optional(),
      scopeSpans: z.array(
        z.object({
          spans: z.array(
            z.object({
              traceId: z.string(),
              spanId: z.string(),
              parentSpanId: z.string().optional(),
              name: z.string(),
              attributes: keyValuesSchema,
            }),
          ),
        }),
      ),
    }),
  ),
});

function attributesOf(keyValues: z.infer<typeof keyValuesSchema>): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const { key, value } of keyValues) {
    const plain =
      value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue;
    // Arrays and maps are kept as their JSON, so a check for a leaked value still sees them.
    attributes[key] = plain ?? JSON.stringify(value);
  }
  return attributes;
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT or observability.otlp.endpoint take it. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Request content types seen, e.g. application/json. */
  contentTypes: string[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      contentTypes.push(request.headers['content-type'] ?? '');
      const parsed = exportRequestSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      if (!parsed.success) {
        response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 3, message: parsed.error.message }));
        return;
      }
      for (const resourceSpans of parsed.data.resourceSpans) {
        const serviceName = attributesOf(resourceSpans.resource?.attributes ?? [])['service.name'];
        for (const scope of resourceSpans.scopeSpans) {
          for (const span of scope.spans) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              name: span.name,
              serviceName: typeof serviceName === 'string' ? serviceName : undefined,
              attributes: attributesOf(span.attributes),
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
