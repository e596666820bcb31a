import { setTimeout as sleep } from 'node:timers/promises';

interface Endpoint {
  url: string;
  token: string;
}

export interface LatencyResult {
  /** One per update that became visible in the CRM, in ms. */
  latenciesMs: number[];
  /** Updates still not visible when the measurement gave up. */
  missing: number;
}

const pollEveryMs = 50;

async function crmPrices(crm: Endpoint, ids: string[]): Promise<Map<string, unknown>> {
  const response = await fetch(`${crm.url}/api/products/batch/read`, {
    method: 'POST',
    headers: { authorization: `Bearer ${crm.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ externalIds: ids }),
  });
  const body = (await response.json()) as { results: Array<{ externalId: string; properties: Record<string, unknown> }> };
  return new Map(body.results.map((record) => [record.externalId, record.properties.price]));
}

/**
 * Time from a product update committed in the PMS to the new value readable in the CRM. Updates
 * go out one every `intervalMs`; a poller reads the CRM every 50 ms for the ones not seen yet, so
 * each figure is exact to within one poll.
 */
export async function measureChangeLatency(options: {
  ids: string[];
  intervalMs: number;
  crm: Endpoint;
  /** Writes a new price for the product in the PMS and returns it. */
  update: (id: string, index: number) => Promise<number>;
  timeoutMs: number;
}): Promise<LatencyResult> {
  const waiting = new Map<string, { price: number; committedAt: number }>();
  const latenciesMs: number[] = [];
  let updating = true;

  const poller = (async () => {
    const deadline = () => performance.now() > lastUpdateAt + options.timeoutMs;
    while (updating || (waiting.size > 0 && !deadline())) {
      await sleep(pollEveryMs);
      if (waiting.size === 0) continue;
      const prices = await crmPrices(options.crm, [...waiting.keys()]);
      const now = performance.now();
      for (const [id, expected] of waiting) {
        if (prices.get(id) !== expected.price) continue;
        latenciesMs.push(now - expected.committedAt);
        waiting.delete(id);
      }
    }
  })();

  let lastUpdateAt = performance.now();
  for (const [index, id] of options.ids.entries()) {
    const price = await options.update(id, index);
    lastUpdateAt = performance.now();
    waiting.set(id, { price, committedAt: lastUpdateAt });
    await sleep(options.intervalMs);
  }
  updating = false;
  await poller;
  return { latenciesMs, missing: waiting.size };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
