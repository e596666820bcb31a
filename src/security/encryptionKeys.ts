import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Keys for payload encryption. Several at once, so a key can be rotated: new payloads use the
 * active key, and payloads written with an older key still decrypt as long as it stays listed.
 */
export interface EncryptionKeyring {
  activeKeyId: string;
  keys: Map<string, Buffer>;
}

class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

const keyIdSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'key ids are 1-64 letters, digits, _ . -');
const keyFileSchema = z.object({
  activeKeyId: keyIdSchema,
  keys: z.record(keyIdSchema, z.string().min(1)),
});
type KeyFile = z.infer<typeof keyFileSchema>;

function decodeKey(keyId: string, base64: string, source: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) {
    throw new KeyringError(
      `Encryption key '${keyId}' in ${source} is ${key.length} bytes; AES-256 needs 32 bytes, base64-encoded (e.g. \`openssl rand -base64 32\`).`,
    );
  }
  return key;
}

function keyringFrom(file: KeyFile, source: string): EncryptionKeyring {
  const keys = new Map(Object.entries(file.keys).map(([id, base64]) => [id, decodeKey(id, base64, source)]));
  if (!keys.has(file.activeKeyId)) {
    throw new KeyringError(`The active key '${file.activeKeyId}' in ${source} is not among its keys (${[...keys.keys()].join(', ')}).`);
  }
  return { activeKeyId: file.activeKeyId, keys };
}

export function readKeyFile(file: string): EncryptionKeyring {
  if (!existsSync(file)) throw new KeyringError(`Encryption key file ${file} does not exist. Fix BRIDGE_ENCRYPTION_KEY_FILE, or unset it.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new KeyringError(`Encryption key file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const result = keyFileSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'file'}: ${issue.message}`).join('; ');
    throw new KeyringError(
      `Encryption key file ${file} is invalid (${problems}); expected {"activeKeyId": "...", "keys": {"<id>": "<base64 32 bytes>"}}.`,
    );
  }
  return keyringFrom(result.data, file);
}

/**
 * `BRIDGE_ENCRYPTION_KEYS="2026-11:<base64>,2026-05:<base64>"`: the first is active. The
 * environment keeps keys out of files on disk where a secret store injects them.
 */
export function parseKeysVariable(value: string): EncryptionKeyring {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new KeyringError('BRIDGE_ENCRYPTION_KEYS is empty; expected "<key id>:<base64 key>[,...]".');
  const keys: Record<string, string> = {};
  for (const entry of entries) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator);
    if (separator < 1 || !keyIdSchema.safeParse(id).success) {
      throw new KeyringError('BRIDGE_ENCRYPTION_KEYS entries look like "<key id>:<base64 key>", key ids 1-64 letters, digits, _ . -.');
    }
    keys[id] = entry.slice(separator + 1);
  }
  return keyringFrom({ activeKeyId: Object.keys(keys)[0]!, keys }, 'BRIDGE_ENCRYPTION_KEYS');
}

/** A fresh key file for the embedded default, readable by its owner only. */
export function createKeyFile(file: string, keyId = `key-${new Date().toISOString().slice(0, 10)}`): EncryptionKeyring {
  mkdirSync(path.dirname(file), { recursive: true });
  const contents: KeyFile = { activeKeyId: keyId, keys: { [keyId]: randomBytes(32).toString('base64') } };
  writeFileSync(file, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return keyringFrom(contents, file);
}
