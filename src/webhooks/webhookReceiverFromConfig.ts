import type { Client } from '@temporalio/client';
import path from 'node:path';
import type { BridgeConfig } from '../config/configSchema';
import { ConfigError } from '../config/loadConfig';
import type { Logger } from '../logging/logger';
import { readOrCreateSecret } from '../security/tokens';
import { createProductWebhookReceiver, webhookPath, type ProductWebhookReceiver, type StreamSettings } from './productWebhookReceiver';

/**
 * The webhook secret: BRIDGE_WEBHOOK_SECRET (or webhooks.secret), else, where `allowGenerated`
 * (npm start, which runs the sandbox PMS that must share it), one generated in the data directory.
 */
export function webhookSecret(config: BridgeConfig, allowGenerated: boolean): string {
  if (config.webhooks.secret) return config.webhooks.secret;
  if (allowGenerated) return readOrCreateSecret(path.join(config.dataDir, 'webhook-secret'));
  throw new ConfigError(
    'The webhook receiver needs the secret it shares with the PMS: set BRIDGE_WEBHOOK_SECRET (at least 16 characters).',
  );
}

/**
 * Every configured product sync accepts webhooks, with its mode and change guard and the
 * configured window and batch; the guard counts the stream's changes over `webhooks.guardWindowMs`.
 */
export function streamSettings(config: BridgeConfig): Map<string, StreamSettings> {
  const { windowMs, maxBatch, guardWindowMs } = config.webhooks;
  return new Map(config.productSyncs.map((sync) => [sync.id, { windowMs, maxBatch, mode: sync.mode, guard: sync.guard, guardWindowMs }]));
}

/** Where a PMS delivers its signed product-change webhooks. */
export interface WebhookTarget {
  url: string;
  secret: string;
}

/** Where the embedded sandbox PMS delivers: the receiver's URL for the first product sync. */
export function sandboxWebhookTarget(config: BridgeConfig, secret: string): WebhookTarget | null {
  const sync = config.productSyncs[0];
  if (!config.webhooks.enabled || !sync) return null;
  const host = config.webhooks.host === '0.0.0.0' ? '127.0.0.1' : config.webhooks.host;
  return { url: `http://${host}:${config.webhooks.port}${webhookPath(sync.id)}`, secret };
}

export function receiverFromConfig(config: BridgeConfig, client: Client, secret: string, logger: Logger): ProductWebhookReceiver {
  return createProductWebhookReceiver({
    secret,
    client,
    taskQueue: config.temporal.taskQueue,
    streams: streamSettings(config),
    toleranceMs: config.webhooks.toleranceSeconds * 1000,
    logger,
  });
}
