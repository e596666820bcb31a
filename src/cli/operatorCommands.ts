import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import {
  cancelAfterBatchUpdate,
  failuresQuery,
  pauseSignal,
  pauseUpdate,
  progressQuery,
  resumeSignal,
  resumeUpdate,
  retryFailedSignal,
  retryFailedUpdate,
  skipFailedSignal,
  skipFailedUpdate,
} from '../shared/messages';
import type { FailuresReport } from '../shared/failuresReport';
import {
  describeRecords,
  describeRequestIssues,
  requestTargets,
  retryFailedSchema,
  skipFailedSchema,
  type RetryFailedRequest,
  type SkipFailedRequest,
} from '../shared/operatorRequests';
import type { ProductSyncSummary } from '../shared/productSyncContract';
import { leaveOperatorRequest, triggerSchedule } from '../temporal/schedules';
import type { SyncStart } from '../temporal/syncSchedules';
import { out, withBridgeClient } from './bridgeClient';
import { exitCodes } from './exitCodes';
import { ProgressBar } from './progressBar';
import { requireSyncs, resolveRuns } from './runTargets';
import { summaryLines, type SyncSummary } from './summaryText';
import type { productSync } from '../../workflows/productSync';

export type OperatorMove = 'pause' | 'resume' | 'retry' | 'skip' | 'cancel';

export interface MoveOptions {
  ids?: string[];
  reason?: string;
  json?: boolean;
}

function retryRequest(options: MoveOptions): RetryFailedRequest {
  return parseRequest('retry', retryFailedSchema, options.ids ? { ids: options.ids } : {});
}

function skipRequest(options: MoveOptions): SkipFailedRequest {
  return parseRequest('skip', skipFailedSchema, { ...(options.ids ? { ids: options.ids } : {}), reason: options.reason });
}

function parseRequest<T>(move: string, schema: z.ZodType<T>, payload: unknown): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new InvalidArgumentError(`${move}: ${describeRequestIssues(parsed.error)}`);
  return parsed.data;
}

/** A workflow's refusal of an operator update, with its reason. */
class MoveRefused extends Error {}

/**
 * Sends the move as an update and answers the workflow's reply ("pausing after page 12"). A refusal
 * (the validator's reason) throws MoveRefused. A run whose worker predates the updates gets the
 * signal instead, which cannot answer.
 */
async function sendMove(client: Client, workflowId: string, move: OperatorMove, options: MoveOptions): Promise<string> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    if (move === 'pause') return await handle.executeUpdate(pauseUpdate);
    if (move === 'resume') return await handle.executeUpdate(resumeUpdate);
    if (move === 'cancel') return await handle.executeUpdate(cancelAfterBatchUpdate);
    if (move === 'retry') return await handle.executeUpdate(retryFailedUpdate, { args: [retryRequest(options)] });
    return await handle.executeUpdate(skipFailedUpdate, { args: [skipRequest(options)] });
  } catch (error) {
    if (!(error instanceof WorkflowUpdateFailedError)) throw error;
    const reason = error.cause?.message ?? error.message;
    if (!/^No registered handler for update/.test(reason) || move === 'cancel') throw new MoveRefused(reason);
    if (move === 'pause') await handle.signal(pauseSignal);
    else if (move === 'resume') await handle.signal(resumeSignal);
    else if (move === 'retry') await handle.signal(retryFailedSignal, retryRequest(options));
    else await handle.signal(skipFailedSignal, skipRequest(options));
    return `sent the ${updateName(move)} signal (this run's worker predates updates, so it cannot answer; \`bridge status\` shows the effect)`;
  }
}

/**
 * With no run in progress, a retry or skip is left in the schedule's memo for its next run, which
 * is started now; first it must match failed or parked records of the last finished run.
 */
async function leaveForNextRun(
  client: Client,
  sync: SyncStart,
  move: 'retry' | 'skip',
  options: MoveOptions,
): Promise<{ target: string; answer: string }> {
  const request = move === 'retry' ? retryRequest(options) : skipRequest(options);
  const last = await lastFinishedResult(client, sync);
  const targets = requestTargets(move, request, { failed: last?.failed ?? [], parked: last?.parked ?? [] });
  if (targets.ids === undefined) throw new MoveRefused(`${updateName(move)} refused: ${targets.refused}`);
  await leaveOperatorRequest(client, sync.scheduleId, {
    id: randomUUID(),
    ...(move === 'retry' ? { retryFailed: request } : { skipFailed: request }),
  });
  const started = await triggerSchedule(client, sync.scheduleId);
  return { target: started.workflowId, answer: `started a run that will ${move} ${describeRecords(targets.ids)}` };
}

