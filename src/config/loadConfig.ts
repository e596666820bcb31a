import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type BridgeConfig } from './configSchema';
import { workerFromEnvironment } from './workerSchema';

/** A configuration problem a person must fix; the message names the field and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const maxConfigBytes = 1024 * 1024;

const sandboxTokens = { pms: 'sandbox-pms-token', crm: 'sandbox-crm-token' } as const;

/** The embedded default: the sandbox PMS and CRM on localhost and one product sync between them. */
function defaults(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const pmsPort = Number(env.SANDBOX_PMS_PORT ?? 4010);
  const crmPort = Number(env.SANDBOX_CRM_PORT ?? 4020);
  return {
    sandbox: { pmsPort, crmPort, ...(env.SANDBOX_BIND ? { host: env.SANDBOX_BIND } : {}) },
    systems: {
      pms: { kind: 'sandbox-pms', url: `http://127.0.0.1:${pmsPort}`, token: sandboxTokens.pms },
      crm: { kind: 'sandbox-crm', url: `http://127.0.0.1:${crmPort}`, token: sandboxTokens.crm },
    },
    productSyncs: [{ id: 'products', source: 'pms', target: 'crm' }],
    demandSyncs: [{ id: 'demands', crm: 'crm', pms: 'pms' }],
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(base: unknown, override: unknown): unknown {
  if (!isObject(base) || !isObject(override)) return override === undefined ? base : override;
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) result[key] = merge(base[key], value);
  return result;
}

function readYaml(file: string): unknown {
  if (!existsSync(file))
    throw new ConfigError(`Configuration file ${file} does not exist (from BRIDGE_CONFIG). Fix the path or unset BRIDGE_CONFIG.`);
  const text = readFileSync(file, 'utf8');
  if (text.length > maxConfigBytes) throw new ConfigError(`Configuration file ${file} is larger than 1 MB; that is not a configuration.`);
  try {
    return parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(`Configuration file ${file} is not valid YAML: ${(error as Error).message}`);
  }
}

/** Environment variables win over the file: that is where secrets and per-machine settings live. */
function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const systems: Record<string, Record<string, unknown>> = {};
  const setSystem = (name: string, key: string, value: string | undefined) => {
    if (value !== undefined && value !== '') (systems[name] ??= {})[key] = value;
  };
  setSystem('pms', 'url', env.PMS_URL);
  setSystem('pms', 'token', env.PMS_TOKEN);
  setSystem('crm', 'url', env.CRM_URL);
  setSystem('crm', 'token', env.CRM_TOKEN);
  const worker = workerFromEnvironment(env);
  return {
    ...(env.BRIDGE_DATA_DIR ? { dataDir: env.BRIDGE_DATA_DIR } : {}),
    ...(env.LOG_LEVEL ? { logLevel: env.LOG_LEVEL } : {}),
    ...(env.BRIDGE_ALERT_WEBHOOK_URL ? { alerts: { webhookUrl: env.BRIDGE_ALERT_WEBHOOK_URL } } : {}),
    ...(env.BRIDGE_ENCRYPTION_KEY_FILE || env.BRIDGE_ENCRYPTION
      ? {
          security: {
            ...(env.BRIDGE_ENCRYPTION_KEY_FILE ? { encryptionKeyFile: env.BRIDGE_ENCRYPTION_KEY_FILE } : {}),
            ...(env.BRIDGE_ENCRYPTION ? { encryption: env.BRIDGE_ENCRYPTION } : {}),
          },
        }
      : {}),
    ...(env.BRIDGE_WEBHOOK_SECRET ? { webhooks: { secret: env.BRIDGE_WEBHOOK_SECRET } } : {}),
    temporal: {
      ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
      ...(env.TEMPORAL_TLS_CA || env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_KEY
        ? {
            tls: {
              caFile: env.TEMPORAL_TLS_CA,
              certFile: env.TEMPORAL_TLS_CERT,
              keyFile: env.TEMPORAL_TLS_KEY,
              serverName: env.TEMPORAL_TLS_SERVER_NAME,
            },
          }
        : {}),
      ...(env.TEMPORAL_ADDRESS ? { address: env.TEMPORAL_ADDRESS } : {}),
      ...(env.TEMPORAL_NAMESPACE ? { namespace: env.TEMPORAL_NAMESPACE } : {}),
      ...(env.TEMPORAL_TASK_QUEUE ? { taskQueue: env.TEMPORAL_TASK_QUEUE } : {}),
    },
    ...(Object.keys(systems).length > 0 ? { systems } : {}),
    ...(Object.keys(worker).length > 0 ? { worker } : {}),
  };
}

export function formatConfigIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return `  - ${where}: ${issue.message}`;
  });
  return `Invalid configuration (${source}):\n${lines.join('\n')}`;
}

/**
 * Builds the configuration from the built-in defaults, the optional YAML file (BRIDGE_CONFIG, or
 * bridge.yaml in the working directory) and the environment, and validates the result.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): BridgeConfig {
  const explicitFile = env.BRIDGE_CONFIG;
  const file = explicitFile ? path.resolve(cwd, explicitFile) : path.join(cwd, 'bridge.yaml');
  const fromFile = explicitFile || existsSync(file) ? readYaml(file) : {};
  if (!isObject(fromFile)) throw new ConfigError(`Configuration file ${file} must hold a YAML mapping at the top level.`);
  const merged = merge(merge(defaults(env), fromFile), fromEnvironment(env));
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(formatConfigIssues(parsed.error, explicitFile || existsSync(file) ? file : 'defaults and environment'));
  }
  return parsed.data;
}
