import type { ChaosScenario } from '../scenario';
import { crmFaultStorm } from './crmFaultStorm';
import { serverRestart } from './serverRestart';
import { workerKills } from './workerKills';

/** Every chaos scenario, in the order the issue lists them. */
export const chaosScenarios: ChaosScenario[] = [workerKills, serverRestart, crmFaultStorm];
