import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from '@temporalio/client';
import type { BridgeConfig } from '../config/configSchema';
import { ConfigError } from '../config/loadConfig';

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(
      `Cannot read the ${what} at ${file} (temporal.tls): ${(error as Error).message}. Fix the path or the file's permissions.`,
    );
  }
}

/**
 * How to reach Temporal: the address, plus TLS (server CA, mTLS client pair, server name) and an
 * API key when configured. Shared by clients and workers so both connect the same way.
 */
export function temporalConnectionOptions(
  config: BridgeConfig,
  address: string,
): Pick<ConnectionOptions, 'address' | 'tls'> & { apiKey?: string } {
  const { tls, apiKey } = config.temporal;
  return {
    address,
    ...(tls
      ? {
          tls: {
            ...(tls.caFile ? { serverRootCACertificate: readPem(tls.caFile, 'server CA certificate') } : {}),
            ...(tls.certFile && tls.keyFile
              ? { clientCertPair: { crt: readPem(tls.certFile, 'client certificate'), key: readPem(tls.keyFile, 'client key') } }
              : {}),
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
          },
        }
      : apiKey
        ? { tls: true }
        : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}
