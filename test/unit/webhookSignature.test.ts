import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signDelivery, signatureHeader, timestampHeader, verifyDelivery } from '../../src/webhooks/webhookSignature';

const secret = 'a-shared-webhook-secret';
const body = Buffer.from(
  '{"type":"product.changed","eventId":"e-1","product":{"id":"P-1","updatedAt":"2026-11-24T10:00:00.000Z","deleted":false}}',
);
const now = Date.parse('2026-11-24T10:00:00Z');

function headersOf(signed: Record<string, string>) {
  return { signature: signed[signatureHeader], timestamp: signed[timestampHeader] };
}

describe('webhook signatures (HMAC-SHA256 over timestamp and raw body)', () => {
  test('a delivery signed with the shared secret is accepted', () => {
    assert.deepEqual(verifyDelivery(secret, headersOf(signDelivery(secret, body, now)), body, { nowMs: now + 2_000 }), { ok: true });
  });

  test('the signature has the documented form sha256=<64 hex digits>', () => {
    assert.match(signDelivery(secret, body, now)[signatureHeader]!, /^sha256=[0-9a-f]{64}$/);
  });

  test('a body changed after signing is refused', () => {
    const tampered = Buffer.from(body.toString().replace('P-1', 'P-2'));
    const check = verifyDelivery(secret, headersOf(signDelivery(secret, body, now)), tampered, { nowMs: now });
    assert.equal(check.ok, false);
    assert.match(!check.ok ? check.reason : '', /does not match/);
  });

  test('a delivery signed with another secret is refused', () => {
    const check = verifyDelivery(secret, headersOf(signDelivery('another-secret', body, now)), body, { nowMs: now });
    assert.equal(check.ok, false);
  });

  test('moving the timestamp invalidates the signature, so a replay cannot refresh it', () => {
    const signed = headersOf(signDelivery(secret, body, now));
    const check = verifyDelivery(secret, { ...signed, timestamp: String(now / 1000 + 600) }, body, { nowMs: now + 600_000 });
    assert.equal(check.ok, false);
  });

  test('a delivery signed outside the tolerance is refused as a possible replay', () => {
    const check = verifyDelivery(secret, headersOf(signDelivery(secret, body, now)), body, { nowMs: now + 301_000 });
    assert.equal(check.ok, false);
    assert.match(!check.ok ? check.reason : '', /replay/);
  });

  test('missing and malformed headers are refused with a reason naming the header', () => {
    const missing = verifyDelivery(secret, { timestamp: String(now / 1000) }, body, { nowMs: now });
    assert.match(!missing.ok ? missing.reason : '', /missing x-bridge-signature/);
    const noTime = verifyDelivery(secret, { signature: `sha256=${'0'.repeat(64)}` }, body, { nowMs: now });
    assert.match(!noTime.ok ? noTime.reason : '', /x-bridge-timestamp/);
    const malformed = verifyDelivery(secret, { signature: 'md5=abc', timestamp: String(now / 1000) }, body, { nowMs: now });
    assert.match(!malformed.ok ? malformed.reason : '', /malformed x-bridge-signature/);
  });
});
