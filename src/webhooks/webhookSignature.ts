import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a signed delivery: when it was signed, and `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<raw body>"). */
export const signatureHeader = 'x-bridge-signature';
export const timestampHeader = 'x-bridge-timestamp';

/** A delivery signed longer ago than this is refused, so a captured request cannot be replayed later. */
export const defaultToleranceMs = 5 * 60_000;

function digest(secret: string, timestamp: string, rawBody: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

/** The headers that sign `rawBody` at `nowMs` (the timestamp is in whole seconds). */
export function signDelivery(secret: string, rawBody: Buffer | string, nowMs = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { [timestampHeader]: timestamp, [signatureHeader]: `sha256=${digest(secret, timestamp, rawBody).toString('hex')}` };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a delivery's signature over its raw body and its age. The reasons say what was wrong so
 * the sender's operator can fix it, and never reveal the expected signature.
 */
export function verifyDelivery(
  secret: string,
  headers: { signature?: string; timestamp?: string },
  rawBody: Buffer,
  options: { nowMs?: number; toleranceMs?: number } = {},
): SignatureCheck {
  const { signature, timestamp } = headers;
  if (!signature)
    return { ok: false, reason: `missing ${signatureHeader} header: deliveries must be signed with the shared webhook secret` };
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, reason: `missing or malformed ${timestampHeader} header: expected the signing time in Unix seconds` };
  }
  const match = /^sha256=([0-9a-f]{64})$/i.exec(signature);
  if (!match) return { ok: false, reason: `malformed ${signatureHeader} header: expected sha256=<64 hex digits>` };
  const expected = digest(secret, timestamp, rawBody);
  if (!timingSafeEqual(Buffer.from(match[1]!, 'hex'), expected)) {
    return { ok: false, reason: 'signature does not match the body: check that sender and bridge share the same webhook secret' };
  }
  const ageMs = Math.abs((options.nowMs ?? Date.now()) - Number(timestamp) * 1000);
  const toleranceMs = options.toleranceMs ?? defaultToleranceMs;
  if (ageMs > toleranceMs) {
    return {
      ok: false,
      reason: `delivery signed ${Math.round(ageMs / 1000)} s from now, outside the ${toleranceMs / 1000} s tolerance: refused as a possible replay (check the sender's clock)`,
    };
  }
  return { ok: true };
}
