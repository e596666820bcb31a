import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec, keyIdMetadataKey } from '../../src/security/encryptionCodec';
import { createKeyFile, parseKeysVariable, readKeyFile } from '../../src/security/encryptionKeys';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');
const payload = defaultPayloadConverter.toPayload({ customer: 'Acme GmbH', email: 'anna@acme.example' });

describe('payload encryption', () => {
  test('an encoded payload holds neither the data nor its encoding in clear, and decodes back', async () => {
    const codec = new EncryptionCodec(parseKeysVariable(`k1:${key(1)}`));
    const [encrypted] = await codec.encode([payload]);
    assert.ok(!Buffer.from(encrypted!.data!).toString('latin1').includes('Acme'));
    assert.equal(Buffer.from(encrypted!.metadata![keyIdMetadataKey]!).toString(), 'k1');
    const [decrypted] = await codec.decode([encrypted!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decrypted!), { customer: 'Acme GmbH', email: 'anna@acme.example' });
  });

  test('after rotation, payloads written with the old key still decode; new ones use the new key', async () => {
    const [old] = await new EncryptionCodec(parseKeysVariable(`2026-05:${key(1)}`)).encode([payload]);
    const rotated = new EncryptionCodec(parseKeysVariable(`2026-11:${key(2)},2026-05:${key(1)}`));
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!), {
      customer: 'Acme GmbH',
      email: 'anna@acme.example',
    });
    const [fresh] = await rotated.encode([payload]);
    assert.equal(Buffer.from(fresh!.metadata![keyIdMetadataKey]!).toString(), '2026-11');
  });

  test('a payload with an unknown key id fails with a message naming the key id', async () => {
    const [old] = await new EncryptionCodec(parseKeysVariable(`retired:${key(1)}`)).encode([payload]);
    await assert.rejects(
      new EncryptionCodec(parseKeysVariable(`current:${key(2)}`)).decode([old!]),
      /encrypted with key 'retired': that key is not configured here \(known: current\)/,
    );
  });

  test('a tampered payload fails its integrity check', async () => {
    const codec = new EncryptionCodec(parseKeysVariable(`k1:${key(1)}`));
    const [encrypted] = await codec.encode([payload]);
    const data = Buffer.from(encrypted!.data!);
    data[20] = data[20]! ^ 0xff;
    await assert.rejects(codec.decode([{ ...encrypted!, data }]), /failed its integrity check/);
  });

  test('unencrypted payloads pass through, so histories from before encryption stay readable', async () => {
    const codec = new EncryptionCodec(parseKeysVariable(`k1:${key(1)}`));
    assert.deepEqual(await codec.decode([payload]), [payload]);
  });

  test('bad keys and key files are refused with what was wrong', () => {
    assert.throws(() => parseKeysVariable(`k1:${Buffer.alloc(16).toString('base64')}`), /'k1' .* is 16 bytes; AES-256 needs 32 bytes/);
    assert.throws(() => parseKeysVariable('no-separator'), /entries look like "<key id>:<base64 key>"/);
    const dir = mkdtempSync(path.join(tmpdir(), 'keys-'));
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ activeKeyId: 'x', keys: { y: key(1) } }));
    assert.throws(() => readKeyFile(path.join(dir, 'bad.json')), /active key 'x' .* is not among its keys \(y\)/);
    assert.throws(() => readKeyFile(path.join(dir, 'missing.json')), /does not exist/);
    const created = createKeyFile(path.join(dir, 'new.json'), 'first');
    assert.equal(readKeyFile(path.join(dir, 'new.json')).activeKeyId, created.activeKeyId);
  });
});