/**
 * pause / resume / retry / skip / cancel on a workflow id, or on every run in progress of an
 * integration, as updates: each run answers what it will do, or refuses with the reason (exit code
 * `refused`). With no run in progress, retry and skip are left for the schedule's next run, which
 * is started now.
 */
export function operatorMove(move: OperatorMove, target: string, options: MoveOptions): Promise<number> {
  // A bad --ids or --reason is a usage error before anything is sent.
  if (move === 'retry') retryRequest(options);
  if (move === 'skip') skipRequest(options);
  return withBridgeClient(async (client, config) => {
    const { runs, syncs } = await resolveRuns(client, config, target);
    const results: Array<{ target: string; answer?: string; refused?: string }> = [];
    const attempt = async (runTarget: string, send: () => Promise<string | { target: string; answer: string }>) => {
      try {
        const sent = await send();
        results.push(typeof sent === 'string' ? { target: runTarget, answer: sent } : sent);
      } catch (error) {
        if (!(error instanceof MoveRefused)) throw error;
        results.push({ target: runTarget, refused: error.message });
      }
    };
    for (const workflowId of runs) {
      await attempt(workflowId, async () => {
        try {
          return await sendMove(client, workflowId, move, options);
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          throw new Error(
            `No workflow '${workflowId}' is running (it may have ended). \`bridge status\` lists runs; integration ids act on the runs in progress.`,
          );
        }
      });
    }
    if (runs.length === 0 && (move === 'retry' || move === 'skip')) {
      // Every sync workflow keeps failed and parked records and takes a request left in its schedule's memo.
      for (const sync of syncs) {
        await attempt(sync.scheduleId, () => leaveForNextRun(client, sync, move, options));
      }
    }
    if (results.length === 0) {
      throw new Error(
        `No run of '${target}' is in progress, so there is nothing to ${move}. To stop scheduled runs use \`bridge schedules pause ${target}\`.`,
      );
    }
    if (options.json) out(JSON.stringify(results, null, 2));
    else {
      for (const result of results) {
        if (result.answer !== undefined) out(`${result.target}: ${result.answer}`);
        else process.stderr.write(`${result.target}: ${result.refused}\n`);
      }
    }
    return results.some((result) => result.refused !== undefined) ? exitCodes.refused : exitCodes.ok;
  });
}

function updateName(move: OperatorMove): string {
  return { pause: 'pause', resume: 'resume', retry: 'retryFailed', skip: 'skipFailed', cancel: 'cancelAfterBatch' }[move];
}

/**
 * Follows a run to its end, redrawing its progress on a terminal; returns its summary, or the
 * failure's reason.
 */
export async function followRun(client: Client, workflowId: string, runId?: string): Promise<{ summary?: SyncSummary; failure?: string }> {
  const bar = new ProgressBar();
  const handle = client.workflow.getHandle<SyncStart['workflow']>(workflowId, runId);
  const timer = bar.enabled
    ? setInterval(() => {
        client.workflow
          .getHandle(workflowId)
          .query(progressQuery)
          .then((progress) => bar.update(progress))
          .catch(() => undefined); // between runs of a continue-as-new chain there may be no one to answer
      }, 500)
    : undefined;
  try {
    return { summary: await handle.result() };
  } catch (error) {
    if (error instanceof WorkflowFailedError) return { failure: error.cause?.message ?? error.message };
    throw error;
  } finally {
    if (timer) clearInterval(timer);
    bar.done();
  }
}

/** Prints a followed run's outcome and maps it to the documented exit codes. */
export function reportOutcome(title: string, outcome: { summary?: SyncSummary; failure?: string }, json?: boolean): number {
  if (outcome.failure !== undefined) {
    if (json) out(JSON.stringify({ status: 'Failed', reason: outcome.failure }));
    else process.stderr.write(`${title}: Failed: ${outcome.failure}\n`);
    return exitCodes.failed;
  }
  const summary = outcome.summary!;
  if (json) out(JSON.stringify(summary, null, 2));
  else for (const line of summaryLines(title, summary)) out(line);
  return summary.status === 'CompletedWithFailures' ? exitCodes.completedWithFailures : exitCodes.ok;
}

