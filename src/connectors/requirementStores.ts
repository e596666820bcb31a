import type { RequirementStore } from './demandConnectors';
import type { SharedPacing } from './httpClient';
import type { ProductboardSystemConfig } from './productboardConfig';
import { ProductboardRequirements } from './productboardRequirements';
import type { RequestPacer } from './requestPacer';
import { resolveSecret } from './secret';
import { SandboxPmsRequirements } from './sandboxPmsRequirements';

/** The sandbox PMS as a system of the configuration. */
interface SandboxPmsSystem {
  kind: 'sandbox-pms';
  url: string;
  token: string;
  timeoutMs: number;
}

/** The system kinds that hold no requirements (listed, so a new kind must be placed on one side or the other). */
interface SystemWithoutRequirements {
  kind: 'sandbox-crm' | 'hubspot' | 'salesforce' | 'akeneo' | 'rest';
}

export type RequirementSystem = SandboxPmsSystem | ProductboardSystemConfig | SystemWithoutRequirements;

/** The kinds that can be the `pms` of a demand sync, as named in configuration errors. */
const requirementStoreKinds = ['sandbox-pms', 'productboard'] as const;

export interface RequirementStoreDeps {
  env: NodeJS.ProcessEnv;
  /** The system's shared pacer, present when it declares a rate limit. */
  pacer?: RequestPacer;
  onRateLimited: (system: string) => void;
}

/** The requirement store for a demand sync's `pms` system, by its kind. */
export function createRequirementStore(name: string, system: RequirementSystem, deps: RequirementStoreDeps): RequirementStore {
  const pacing: SharedPacing = { pacer: deps.pacer, onRateLimited: deps.onRateLimited };
  switch (system.kind) {
    case 'sandbox-pms':
      return new SandboxPmsRequirements({ baseUrl: system.url, token: system.token, timeoutMs: system.timeoutMs, ...pacing });
    case 'productboard': {
      const token = system.token ?? resolveSecret({ env: system.tokenEnv }, deps.env, `The Productboard token of system '${name}'`);
      return new ProductboardRequirements({ token, config: system, pacing });
    }
    default:
      throw new Error(
        `demandSyncs[].pms names system '${name}', a ${system.kind}, which cannot hold requirements; use a ${requirementStoreKinds.join(' or ')} system.`,
      );
  }
}
