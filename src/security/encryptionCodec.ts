import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { EncryptionKeyring } from './encryptionKeys';

const encryptedEncoding = 'binary/encrypted';
export const keyIdMetadataKey = 'encryption-key-id';
const ivLength = 12;
const tagLength = 16;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encrypts every payload a client or worker sends to Temporal with AES-256-GCM, so histories hold
 * ciphertext only. The whole payload (its metadata too) is encrypted; the key id travels in clear
 * metadata so the right key is picked when decoding, which is what makes rotation possible.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: EncryptionKeyring) {}

  // async so that a payload that cannot be decrypted rejects the promise instead of throwing.
  // eslint-disable-next-line @typescript-eslint/require-await
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const keyId = this.keyring.activeKeyId;
    const iv = randomBytes(ivLength);
    const cipher = createCipheriv('aes-256-gcm', this.keyring.keys.get(keyId)!, iv);
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: encoder.encode(encryptedEncoding), [keyIdMetadataKey]: encoder.encode(keyId) },
      data,
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || decoder.decode(encoding) !== encryptedEncoding) return payload;
    const rawKeyId = payload.metadata?.[keyIdMetadataKey];
    const keyId = rawKeyId ? decoder.decode(rawKeyId) : '(none)';
    const key = this.keyring.keys.get(keyId);
    if (!key) {
      throw new Error(
        `Cannot decrypt a payload encrypted with key '${keyId}': that key is not configured here (known: ${[...this.keyring.keys.keys()].join(', ')}). Add it back to the keyring to read older histories.`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < ivLength + tagLength) throw new Error(`Encrypted payload (key '${keyId}') is too short to be valid.`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, ivLength));
    decipher.setAuthTag(data.subarray(data.length - tagLength));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(ivLength, data.length - tagLength)), decipher.final()]);
    } catch {
      throw new Error(
        `Encrypted payload (key '${keyId}') failed its integrity check: it was altered, or the key is not the one it was written with.`,
      );
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}
