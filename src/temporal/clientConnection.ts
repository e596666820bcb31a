import { Client, Connection } from '@temporalio/client';
import type { BridgeConfig } from '../config/configSchema';

/** The configured server, or the local dev server that `npm start` runs. */
export function temporalAddress(config: BridgeConfig): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
}

export async function connectClient(config: BridgeConfig, address = temporalAddress(config)): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '5 seconds' });
  } catch (error) {
    throw new Error(
      `Cannot reach Temporal at ${address}: ${(error as Error).message}. Start it with \`npm start\`, or set TEMPORAL_ADDRESS to a running server.`,
    );
  }
  return new Client({ connection, namespace: config.temporal.namespace });
}
