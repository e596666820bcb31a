import { durationSchema } from './duration';
import { changeGuardSchema } from '../shared/changeGuard';
import { z } from 'zod';
import { contactFieldNames } from '../domain/crmDemand';
import { matcherConfigSchema } from '../domain/demandMatcher';
import { scoringSchema } from '../domain/demandScore';
import { defaultFieldMapping, fieldMappingSchema } from '../domain/fieldMapping';
import { syncModes } from '../shared/syncModes';
import { rateLimitSchema } from '../connectors/requestPacer';
import { failurePolicySchema } from './failurePolicyConfig';
import { scheduleSchema } from './scheduleConfig';
import { connectorSystemSchemas } from '../connectors/systemSchemas';
import { workerConfigSchema } from './workerSchema';
import { webhooksSchema } from '../webhooks/webhooksConfig';
import { observabilitySchema } from './observabilitySchema';

const port = z.number().int().min(0).max(65_535);

/** Something in a product tool by id, or by name for the bridge to look up there. */
const toolReferenceSchema = z.union([z.string().min(1), z.object({ name: z.string().trim().min(1) }).strict()]);

const httpSystemSchema = z.object({
  kind: z.enum(['sandbox-pms', 'sandbox-crm']),
  url: z.url({ message: 'expected an http(s) URL such as http://127.0.0.1:4010' }),
  /** Never written in the YAML file: set it through the environment (see docs/configuration.md). */
  token: z.string().min(1, 'the token is empty: set it through the environment variable named in docs/configuration.md'),
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  /** Largest batch one write may carry toward this system. */
  maxWriteBatch: z.number().int().min(1).max(1000).default(100),
  /**
   * sandbox-crm as a product target: reject a record whose text is longer than the CRM's published
   * limit before writing it (true), or leave it to the CRM's own refusal, as with a target whose
   * limits the bridge cannot know (false).
   */
  checkFieldLimits: z.boolean().default(true),
  /** The system's request limit, e.g. { requests: 100, perMs: 10000 }: the client paces itself under it. */
  rateLimit: rateLimitSchema.optional(),
});
export type HttpSystemConfig = z.infer<typeof httpSystemSchema>;

/** Every kind of system, each validated by its own schema (see src/connectors/systemSchemas.ts). */
const systemSchema = z.discriminatedUnion('kind', [httpSystemSchema, ...connectorSystemSchemas]);
export type SystemConfig = z.infer<typeof systemSchema>;

export type { ScheduleConfig } from './scheduleConfig';

const productSyncSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'lowercase letters, digits and -, at most 41 characters'),
  source: z.string().min(1),
  target: z.string().min(1),
  mode: z.enum(syncModes).default('upsert'),
  /** 1,000 (a write request of 100 ten times over): fewer pages, fewer Temporal round trips per record. */
  pageSize: z.number().int().min(1).max(1000).default(1000),
  /** Re-read this much before the watermark: covers PMS rows committed late with an older timestamp. */
  overlapMs: z.number().int().min(0).max(86_400_000).default(5_000),
  mapping: fieldMappingSchema.default(fieldMappingSchema.parse(defaultFieldMapping)),
  guard: changeGuardSchema,
  /**
   * Mirror mode: how often a run compares the CRM's records with the PMS's ids and archives those
   * whose product is gone (sources that never announce deletions need it); "0m" on every run.
   */
  reconcileEvery: durationSchema.default('24h'),
  schedule: scheduleSchema,
  failurePolicy: failurePolicySchema,
});
export type ProductSyncConfig = z.infer<typeof productSyncSchema>;

/** One CRM <-> PMS demand integration: demandMapping (CRM to PMS) and demandStatus (back). */
const demandSyncSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'lowercase letters, digits and -, at most 41 characters'),
  crm: z.string().min(1),
  pms: z.string().min(1),
  pageSize: z.number().int().min(1).max(500).default(100),
  overlapMs: z.number().int().min(0).max(86_400_000).default(5_000),
  matcher: matcherConfigSchema.default(matcherConfigSchema.parse({})),
  scoring: scoringSchema.default(scoringSchema.parse({})),
  /**
   * Contact fields that may travel to the PMS with each demand. Empty by default: personal data
   * stays in the CRM unless someone names it here on purpose.
   */
  contactFields: z.array(z.enum(contactFieldNames)).default([]),
  mappingSchedule: scheduleSchema,
  statusSchedule: scheduleSchema,
  failurePolicy: failurePolicySchema,
  /** Also write each mapped demand as a note in a product tool (a `productboard` system). */
  notes: z
    .object({
      system: z.string().min(1),
      /** PMS product id -> the tool's feature (or component) the note is evidence for: its id, or { name }. */
      entityByProduct: z.record(z.string(), toolReferenceSchema).default({}),
      /** CRM account id -> the tool's company the note is attributed to: its id, or { name }. */
      companyByAccount: z.record(z.string(), toolReferenceSchema).default({}),
    })
    .strict()
    .optional(),
});
export type DemandSyncConfig = z.infer<typeof demandSyncSchema>;

