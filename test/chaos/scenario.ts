import { setTimeout as sleep } from 'node:timers/promises';
import { isGrpcServiceError, ServiceError, type WorkflowHandle } from '@temporalio/client';
import type { Prng } from '../../src/sandbox/prng';
import { progressQuery } from '../../src/shared/messages';
import type { ChangeCursor } from '../../src/shared/changeCursor';
import type { ProductSyncInput, ProductSyncSummary } from '../../src/shared/productSyncContract';
import type { SyncMode } from '../../src/shared/syncModes';
import { bridgeEnvironment, startSandbox, type TestSandbox } from '../helpers/sandbox';
import { uniqueTaskQueue } from '../helpers/worker';
import { startWorkerProcess, stopWorkers, waitUntilReady, type WorkerProcess } from '../helpers/workerProcesses';
import type { ChaosTemporal } from './chaosTemporal';
import { checkProducts, checkWatermark, type Violations } from './invariants';
import { productSync } from '../../workflows/productSync';

/** `short` runs inside `npm test`; `full` is `npm run chaos`, at the sizes the issue names. */
export type ChaosScale = 'short' | 'full';

export interface ChaosContext {
  scenario: string;
  seed: number;
  scale: ChaosScale;
  /** Every random choice of the scenario comes from here, so a seed replays the same faults. */
  prng: Prng;
  temporal: ChaosTemporal;
  log(message: string): void;
}

export interface ScenarioOutcome {
  recordsChecked: number;
  /** What was done to the system, by kind: kills, restarts, injected HTTP faults, deliveries. */
  faults: Record<string, number>;
  /** Times the watermark was read mid-run and checked against the CRM. */
  watermarkSamples: number;
  violations: Violations;
}

export interface ChaosScenario {
  name: string;
  title: string;
  run(context: ChaosContext): Promise<ScenarioOutcome>;
}

/** `bridge worker` processes, as operators run them, that a scenario can kill and replace. */
export class WorkerPool {
  private readonly started: WorkerProcess[] = [];

  constructor(private readonly env: Record<string, string>) {}

  static forSandbox(temporal: ChaosTemporal, sandbox: TestSandbox, taskQueue: string): WorkerPool {
    return new WorkerPool(bridgeEnvironment(temporal.address, sandbox, taskQueue));
  }

  async start(options: { ready?: boolean } = {}): Promise<WorkerProcess> {
    const worker = await startWorkerProcess(this.env);
    this.started.push(worker);
    if (options.ready !== false) await waitUntilReady(worker, 120_000);
    return worker;
  }

  /** SIGKILL: no shutdown, no heartbeat, the activity in flight simply stops. */
  async kill(worker: WorkerProcess): Promise<void> {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }

  stopAll(): void {
    stopWorkers(this.started);
  }
}

/** Read and write retries quick enough for a bounded scenario, patient enough to outlast a storm. */
export const patientRetry = { initialIntervalMs: 100, maximumIntervalMs: 2_000, maximumAttempts: 40 } as const;

let runs = 0;

export async function startProductSync(context: ChaosContext, taskQueue: string, input: ProductSyncInput): Promise<WorkflowHandle> {
  return context.temporal.client.workflow.start(productSync, {
    taskQueue,
    workflowId: `chaos-${context.scenario}-${context.seed}-${Date.now()}-${++runs}`,
    args: [input],
  });
}

/**
 * The run's result. Calls to the server may fail while it restarts; they are repeated until the
 * deadline, which bounds the scenario.
 */
export async function resultOf<T>(handle: WorkflowHandle, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return (await handle.result()) as T;
    } catch (error) {
      if (Date.now() > deadline || !isConnectionError(error)) throw error;
      await sleep(500);
    }
  }
}

/** The server could not be reached or did not answer in time, as opposed to the run failing. */
function isConnectionError(error: unknown): boolean {
  return error instanceof ServiceError || isGrpcServiceError(error);
}

export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(100);
  }
}