/** `bridge trigger`: starts the schedule's next run now (never beside one in progress). */
export function trigger(target: string, options: { wait?: boolean; json?: boolean }): Promise<number> {
  return withBridgeClient(async (client, config) => {
    let code: number = exitCodes.ok;
    for (const sync of requireSyncs(config, target)) {
      const started = await triggerSchedule(client, sync.scheduleId);
      if (!options.wait) {
        out(options.json ? JSON.stringify(started) : `Started ${started.workflowId}`);
        continue;
      }
      const outcome = await followRun(client, started.workflowId, started.runId);
      code = Math.max(code, reportOutcome(`${sync.workflowType} (${sync.integrationId})`, outcome, options.json));
    }
    return code;
  });
}

/** The latest finished run's result of a scheduled sync, if any. */
async function lastFinishedResult(client: Client, sync: SyncStart): Promise<ProductSyncSummary | undefined> {
  const { info } = await client.schedule.getHandle(sync.scheduleId).describe();
  const running = new Set(info.runningActions.map((action) => action.workflow.firstExecutionRunId));
  const recent = info.recentActions.filter((action) => !running.has(action.action.workflow.firstExecutionRunId)).at(-1);
  if (!recent) return undefined;
  try {
    return await client.workflow
      .getHandle<typeof productSync>(recent.action.workflow.workflowId, recent.action.workflow.firstExecutionRunId)
      .result();
  } catch (error) {
    if (error instanceof WorkflowFailedError) return undefined;
    throw error;
  }
}

function reportFromSummary(summary: ProductSyncSummary): FailuresReport {
  return {
    integrationId: summary.integrationId,
    failed: summary.failed,
    parked: summary.parked,
    skipped: summary.skippedFailures ?? [],
    rejected: summary.rejected,
    counts: {
      failed: summary.counts.failed,
      parked: summary.parked.length,
      skipped: (summary.skippedFailures ?? []).length,
      rejected: summary.counts.rejected,
    },
  };
}

const csvCell = (value: string | number | undefined): string => {
  const text = value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** One row per record, for a spreadsheet: kind,id,reason,attempts,skippedAt,failure. */
export function failuresCsv(report: FailuresReport): string {
  const rows = [
    ['kind', 'id', 'reason', 'attempts', 'skippedAt', 'failure'],
    ...report.failed.map((r) => ['failed', r.id, r.reason, r.attempts, '', '']),
    ...report.parked.map((r) => ['parked', r.id, r.reason, r.attempts, '', '']),
    ...report.skipped.map((r) => ['skipped', r.id, r.reason, '', r.skippedAt, r.failure]),
    ...report.rejected.map((r) => ['rejected', r.id, r.reason, '', '', '']),
  ];
  return rows.map((row) => row.map(csvCell).join(',')).join('\n');
}

/** `bridge failures`: from the run in progress (query), else from the last finished run's result. */
export function failures(target: string, options: { csv?: boolean; json?: boolean }): Promise<number> {
  return withBridgeClient(async (client, config) => {
    const { runs, syncs } = await resolveRuns(client, config, target);
    const reports: FailuresReport[] = [];
    for (const workflowId of runs) reports.push(await client.workflow.getHandle(workflowId).query(failuresQuery));
    if (runs.length === 0) {
      // Every sync workflow keeps failed and parked records and takes a request left in its schedule's memo.
      for (const sync of syncs) {
        const summary = await lastFinishedResult(client, sync);
        if (summary) reports.push(reportFromSummary(summary));
      }
    }
    if (reports.length === 0) throw new Error(`'${target}' has no run in progress and no finished product sync run to read failures from.`);
    if (options.csv) out(reports.map(failuresCsv).join('\n'));
    else if (options.json) out(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
    else for (const report of reports) for (const line of failuresText(report)) out(line);
    return exitCodes.ok;
  });
}

function failuresText(report: FailuresReport): string[] {
  const { counts } = report;
  return [
    `${report.integrationId}: ${counts.failed} failed, ${counts.parked} parked, ${counts.skipped} skipped, ${counts.rejected} rejected`,
    ...report.failed.map((r) => `  failed   ${r.id} (attempt ${r.attempts ?? 1}): ${r.reason}`),
    ...report.parked.map((r) => `  parked   ${r.id} (failed ${r.attempts ?? '?'} runs): ${r.reason}`),
    ...report.skipped.map((r) => `  skipped  ${r.id} at ${r.skippedAt}: ${r.reason} (was: ${r.failure})`),
    ...report.rejected.map((r) => `  rejected ${r.id}: ${r.reason}`),
  ];
}
