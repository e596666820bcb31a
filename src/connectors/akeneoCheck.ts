import { credentialsItem, type CheckItem, type ConnectionCheck } from './connectionCheck';
import type { AkeneoSystemConfig } from './akeneoConfig';
import type { AkeneoPimSource } from './akeneoPim';

/** What the bridge needs of Akeneo: credentials the token endpoint accepts, the channel, and its locale. */
export class AkeneoCheck implements ConnectionCheck {
  readonly system = 'Akeneo';

  constructor(
    private readonly source: AkeneoPimSource,
    private readonly config: AkeneoSystemConfig,
  ) {}

  async check(): Promise<CheckItem[]> {
    const { channel, locale } = this.config.products;
    let locales: string[] | undefined;
    const credentials = await credentialsItem(this.system, async () => {
      locales = await this.source.channelLocales(channel);
      return 'the API user gets a token and reads channels';
    });
    if (!credentials.ok) return [credentials];
    const channelItem: CheckItem = locales
      ? { name: `channel ${channel} (products.channel)`, ok: true, detail: `present, locales ${locales.join(', ')}` }
      : {
          name: `channel ${channel} (products.channel)`,
          ok: false,
          detail: 'Akeneo has no channel of that code',
          fix: 'Name an existing channel in products.channel (Akeneo: Settings > Channels), or give the API user access to it.',
        };
    const localeItem: CheckItem =
      locales && !locales.includes(locale)
        ? {
            name: `locale ${locale} (products.locale)`,
            ok: false,
            detail: `not a locale of channel ${channel} (${locales.join(', ')})`,
            fix: `Activate ${locale} on channel ${channel} in Akeneo, or set products.locale to one of its locales.`,
          }
        : {
            name: `locale ${locale} (products.locale)`,
            ok: locales !== undefined,
            detail: locales ? 'active on the channel' : 'not checked: no channel',
          };
    return [credentials, channelItem, localeItem];
  }
}
