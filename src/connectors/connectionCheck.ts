import type { RequirementStore } from './demandConnectors';
import { AuthenticationError, RateLimitedError, RequestRejectedError } from '../shared/systemErrors';

/** One requirement the bridge has of a system, and whether the system meets it. */
export interface CheckItem {
  /** What was checked, e.g. "credentials" or "product property bridge_external_id". */
  name: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** What to do when it is not ok. */
  fix?: string;
}

/** `bridge check <system>`: what a connector needs of its system, checked against the live system. */
export interface ConnectionCheck {
  readonly system: string;
  check(): Promise<CheckItem[]>;
}

/**
 * The credentials item every check starts with: runs the first request and turns its failure into
 * a failed item (the rest of the check needs a working connection, so it is skipped then).
 */
export async function credentialsItem(system: string, firstRequest: () => Promise<string>): Promise<CheckItem> {
  try {
    return { name: 'credentials', ok: true, detail: await firstRequest() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof AuthenticationError)
      return {
        name: 'credentials',
        ok: false,
        detail: message,
        fix: `Check the ${system} token or client credentials in the configuration.`,
      };
    if (error instanceof RateLimitedError)
      return { name: 'credentials', ok: false, detail: message, fix: `Wait for ${system}'s rate limit to reset, then check again.` };
    if (error instanceof RequestRejectedError && error.status === 403)
      return {
        name: 'credentials',
        ok: false,
        detail: message,
        fix: `Grant the bridge's ${system} user or app the permissions docs/connectors list.`,
      };
    return { name: 'credentials', ok: false, detail: message, fix: `Check the ${system} URL and that it is reachable from here.` };
  }
}

/** Headroom left in a vendor-reported request budget, as an item (below 10% it is not ok). */
export function headroomItem(name: string, remaining: number, max: number, fix: string): CheckItem {
  const share = max > 0 ? remaining / max : 0;
  return {
    name,
    ok: share >= 0.1,
    detail: `${remaining} of ${max} requests left (${Math.round(share * 100)}%)`,
    ...(share >= 0.1 ? {} : { fix }),
  };
}

/** For systems whose only requirement is access: one read that needs the credentials. */
export class AccessCheck implements ConnectionCheck {
  constructor(
    readonly system: string,
    private readonly read: () => Promise<string>,
  ) {}

  async check(): Promise<CheckItem[]> {
    return [await credentialsItem(this.system, this.read)];
  }
}

/**
 * A system that is the PMS of a demand sync: what its own check finds, then whether the bridge can
 * read the requirements it would link demands to (the store's change feed, one record).
 */
export class WithRequirementsCheck implements ConnectionCheck {
  constructor(
    private readonly inner: ConnectionCheck,
    private readonly store: Pick<RequirementStore, 'listChanges'>,
  ) {}

  get system(): string {
    return this.inner.system;
  }

  async check(): Promise<CheckItem[]> {
    const items = await this.inner.check();
    if (items.some((item) => !item.ok)) return items;
    const name = 'requirements (demandSyncs[].pms)';
    try {
      const page = await this.store.listChanges(null, 1);
      return [
        ...items,
        { name, ok: true, detail: `the requirement feed reads (${page.records.length > 0 ? 'requirements found' : 'none yet'})` },
      ];
    } catch (error) {
      return [
        ...items,
        {
          name,
          ok: false,
          detail: error instanceof Error ? error.message : String(error),
          fix: `Give the bridge's ${this.system} user read and write access to the requirements, and check the store's settings in docs/connectors.`,
        },
      ];
    }
  }
}
