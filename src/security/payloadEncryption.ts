import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import type { BridgeConfig } from '../config/configSchema';
import { EncryptionCodec } from './encryptionCodec';
import { createKeyFile, parseKeysVariable, readKeyFile, type EncryptionKeyring } from './encryptionKeys';

/** Where `npm start` keeps the key it generates for the embedded default (data/ is not in git). */
const defaultKeyFile = (config: BridgeConfig): string => path.join(config.dataDir, 'encryption-keys.json');

/**
 * The keyring from, in order: BRIDGE_ENCRYPTION_KEYS, the configured key file, the data
 * directory's key file. None: payloads are not encrypted.
 */
export function loadKeyring(config: BridgeConfig, env: NodeJS.ProcessEnv = process.env): EncryptionKeyring | undefined {
  if (env.BRIDGE_ENCRYPTION_KEYS) return parseKeysVariable(env.BRIDGE_ENCRYPTION_KEYS);
  if (config.security.encryptionKeyFile) return readKeyFile(config.security.encryptionKeyFile);
  return existsSync(defaultKeyFile(config)) ? readKeyFile(defaultKeyFile(config)) : undefined;
}

/** Loads the keyring, creating a key in the data directory if none is configured (npm start). */
export function loadOrCreateKeyring(config: BridgeConfig, env: NodeJS.ProcessEnv = process.env): EncryptionKeyring {
  return loadKeyring(config, env) ?? createKeyFile(defaultKeyFile(config));
}

/** The data converter every client and worker must share when payloads are encrypted. */
export function encryptingDataConverter(keyring: EncryptionKeyring | undefined): DataConverter | undefined {
  return keyring ? { payloadCodecs: [new EncryptionCodec(keyring)] } : undefined;
}
