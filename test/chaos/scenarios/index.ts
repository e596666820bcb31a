import type { ChaosScenario } from '../scenario';
import { crmFaultStorm } from './crmFaultStorm';
import { crmOutage } from './crmOutage';
import { pmsGarbage } from './pmsGarbage';
import { racingWorkers } from './racingWorkers';
import { serverRestart } from './serverRestart';
import { webhookDisorder } from './webhookDisorder';
import { workerKills } from './workerKills';

/** Every chaos scenario, in the order the issue lists them. */
export const chaosScenarios: ChaosScenario[] = [
  workerKills,
  serverRestart,
  crmFaultStorm,
  crmOutage,
  pmsGarbage,
  webhookDisorder,
  racingWorkers,
];
