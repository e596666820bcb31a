import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/configSchema';
import { RateLimitedError } from '../../src/shared/systemErrors';
import { buildIntegrations } from '../../src/integrations';
import { startHubSpotFake, type HubSpotFake } from '../fakes/hubspotFake';

let fake: HubSpotFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/**
 * A HubSpot account allowing 20 requests per rolling second, reached by a product sync and a demand
 * sync at once. `rateLimitReserve: 0` turns the header pacing off, so only the shared pacer stands
 * between the two connectors and a 429.
 */
async function integrationsFor(rateLimit: string) {
  fake = await startHubSpotFake({ token: 'pat-paced', tenSecondLimit: 20, intervalMs: 1_000 });
  const company = fake.createRecord('companies', { name: 'Acme', industry: 'smb', annualrevenue: '1' });
  const config = configSchema.parse(
    parseYaml(`
systems:
  pms: { kind: sandbox-pms, url: http://127.0.0.1:9, token: unused }
  hubspot: { kind: hubspot, url: ${fake.url}, token: pat-paced, rateLimitReserve: 0${rateLimit} }
productSyncs:
  - { id: products, source: pms, target: hubspot, mapping: { name: name } }
demandSyncs:
  - { id: demands, crm: hubspot, pms: pms }
`) as unknown,
  );
  const built = buildIntegrations(config, { env: {} });
  return { fake, company, sink: built.products.get('products')!.sink, crm: built.demands.get('demands')!.crm };
}

/** 25 product reads and 25 company reads, the two connectors side by side; 429s are counted, not thrown. */
async function burst(
  sink: Awaited<ReturnType<typeof integrationsFor>>['sink'],
  crm: Awaited<ReturnType<typeof integrationsFor>>['crm'],
  company: string,
) {
  let refused = 0;
  const count = async (call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      refused++;
    }
  };
  const started = Date.now();
  await Promise.all([
    (async () => {
      for (let i = 0; i < 25; i++) await count(() => sink.readByExternalIds([`P-${i}`]));
    })(),
    (async () => {
      for (let i = 0; i < 25; i++) await count(() => crm.readAccounts([company]));
    })(),
  ]);
  return { refused, elapsedMs: Date.now() - started };
}

describe('systems.<name>.rateLimit paces every connector of a vendor system through one shared pacer', () => {
  test('without it, the product and demand connectors together overrun HubSpot’s window and get 429s', async () => {
    const { sink, crm, company } = await integrationsFor('');
    const { refused } = await burst(sink, crm, company);
    assert.ok(refused > 0, 'the limit is real');
  });

  test('with it, the same burst gets no 429 at all and is spread over the window', async () => {
    const { fake, sink, crm, company } = await integrationsFor(', rateLimit: { requests: 20, perMs: 1000 }');
    const { refused, elapsedMs } = await burst(sink, crm, company);
    assert.equal(refused, 0);
    assert.deepEqual(fake.refusals, {});
    const requests = fake.requests.length;
    assert.ok(requests > 50, `${requests} requests, setup included`);
    // At most 19 of them in any second: (requests - 20) / 19 seconds at the least.
    assert.ok(elapsedMs >= ((requests - 20) / 19) * 1000, `took ${elapsedMs} ms for ${requests} requests`);
  });
});
