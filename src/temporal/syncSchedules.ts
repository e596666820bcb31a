import { createHash } from 'node:crypto';
import type { BridgeConfig, DemandSyncConfig, ProductSyncConfig, ScheduleConfig } from '../config/configSchema';
import { durationMs } from '../config/duration';
import type { FailurePolicyConfig } from '../config/failurePolicyConfig';
import type { DemandMappingInput } from '../shared/demandMappingContract';
import type { DemandStatusInput } from '../shared/demandStatusContract';
import type { ProductSyncInput } from '../shared/productSyncContract';
import type { SyncDirection } from '../shared/syncProgress';
import { demandMapping } from '../../workflows/demandMapping';
import { demandStatus } from '../../workflows/demandStatus';
import { productSync } from '../../workflows/productSync';

/** Everything a configured sync needs to be started by a schedule or by hand, whichever workflow it runs. */
interface SyncStartFacts {
  scheduleId: string;
  integrationId: string;
  direction: SyncDirection;
  schedule: ScheduleConfig;
  /** Shown in the Temporal UI next to every run: what it syncs, from where to where. */
  summary: string;
  /** Markdown shown in the UI's run details: the integration, what it syncs, where. */
  details: string;
  /** Short hash of what the run depends on (input, schedule): the run's memo says which configuration it ran with. */
  configVersion: string;
}

/**
 * A configured sync: its workflow function and that function's input, so a start (schedule, CLI,
 * npm start) is checked by the compiler against what the workflow takes.
 */
export type SyncStart = SyncStartFacts &
  (
    | { workflowType: 'productSync'; workflow: typeof productSync; args: [ProductSyncInput] }
    | { workflowType: 'demandMapping'; workflow: typeof demandMapping; args: [DemandMappingInput] }
    | { workflowType: 'demandStatus'; workflow: typeof demandStatus; args: [DemandStatusInput] }
  );

/** The failure policy as workflow input: retries per activity kind, attention, parking. */
function failureArgs(policy: FailurePolicyConfig) {
  const retry = (settings: FailurePolicyConfig['retry']['read']) => ({
    maximumAttempts: settings.maximumAttempts,
    initialIntervalMs: durationMs(settings.initialInterval),
    maximumIntervalMs: durationMs(settings.maximumInterval),
  });
  return {
    retry: retry(policy.retry.read),
    writeRetry: retry(policy.retry.write),
    attention: {
      errorRateThreshold: policy.errorRateThreshold,
      errorRateWindow: policy.errorRateWindow,
      timeoutMs: durationMs(policy.attentionTimeout),
    },
  };
}

function versionOf(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 12);
}

function withVersion<S extends SyncStart>(start: Omit<S, 'configVersion'>): S {
  return { ...start, configVersion: versionOf([start.workflowType, start.args, start.schedule]) } as S;
}

function details(lines: Array<[string, string]>): string {
  return lines.map(([key, value]) => `**${key}:** ${value}`).join('  \n');
}

/** The operator's moves every sync workflow answers, shown in the run's details. */
const operatorMoves: [string, string] = [
  'Operator moves',
  'updates (and signals) pause, resume, retryFailed, skipFailed, cancelAfterBatch; queries progress, failures',
];

export function productSyncStart(sync: ProductSyncConfig): SyncStart {
  return withVersion<Extract<SyncStart, { workflowType: 'productSync' }>>({
    scheduleId: `product-sync-${sync.id}`,
    workflowType: 'productSync',
    workflow: productSync,
    integrationId: sync.id,
    direction: 'PmsToCrm',
    args: [
      {
        integrationId: sync.id,
        mode: sync.mode,
        pageSize: sync.pageSize,
        overlapMs: sync.overlapMs,
        parkAfterAttempts: sync.failurePolicy.parkAfterRuns,
        guard: sync.guard,
        reconcile: { everyMs: durationMs(sync.reconcileEvery) },
        ...failureArgs(sync.failurePolicy),
      },
    ],
    schedule: sync.schedule,
    summary: `Product sync '${sync.id}': ${sync.source} -> ${sync.target} (${sync.mode})`,
    details: details([
      ['Integration', sync.id],
      ['Syncs', `products (name, description, features, price, stock, lifecycle) in ${sync.mode} mode`],
      ['From', `${sync.source} (PMS)`],
      ['To', `${sync.target} (CRM)`],
      operatorMoves,
    ]),
  });
}

/** What demandMapping and demandStatus both take from a demand sync's configuration. */
function demandSyncArgs(sync: DemandSyncConfig): DemandMappingInput & DemandStatusInput {
  const { retry, attention } = failureArgs(sync.failurePolicy);
  return {
    integrationId: sync.id,
    pageSize: sync.pageSize,
    overlapMs: sync.overlapMs,
    parkAfterAttempts: sync.failurePolicy.parkAfterRuns,
    retry,
    attention,
  };
}

function demandMappingStart(sync: DemandSyncConfig): SyncStart {
  return withVersion<Extract<SyncStart, { workflowType: 'demandMapping' }>>({
    scheduleId: `demand-mapping-${sync.id}`,
    workflowType: 'demandMapping',
    workflow: demandMapping,
    integrationId: sync.id,
    direction: 'CrmToPms',
    args: [demandSyncArgs(sync)],
    schedule: sync.mappingSchedule,
    summary: `Demand mapping '${sync.id}': customer demands and orders ${sync.crm} -> ${sync.pms}`,
    details: details([
      ['Integration', sync.id],
      ['Syncs', 'customer demands (merged into requirements) and order quantities'],
      ['From', `${sync.crm} (CRM)`],
      ['To', `${sync.pms} (PMS)`],
      operatorMoves,
    ]),
  });
}

function demandStatusStart(sync: DemandSyncConfig): SyncStart {
  return withVersion<Extract<SyncStart, { workflowType: 'demandStatus' }>>({
    scheduleId: `demand-status-${sync.id}`,
    workflowType: 'demandStatus',
    workflow: demandStatus,
    integrationId: sync.id,
    direction: 'PmsToCrm',
    args: [demandSyncArgs(sync)],
    schedule: sync.statusSchedule,
    summary: `Demand status '${sync.id}': requirement status ${sync.pms} -> ${sync.crm} demands`,
    details: details([
      ['Integration', sync.id],
      ['Syncs', 'requirement decisions (planned, released, declined ...) back to the demands linked to them'],
      ['From', `${sync.pms} (PMS)`],
      ['To', `${sync.crm} (CRM)`],
      operatorMoves,
    ]),
  });
}

/** The sync with its product-sync input changed (the CLI's --dry-run and --mode); other syncs as they are. */
export function withProductSyncOverrides(sync: SyncStart, overrides: Pick<ProductSyncInput, 'dryRun' | 'mode'>): SyncStart {
  if (sync.workflowType !== 'productSync') return sync;
  return { ...sync, args: [{ ...sync.args[0], ...overrides }] };
}

/** Every configured sync, in the order a first start should run them (products before demands). */
export function configuredSyncs(config: BridgeConfig): SyncStart[] {
  return [
    ...config.productSyncs.map(productSyncStart),
    ...config.demandSyncs.map(demandMappingStart),
    ...config.demandSyncs.map(demandStatusStart),
  ];
}

/** Schedule ids this product manages: only these are ever updated or deleted by `schedules apply`. */
export const managedSchedulePrefixes = ['product-sync-', 'demand-mapping-', 'demand-status-'];
