import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createLogger } from '../src/logging/logger';
import { createCrmServer, type CrmServer } from '../src/sandbox/crmServer';
import type { FaultSettingsPatch } from '../src/sandbox/faults';
import { createPmsServer, type PmsServer } from '../src/sandbox/pmsServer';
import { startLocalTemporal, type LocalTemporal } from '../src/temporal/localTemporal';
import { ensureLocalTemporal } from '../src/temporal/localTemporalBinaries';

export const pmsToken = 'bench-pms-token';
export const crmToken = 'bench-crm-token';
const repoRoot = path.resolve(__dirname, '..');
const logger = createLogger('bench', { level: 'warn' });

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A bridge worker (`bridge worker`) in its own process, so its memory can be measured apart. */
export interface WorkerProcess {
  pid: number;
  taskQueue: string;
  /** Resident set size now, in bytes (from /proc). */
  rss: () => number;
  stop: () => Promise<void>;
}

/**
 * Everything a benchmark run needs, started by the run itself: the local Temporal server, the sandbox
 * PMS (seeded) and CRM on fixed ports of this run (the CRM can be replaced by an empty one between
 * cases), workers in child processes, and a client.
 */
export class BenchEnvironment {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'bridge-bench-'));
  pms!: PmsServer;
  crm!: CrmServer;
  pmsUrl = '';
  crmUrl = '';
  client!: Client;
  address = '';
  /** Which local Temporal this run uses. */
  temporalDescription = '';
  private temporal?: LocalTemporal;
  private crmPort = 0;
  private crmGeneration = 0;
  private readonly workers: WorkerProcess[] = [];
  private readonly extras: Array<{ close(): Promise<void> }> = [];

  async start(products: number): Promise<void> {
    this.temporal = await startLocalTemporal({
      binaries: await ensureLocalTemporal({ ui: false }),
      dataDir: path.join(this.dir, 'temporal'),
      port: await freePort(),
      namespace: 'default',
      logger,
    });
    this.address = this.temporal.address;
    this.temporalDescription = this.temporal.description;
    this.pms = createPmsServer({ dbPath: path.join(this.dir, 'pms.db'), token: pmsToken, seedProducts: products, seed: 1, logger });
    this.pmsUrl = await this.pms.listen(0);
    this.crmPort = await freePort();
    await this.freshCrm();
    this.client = new Client({ connection: await Connection.connect({ address: this.address }) });
  }

  /** Replaces the CRM with an empty one on the same port (workers keep their URL). */
  async freshCrm(faults: FaultSettingsPatch = {}): Promise<void> {
    if (this.crm) await this.crm.close();
    this.crm = createCrmServer({ dbPath: path.join(this.dir, `crm-${++this.crmGeneration}.db`), token: crmToken, faults, seed: 7, logger });
    this.crmUrl = await this.crm.listen(this.crmPort);
  }

  /** Starts `bridge worker` on its own task queue; `yaml` adds configuration (e.g. a rate limit). */
  async startWorker(
    taskQueue: string,
    yaml = '',
    systems: { pmsUrl?: string; crmUrl?: string } = {},
    /** Extra node flags for the worker process, e.g. --cpu-prof (which NODE_OPTIONS refuses). */
    nodeArgs: string[] = [],
  ): Promise<WorkerProcess> {
    const configFile = path.join(this.dir, `${taskQueue}.yaml`);
    writeFileSync(configFile, yaml);
    const logFile = path.join(this.dir, `${taskQueue}.log`);
    // Run as the Docker image runs it (NODE_OPTIONS there): V8 semi-spaces of 2 MiB
    // (docs/configuration.md, "Worker memory").
    const child: ChildProcess = spawn(
      process.execPath,
      ['--max-semi-space-size=2', ...nodeArgs, '--import', 'tsx', 'src/cli/bridge.ts', 'worker'],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: this.address,
          TEMPORAL_TASK_QUEUE: taskQueue,
          PMS_URL: systems.pmsUrl ?? this.pmsUrl,
          PMS_TOKEN: pmsToken,
          CRM_URL: systems.crmUrl ?? this.crmUrl,
          CRM_TOKEN: crmToken,
          BRIDGE_DATA_DIR: path.join(this.dir, 'bridge-data'),
          BRIDGE_CONFIG: configFile,
          LOG_LEVEL: 'warn',
          // The bench's client reads results and histories as plain JSON: payload encryption is off
          // on purpose (a worker refuses to start without keys otherwise), so its cost is not in these figures.
          BRIDGE_ENCRYPTION: 'off',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const log = createWriteStream(logFile);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    await this.waitForPoller(taskQueue, child, logFile);
    const worker: WorkerProcess = {
      pid: child.pid!,
      taskQueue,
      rss: () => residentBytes(child.pid!),
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 25_000).unref();
        }),
    };
    this.workers.push(worker);
    return worker;
  }

  private async waitForPoller(taskQueue: string, child: ChildProcess, logFile: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`the worker exited with ${child.exitCode}: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
      const { pollers } = await this.client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      if ((pollers ?? []).length > 0) return;
      await sleep(200);
    }
    throw new Error(`the worker for ${taskQueue} did not start polling within 120 s`);
  }

  /** Another sandbox PMS or CRM beside the main ones (e.g. a CRM with network latency); closed with the environment. */
  async extraPms(products: number): Promise<string> {
    const pms = createPmsServer({
      dbPath: path.join(this.dir, `extra-${this.extras.length}.db`),
      token: pmsToken,
      seedProducts: products,
      seed: 1,
      logger,
    });
    this.extras.push(pms);
    return pms.listen(0);
  }

  async extraCrm(faults: FaultSettingsPatch): Promise<string> {
    const crm = createCrmServer({
      dbPath: path.join(this.dir, `extra-${this.extras.length}.db`),
      token: crmToken,
      faults,
      seed: 7,
      logger,
    });
    this.extras.push(crm);
    return crm.listen(0);
  }

  async stop(): Promise<void> {
    for (const worker of this.workers) await worker.stop();
    for (const server of this.extras) await server.close();
    await this.client?.connection.close();
    await this.pms?.close();
    await this.crm?.close();
    await this.temporal?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function residentBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS every 100 ms while `body` runs; returns the body's result and the peak. */
export async function withPeakRss<T>(rss: () => number, body: () => Promise<T>): Promise<{ result: T; peakBytes: number }> {
  let peakBytes = rss();
  const timer = setInterval(() => (peakBytes = Math.max(peakBytes, rss())), 100);
  try {
    const result = await body();
    return { result, peakBytes: Math.max(peakBytes, rss()) };
  } finally {
    clearInterval(timer);
  }
}
