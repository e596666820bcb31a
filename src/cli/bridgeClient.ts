import type { Client } from '@temporalio/client';
import type { BridgeConfig } from '../config/configSchema';
import { loadConfig } from '../config/loadConfig';
import { encryptingDataConverter, loadKeyring } from '../security/payloadEncryption';
import { connectClient } from '../temporal/clientConnection';

/** Runs a command body with the configuration and a client that reads encrypted payloads, then closes it. */
export async function withBridgeClient<T>(body: (client: Client, config: BridgeConfig) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const client = await connectClient(config, { dataConverter: encryptingDataConverter(loadKeyring(config)) });
  try {
    return await body(client, config);
  } finally {
    await client.connection.close();
  }
}

export const out = (line: string): void => void process.stdout.write(`${line}\n`);
