import type { BridgeConfig, DemandSyncConfig, ProductSyncConfig, ScheduleConfig } from '../config/configSchema';
import type { SyncDirection } from '../../workflows/operatorControls';

/** Everything a configured sync needs to be started by a schedule or by hand. */
export interface SyncStart {
  scheduleId: string;
  workflowType: 'productSync' | 'demandMapping' | 'demandStatus';
  integrationId: string;
  direction: SyncDirection;
  args: [Record<string, unknown>];
  schedule: ScheduleConfig;
  /** Shown in the Temporal UI next to every run: what it syncs, from where to where. */
  summary: string;
}

export function productSyncStart(sync: ProductSyncConfig): SyncStart {
  return {
    scheduleId: `product-sync-${sync.id}`,
    workflowType: 'productSync',
    integrationId: sync.id,
    direction: 'PmsToCrm',
    args: [
      {
        integrationId: sync.id,
        mode: sync.mode,
        pageSize: sync.pageSize,
        overlapMs: sync.overlapMs,
        parkAfterAttempts: sync.parkAfterAttempts,
        guard: sync.guard,
      },
    ],
    schedule: sync.schedule,
    summary: `Product sync '${sync.id}': ${sync.source} -> ${sync.target} (${sync.mode})`,
  };
}

export function demandMappingStart(sync: DemandSyncConfig): SyncStart {
  return {
    scheduleId: `demand-mapping-${sync.id}`,
    workflowType: 'demandMapping',
    integrationId: sync.id,
    direction: 'CrmToPms',
    args: [{ integrationId: sync.id, pageSize: sync.pageSize, overlapMs: sync.overlapMs }],
    schedule: sync.mappingSchedule,
    summary: `Demand mapping '${sync.id}': customer demands and orders ${sync.crm} -> ${sync.pms}`,
  };
}

export function demandStatusStart(sync: DemandSyncConfig): SyncStart {
  return {
    scheduleId: `demand-status-${sync.id}`,
    workflowType: 'demandStatus',
    integrationId: sync.id,
    direction: 'PmsToCrm',
    args: [{ integrationId: sync.id, pageSize: sync.pageSize, overlapMs: sync.overlapMs }],
    schedule: sync.statusSchedule,
    summary: `Demand status '${sync.id}': requirement status ${sync.pms} -> ${sync.crm} demands`,
  };
}

/** Every configured sync, in the order a first start should run them (products before demands). */
export function configuredSyncs(config: BridgeConfig): SyncStart[] {
  return [
    ...config.productSyncs.map(productSyncStart),
    ...config.demandSyncs.map(demandMappingStart),
    ...config.demandSyncs.map(demandStatusStart),
  ];
}
