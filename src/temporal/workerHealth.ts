import Fastify, { type FastifyInstance } from 'fastify';
import type { NativeConnection, State } from '@temporalio/worker';

export interface WorkerHealthSources {
  workerState(): State;
  connection: NativeConnection;
}

const connectionCheckTimeoutMs = 2_000;

async function temporalAnswers(connection: NativeConnection): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${connectionCheckTimeoutMs} ms`)), connectionCheckTimeoutMs);
  });
  try {
    await Promise.race([connection.workflowService.getSystemInfo({}), timeout]);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Probes for an orchestrator: /healthz says the process is alive and its worker has not failed
 * (restart it otherwise); /readyz says the worker polls its task queue and Temporal answers.
 */
export function createWorkerHealthServer(sources: WorkerHealthSources): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async (_request, reply) => {
    const state = sources.workerState();
    return reply.code(state === 'FAILED' ? 503 : 200).send({ status: state === 'FAILED' ? 'failed' : 'ok', worker: state });
  });
  app.get('/readyz', async (_request, reply) => {
    const state = sources.workerState();
    if (state !== 'RUNNING')
      return reply.code(503).send({ status: 'not ready', worker: state, reason: `the worker is ${state.toLowerCase()}` });
    const problem = await temporalAnswers(sources.connection);
    if (problem) return reply.code(503).send({ status: 'not ready', worker: state, reason: `Temporal does not answer: ${problem}` });
    return reply.send({ status: 'ready', worker: state });
  });
  return app;
}
