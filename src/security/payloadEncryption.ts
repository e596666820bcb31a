import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import type { BridgeConfig } from '../config/configSchema';
import { ConfigError } from '../config/loadConfig';
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

/**
 * The keyring of a process that writes to Temporal on its own (`bridge worker`, `bridge webhooks`):
 * without keys it would store product and customer data in Temporal's history as plain JSON, so
 * it refuses to start unless the configuration turns encryption off in so many words.
 */
export function keyringForWriter(
  config: BridgeConfig,
  command: string,
  env: NodeJS.ProcessEnv = process.env,
): EncryptionKeyring | undefined {
  if (config.security.encryption === 'off') {
    if (env.BRIDGE_ENCRYPTION_KEYS || config.security.encryptionKeyFile) {
      throw new ConfigError(
        `\`${command}\`: security.encryption is off, but encryption keys are configured (${env.BRIDGE_ENCRYPTION_KEYS ? 'BRIDGE_ENCRYPTION_KEYS' : 'security.encryptionKeyFile / BRIDGE_ENCRYPTION_KEY_FILE'}). ` +
          'Remove the keys to store payloads unencrypted, or remove `encryption: off` to encrypt them.',
      );
    }
    return undefined;
  }
  const keyring = loadKeyring(config, env);
  if (keyring) return keyring;
  throw new ConfigError(
    [
      `\`${command}\` found no encryption keys, so it would store product and customer data in Temporal's history as plain text. It did not start.`,
      'Give it the keys that every worker, client and the codec server share:',
      '  BRIDGE_ENCRYPTION_KEYS="<key id>:<base64 key>"   (make a key with `openssl rand -base64 32`), or',
      '  BRIDGE_ENCRYPTION_KEY_FILE=/path/to/keys.json    (see docs/security.md).',
      'To store payloads unencrypted on purpose, set `security: { encryption: off }` in the configuration file (or BRIDGE_ENCRYPTION=off).',
    ].join('\n'),
  );
}

/** Loads the keyring, creating a key in the data directory if none is configured (npm start). */
export function loadOrCreateKeyring(config: BridgeConfig, env: NodeJS.ProcessEnv = process.env): EncryptionKeyring {
  return loadKeyring(config, env) ?? createKeyFile(defaultKeyFile(config));
}

/** The data converter every client and worker must share when payloads are encrypted. */
export function encryptingDataConverter(keyring: EncryptionKeyring | undefined): DataConverter | undefined {
  return keyring ? { payloadCodecs: [new EncryptionCodec(keyring)] } : undefined;
}