/** The run's `progress`, or undefined when no worker or server answers within two seconds. */
export async function progressOf(
  context: ChaosContext,
  handle: WorkflowHandle,
): Promise<Awaited<ReturnType<typeof queryProgress>> | undefined> {
  try {
    return await context.temporal.client.withDeadline(Date.now() + 2_000, () => queryProgress(handle));
  } catch {
    return undefined;
  }
}

const queryProgress = (handle: WorkflowHandle) => handle.query(progressQuery);

/**
 * Asks the run for its watermark over and over while it runs and checks, each time, that every
 * record at or before it is already in the CRM as the PMS has it: the watermark never runs ahead of
 * verified data. Returns the records that broke the promise, and how many samples were taken.
 */
export function sampleWatermarks(context: ChaosContext, handle: WorkflowHandle, sandbox: TestSandbox, mode: SyncMode) {
  const ahead: string[] = [];
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const progress = await progressOf(context, handle);
      if (progress && running) {
        samples += 1;
        ahead.push(...checkWatermark(sandbox, progress.watermark as ChangeCursor | null, mode));
      }
      await sleep(750);
    }
  })();
  return {
    stop: async (final: ProductSyncSummary): Promise<{ ahead: string[]; samples: number }> => {
      running = false;
      await loop;
      ahead.push(...checkWatermark(sandbox, final.watermark, mode));
      return { ahead: [...new Set(ahead)], samples: samples + 1 };
    },
  };
}

/** The sandbox's counters of injected HTTP faults, without the zeros. */
export function injectedFaults(prefix: string, counters: Record<string, number>): Record<string, number> {
  const notFaults = new Set(['requests', 'delayed']);
  return Object.fromEntries(
    Object.entries(counters)
      .filter(([kind, n]) => n > 0 && !notFaults.has(kind))
      .map(([kind, n]) => [`${prefix} ${kind}`, n]),
  );
}

/** What a scenario works in: its own sandbox, task queue and `bridge worker` processes. */
export interface ScenarioStage {
  sandbox: TestSandbox;
  taskQueue: string;
  workers: WorkerPool;
}

/**
 * Runs `body` on a stage of its own, with the sandbox's faults seeded from the scenario's seed, and
 * stops the workers and the sandbox however the scenario ends.
 */
export async function onStage<T>(
  context: ChaosContext,
  sandboxOptions: Omit<Parameters<typeof startSandbox>[0] & object, 'faultSeed'>,
  body: (stage: ScenarioStage) => Promise<T>,
): Promise<T> {
  const sandbox = await startSandbox({ ...sandboxOptions, faultSeed: context.seed });
  const taskQueue = uniqueTaskQueue(`chaos-${context.scenario}`);
  const workers = WorkerPool.forSandbox(context.temporal, sandbox, taskQueue);
  try {
    return await body({ sandbox, taskQueue, workers });
  } finally {
    workers.stopAll();
    await sandbox.close();
  }
}

/**
 * The end of a product scenario: the run's result, the last watermark check, and every product
 * invariant. `summaries` adds the summaries of any further runs (their rejected lists count too).
 */
export async function finishProductRun(
  sandbox: TestSandbox,
  run: { summary: ProductSyncSummary; watermarks: ReturnType<typeof sampleWatermarks>; mode: SyncMode; summaries?: ProductSyncSummary[] },
): Promise<Pick<ScenarioOutcome, 'recordsChecked' | 'watermarkSamples' | 'violations'>> {
  const watermark = await run.watermarks.stop(run.summary);
  const { recordsChecked, violations } = checkProducts(sandbox, {
    mode: run.mode,
    summaries: [run.summary, ...(run.summaries ?? [])],
    recordsCreated: (await sandbox.crmStats()).recordsCreated,
  });
  violations.watermarkAhead.push(...watermark.ahead);
  if (!['Completed', 'CompletedWithFailures'].includes(run.summary.status)) violations.lost.push(`run ended ${run.summary.status}`);
  return { recordsChecked, watermarkSamples: watermark.samples, violations };
}
