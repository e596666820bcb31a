import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { BridgeConfig } from '../config/configSchema';
import { temporalConnectionOptions } from './connectionOptions';
import { startTracing } from './tracing';

/** The configured server, or the local dev server that `npm start` runs. */
export function temporalAddress(config: BridgeConfig): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
}

/**
 * A client on the configured server; with encryption, pass the same data converter as the workers.
 * Starting, signalling or updating a workflow through it opens a span whose context travels in the
 * workflow's headers, so the workflow, its activities and their HTTP calls join the caller's trace
 * (tracing starts here when configured; see tracing.ts).
 */
export async function connectClient(
  config: BridgeConfig,
  options: { address?: string; dataConverter?: DataConverter } = {},
): Promise<Client> {
  const address = options.address ?? temporalAddress(config);
  startTracing(config);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptions(config, address), connectTimeout: '5 seconds' });
  } catch (error) {
    throw new Error(
      `Cannot reach Temporal at ${address}: ${(error as Error).message}. Start it with \`npm start\`, or set TEMPORAL_ADDRESS to a running server.`,
    );
  }
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: options.dataConverter,
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
  });
}
