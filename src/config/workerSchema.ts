import { z } from 'zod';

const port = z.number().int().min(1).max(65_535);
const positiveInt = z.number().int().min(1);

/**
 * How one worker process runs: its endpoints for Prometheus and for orchestrators' probes, how
 * much it does at once, and how long it may take to stop. Several workers on one task queue
 * share the work; see docs/production.md, "Scaling".
 */
export const workerConfigSchema = z
  .object({
    /** Prometheus metrics on http://<listenHost>:<metricsPort>/metrics; absent: no endpoint. */
    metricsPort: port.optional(),
    /** /healthz and /readyz on http://<listenHost>:<healthPort>; absent: no endpoint. */
    healthPort: port.optional(),
    /** Address the metrics and health endpoints listen on; 0.0.0.0 inside a container. */
    listenHost: z.string().min(1).default('127.0.0.1'),
    /** On SIGTERM, how long running activities may go on before they are cancelled. */
    shutdownGraceMs: z.number().int().min(0).max(3_600_000).default(20_000),
    /** Activities this worker runs at once (slots). */
    maxConcurrentActivities: positiveInt.max(10_000).default(100),
    /** Workflow tasks this worker runs at once (slots). */
    maxConcurrentWorkflowTasks: positiveInt.max(10_000).default(40),
    /** Activities this worker starts per second; absent: no limit. */
    maxActivitiesPerSecond: z.number().positive().optional(),
    /**
     * Activities the whole task queue starts per second, enforced by the Temporal server across
     * every worker: the way to keep many workers under a vendor's rate limit. Absent: no limit.
     */
    maxTaskQueueActivitiesPerSecond: z.number().positive().optional(),
    /**
     * Worker Versioning (docs/operating.md, "Rolling out a new worker build"). 'on': the worker
     * polls as version <deploymentName>.<buildId> and gets tasks only once an operator makes that
     * version current (or ramping); 'off' (the default): an unversioned worker, as before.
     */
    versioning: z.enum(['on', 'off'], { error: "must be 'on' or 'off'" }).default('off'),
    /** The worker deployment this worker's versions belong to. */
    deploymentName: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,100}$/, 'letters, digits, _ and -, at most 100')
      .default('crm-pms-bridge'),
    /** This build's id; absent: the package version and a hash of the workflow code (workerBuildId.ts). */
    buildId: z
      .string()
      .regex(/^[A-Za-z0-9_.+-]{1,255}$/, 'letters, digits and _ . + -, at most 255')
      .optional(),
  })
  .default({
    listenHost: '127.0.0.1',
    shutdownGraceMs: 20_000,
    maxConcurrentActivities: 100,
    maxConcurrentWorkflowTasks: 40,
    versioning: 'off',
    deploymentName: 'crm-pms-bridge',
  });
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** Environment variables of the worker block, each to its key (numbers parsed, validated by the schema). */
export const workerEnvironment = {
  BRIDGE_METRICS_PORT: 'metricsPort',
  BRIDGE_HEALTH_PORT: 'healthPort',
  BRIDGE_LISTEN_HOST: 'listenHost',
  BRIDGE_SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  BRIDGE_MAX_CONCURRENT_ACTIVITIES: 'maxConcurrentActivities',
  BRIDGE_MAX_CONCURRENT_WORKFLOW_TASKS: 'maxConcurrentWorkflowTasks',
  BRIDGE_MAX_ACTIVITIES_PER_SECOND: 'maxActivitiesPerSecond',
  BRIDGE_TASK_QUEUE_ACTIVITIES_PER_SECOND: 'maxTaskQueueActivitiesPerSecond',
  BRIDGE_WORKER_VERSIONING: 'versioning',
  BRIDGE_DEPLOYMENT_NAME: 'deploymentName',
  BRIDGE_BUILD_ID: 'buildId',
} as const satisfies Record<string, keyof WorkerConfig>;

const textKeys = new Set<keyof WorkerConfig>(['listenHost', 'versioning', 'deploymentName', 'buildId']);

/** The worker block as the environment sets it; a value that is not a number stays a string, so the schema names it. */
export function workerFromEnvironment(env: NodeJS.ProcessEnv): Partial<Record<keyof WorkerConfig, string | number>> {
  const worker: Partial<Record<keyof WorkerConfig, string | number>> = {};
  for (const [name, key] of Object.entries(workerEnvironment)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    worker[key] = textKeys.has(key) || Number.isNaN(Number(value)) ? value : Number(value);
  }
  return worker;
}
