import type { RequirementStore } from './demandConnectors';
import type { SharedPacing } from './httpClient';
import { JiraRequirements } from './jiraRequirements';
import type { JiraSystemConfig } from './jiraConfig';
import type { ProductboardSystemConfig } from './productboardConfig';
import { ProductboardRequirements } from './productboardRequirements';
import { basicHeader, restAuthProvider, staticHeaders } from './restAuth';
import { RestRequirements } from './restRequirements';
import type { RestSystemConfig } from './restConnectorConfig';
import { resolveSecret } from './secret';
import { SandboxPmsRequirements } from './sandboxPmsRequirements';

export interface RequirementStoreDeps {
  /** The system's name in the configuration, for error messages. */
  name: string;
  env: NodeJS.ProcessEnv;
  /** The system's shared pacer, and the metric its 429s count toward. */
  pacing: SharedPacing;
}

/** The sandbox PMS as configured (config/configSchema's sandbox-pms system). */
interface SandboxPmsSystem {
  kind: 'sandbox-pms';
  url: string;
  token: string;
  timeoutMs: number;
}

/** The system kinds that can hold requirements. */
type RequirementSystemConfig = SandboxPmsSystem | ProductboardSystemConfig | JiraSystemConfig | RestSystemConfig;

/**
 * The requirement store for a demand sync's `pms` system, by its kind. Takes the system as `{ kind }`
 * because the connector layer does not import the configuration schema; the schema has already
 * validated each kind's fields.
 */
export function createRequirementStore(configured: { kind: string }, deps: RequirementStoreDeps): RequirementStore {
  const { name, env, pacing } = deps;
  const system = configured as RequirementSystemConfig;
  switch (system.kind) {
    case 'sandbox-pms':
      return new SandboxPmsRequirements({ baseUrl: system.url, token: system.token, timeoutMs: system.timeoutMs, ...pacing });
    case 'productboard': {
      const token = system.token ?? resolveSecret({ env: system.tokenEnv }, env, `The Productboard token of system '${name}'`);
      return new ProductboardRequirements({ token, config: system, pacing });
    }
    case 'jira': {
      const where = `The Jira credentials of system '${name}'`;
      const { auth } = system;
      const token = system.token ?? resolveSecret({ env: auth.tokenEnv }, env, where);
      const headers =
        auth.type === 'basic'
          ? { authorization: basicHeader(auth.email ?? resolveSecret({ env: auth.emailEnv }, env, where), token) }
          : { authorization: `Bearer ${token}` };
      return new JiraRequirements({ config: system, auth: staticHeaders(headers), pacing });
    }
    case 'rest': {
      if (!system.requirements)
        throw new Error(
          `System '${name}' (rest) has no requirements section, so it cannot be the PMS of a demand sync; describe its requirement endpoints there.`,
        );
      const label = system.displayName ?? name.toUpperCase();
      return new RestRequirements(
        {
          system: label,
          baseUrl: system.url,
          timeoutMs: system.timeoutMs,
          auth: restAuthProvider(system.auth, { system: label, token: system.token, timeoutMs: system.timeoutMs, env }),
          pacing,
        },
        system.requirements,
      );
    }
    default:
      throw new Error(
        `demandSyncs[].pms names system '${name}', a ${configured.kind}, which cannot hold requirements; ` +
          'use a sandbox-pms, productboard, jira or rest (with a requirements section) system.',
      );
  }
}