export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('data'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    temporal: z
      .object({
        /** host:port of an existing Temporal server; when absent, `npm start` runs a local dev server. */
        address: z
          .string()
          .regex(/^[^\s:]+:\d+$/, 'expected host:port, e.g. localhost:7233')
          .optional(),
        namespace: z.string().min(1).default('default'),
        taskQueue: z.string().min(1).default('crm-pms-bridge'),
        devServer: z.object({ port: port.default(7233), uiPort: port.default(8233) }).default({ port: 7233, uiPort: 8233 }),
        /** TLS or mTLS toward a real cluster; file paths, read and checked at connect. */
        tls: z
          .object({
            caFile: z.string().min(1).optional(),
            certFile: z.string().min(1).optional(),
            keyFile: z.string().min(1).optional(),
            serverName: z.string().min(1).optional(),
          })
          .refine((tls) => Boolean(tls.certFile) === Boolean(tls.keyFile), 'mTLS needs both certFile and keyFile')
          .optional(),
        /** Temporal Cloud API key; only from the environment (TEMPORAL_API_KEY). */
        apiKey: z.string().min(1).optional(),
      })
      .default({ namespace: 'default', taskQueue: 'crm-pms-bridge', devServer: { port: 7233, uiPort: 8233 } }),
    security: z
      .object({
        /**
         * Payload encryption. 'on' (the default): `bridge worker` and `bridge webhooks` refuse to start
         * without keys. 'off': they store payloads as plain JSON, on purpose. YAML's `off` / `false`
         * read the same.
         */
        encryption: z
          .preprocess(
            (value) => (value === false ? 'off' : value === true ? 'on' : value),
            z.enum(['on', 'off'], { error: "must be 'on' or 'off'" }),
          )
          .default('on'),
        /** JSON key file for payload encryption (see docs/security.md); keys never live in this YAML. */
        encryptionKeyFile: z.string().min(1).optional(),
        codecServer: z
          .object({
            port: port.default(8234),
            /** Browser origins (the Temporal Web UI) allowed to call the codec server. */
            origins: z.array(z.url()).default(['http://localhost:8233', 'http://127.0.0.1:8233']),
          })
          .default({ port: 8234, origins: ['http://localhost:8233', 'http://127.0.0.1:8233'] }),
      })
      .default({ encryption: 'on', codecServer: { port: 8234, origins: ['http://localhost:8233', 'http://127.0.0.1:8233'] } }),
    sandbox: z
      .object({
        enabled: z.boolean().default(true),
        /** Address the sandbox services listen on; 0.0.0.0 inside a container. */
        host: z.string().min(1).default('127.0.0.1'),
        pmsPort: port.default(4010),
        crmPort: port.default(4020),
        products: z.number().int().min(0).max(1_000_000).default(500),
      })
      .default({ enabled: true, host: '127.0.0.1', pmsPort: 4010, crmPort: 4020, products: 500 }),
    webhooks: webhooksSchema,
    alerts: z
      .object({
        /**
         * Slack-compatible incoming webhook told when a run needs attention. Its URL is a secret:
         * set it through BRIDGE_ALERT_WEBHOOK_URL rather than in the YAML file.
         */
        webhookUrl: z.url({ message: 'an http(s) URL such as https://hooks.slack.com/services/...' }).optional(),
        /** The Temporal Web UI's address, so an alert links straight to the run. */
        uiUrl: z.url({ message: 'the Web UI address, e.g. http://localhost:8233' }).optional(),
      })
      .default({}),
    worker: workerConfigSchema,
    observability: observabilitySchema,
    systems: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), systemSchema),
    productSyncs: z.array(productSyncSchema).min(1),
    demandSyncs: z.array(demandSyncSchema).default([]),
  })
  .superRefine((config, ctx) => {
    const known = Object.keys(config.systems).join(', ');
    const checkSystem = (name: string, path: Array<string | number>) => {
      if (!config.systems[name])
        ctx.addIssue({ code: 'custom', path, message: `names system '${name}', which is not under systems (known: ${known})` });
    };
    config.productSyncs.forEach((sync, index) => {
      checkSystem(sync.source, ['productSyncs', index, 'source']);
      checkSystem(sync.target, ['productSyncs', index, 'target']);
    });
    config.demandSyncs.forEach((sync, index) => {
      checkSystem(sync.crm, ['demandSyncs', index, 'crm']);
      checkSystem(sync.pms, ['demandSyncs', index, 'pms']);
      if (sync.notes) checkSystem(sync.notes.system, ['demandSyncs', index, 'notes', 'system']);
    });
  });

export type BridgeConfig = z.infer<typeof configSchema>;
