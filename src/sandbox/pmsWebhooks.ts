import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { RawPmsProduct } from '../domain/pmsProduct';
import type { Logger } from '../logging/logger';
import type { ProductChangeEvent } from '../webhooks/productChangeEvent';
import { signDelivery } from '../webhooks/webhookSignature';

/** Where the sandbox PMS announces product changes, and the secret it signs them with. */
export const webhookSettingsSchema = z.object({
  url: z.url({ message: 'webhook.url must be an http(s) URL' }),
  secret: z.string().min(1, 'webhook.secret must not be empty'),
});
export type WebhookSettings = z.infer<typeof webhookSettingsSchema>;

const attempts = 4;
const deliveryTimeoutMs = 5_000;

/**
 * Sends a signed webhook for every product change, as real PIMs do: after the change is committed,
 * without holding up the API answer, retried with back-off on network errors and 5xx (so a
 * receiver may see a change twice, or two changes out of order).
 */
export class PmsWebhookSender {
  private inFlight = new Set<Promise<void>>();
  private counters = { sent: 0, delivered: 0, failed: 0 };

  constructor(
    private settings: WebhookSettings | null,
    private readonly logger: Logger,
  ) {}

  /** Changes (or with null, stops) deliveries at run time. */
  configure(settings: WebhookSettings | null): void {
    this.settings = settings === null ? null : webhookSettingsSchema.parse(settings);
  }

  get stats(): { sent: number; delivered: number; failed: number } {
    return { ...this.counters };
  }

  notify(product: RawPmsProduct): void {
    const settings = this.settings;
    if (!settings) return;
    const event: ProductChangeEvent = {
      type: 'product.changed',
      eventId: randomUUID(),
      product: { id: product.id, updatedAt: product.updatedAt, deleted: product.deleted === true },
    };
    const delivery = this.deliver(settings, JSON.stringify(event)).finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  /** Resolves when every delivery started so far has ended. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async deliver(settings: WebhookSettings, body: string): Promise<void> {
    this.counters.sent++;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const status = await this.post(settings, body);
      if (status !== null && status < 300) {
        this.counters.delivered++;
        return;
      }
      // A 4xx will not heal by itself (wrong secret, bad URL): report it, do not hammer the receiver.
      if (status !== null && status < 500) break;
      if (attempt < attempts) await sleep(200 * 2 ** (attempt - 1));
    }
    this.counters.failed++;
    this.logger.warn({ url: settings.url }, 'sandbox PMS: a product webhook could not be delivered');
  }

  /** The answer's status, or null when the receiver could not be reached. */
  private async post(settings: WebhookSettings, body: string): Promise<number | null> {
    try {
      const response = await fetch(settings.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signDelivery(settings.secret, body) },
        body,
        signal: AbortSignal.timeout(deliveryTimeoutMs),
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return null;
    }
  }
}
