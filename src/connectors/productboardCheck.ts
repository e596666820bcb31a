import { credentialsItem, type CheckItem, type ConnectionCheck } from './connectionCheck';
import type { ProductboardNotes } from './productboard';
import type { ProductboardSystemConfig } from './productboardConfig';

/** What the bridge needs of Productboard: a token it accepts, and the entity types notes are linked to. */
export class ProductboardCheck implements ConnectionCheck {
  readonly system = 'Productboard';

  constructor(
    private readonly notes: ProductboardNotes,
    private readonly config: ProductboardSystemConfig,
  ) {}

  async check(): Promise<CheckItem[]> {
    const credentials = await credentialsItem(this.system, async () => {
      await this.notes.idsByName('company', []);
      return 'the token lists companies';
    });
    if (!credentials.ok) return [credentials];
    const name = `entity type ${this.config.entityType} (entityType)`;
    try {
      await this.notes.idsByName('entity', []);
      return [credentials, { name, ok: true, detail: 'Productboard lists entities of this type' }];
    } catch (error) {
      return [
        credentials,
        {
          name,
          ok: false,
          detail: error instanceof Error ? error.message : String(error),
          fix: 'Set entityType to an entity type notes can be linked to in your workspace (feature, subfeature, product or component).',
        },
      ];
    }
  }
}
