import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/loadConfig';
import { createLogger } from '../src/logging/logger';
import { ensureSchedule } from '../src/temporal/schedules';
import { productSyncStart } from '../src/temporal/syncSchedules';
import { createProductWebhookReceiver, webhookPath } from '../src/webhooks/productWebhookReceiver';
import type { ProductSyncInput, ProductSyncSummary } from '../src/shared/productSyncContract';
import { naiveScript, rawCeiling, type LoopResult } from './baselines';
import { BenchEnvironment, crmToken, pmsToken, withPeakRss } from './environment';
import { chainHistory, type ChainHistory } from './historyStats';
import { measureChangeLatency, percentile, type LatencyResult } from './latency';
import { markdownTable, textTable, writeBenchmarksMarkdown, type Row } from './report';
import { productSync } from '../workflows/productSync';

/**
 * `npm run bench [-- --products 100000]`: the product beside the naive script and the raw API
 * ceiling, on one machine, in one run, so the ratios hold however busy the machine is. Starts its
 * own local Temporal server, sandbox systems and workers; prints a table; writes bench/results.json
 * and the generated part of BENCHMARKS.md.
 */
const { values: args } = parseArgs({
  options: {
    products: { type: 'string', default: '10000' },
    updates: { type: 'string', default: '200' },
    'update-every-ms': { type: 'string', default: '100' },
    'schedule-every': { type: 'string', default: '1m' },
    'remote-sample': { type: 'string', default: '1000' },
    'remote-latency-ms': { type: 'string', default: '100' },
    'no-write': { type: 'boolean', default: false },
  },
});
const products = Number(args.products);
const updates = Number(args.updates);
const scheduleEvery = args['schedule-every'];
const rateLimit = { requests: 100, perMs: 10_000 };
const webhookSecret = 'bench-webhook-secret-0123456789';

const progress = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const perSecond = (records: number, seconds: number) => records / seconds;
const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mib = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)} MiB`;

interface SyncRun {
  summary: ProductSyncSummary;
  seconds: number;
  history: ChainHistory;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const env = new BenchEnvironment();
  const crm = () => ({ url: env.crmUrl, token: crmToken });
  const pms = { url: '', token: pmsToken };
  let counter = 0;

  async function runProductSync(taskQueue: string, input: ProductSyncInput): Promise<SyncRun> {
    const started = performance.now();
    const handle = await env.client.workflow.start(productSync, {
      taskQueue,
      workflowId: `bench-product-sync-${++counter}`,
      args: [input],
    });
    const summary = await handle.result();
    const seconds = (performance.now() - started) / 1000;
    return { summary, seconds, history: await chainHistory(env.client, handle.workflowId, handle.firstExecutionRunId) };
  }

  try {
    progress(`starting Temporal, the sandbox (${fmt(products)} products) and a worker`);
    await env.start(products);
    pms.url = env.pmsUrl;
    const worker = await env.startWorker('bench-main');
    const idleWorkerBytes = worker.rss();

    progress('case 1a: naive script (GET all, one write per product, sequentially)');
    const naive: LoopResult = await naiveScript(pms, crm());
    progress(`  ${fmt(naive.records)} records in ${fmt(naive.seconds, 1)} s`);

    progress('case 1b: raw ceiling (batched upserts of 100, no orchestration)');
    await env.freshCrm();
    const raw: LoopResult = await rawCeiling(pms, crm());
    progress(`  ${fmt(raw.records)} records in ${fmt(raw.seconds, 1)} s`);

    progress('case 1c: productSync through Temporal');
    await env.freshCrm();
    const { result: full, peakBytes: peakWorkerBytes } = await withPeakRss(worker.rss, () =>
      runProductSync(worker.taskQueue, { watermark: null }),
    );
    const synced = full.summary.counts.created;
    progress(`  ${fmt(synced)} records in ${fmt(full.seconds, 1)} s, peak worker RSS ${mib(peakWorkerBytes)}`);

    progress('case 2: incremental, 1% of the catalog changed');
    const changedIds = env.pms.store
      .getMany(env.crm.store.all().map((record) => record.externalId))
      .filter((_, index) => index % 100 === 0)
      .map((product) => product.id);
    for (const id of changedIds) {
      const current = env.pms.store.get(id)!;
      env.pms.store.put(id, { ...current, stock: Number(current.stock ?? 0) + 1000 });
    }
    env.crm.stats.reset();
    const incremental = await runProductSync(worker.taskQueue, { watermark: full.summary.watermark });
    const incStats = env.crm.stats.snapshot();
    const incWritten = incStats.recordsCreated + incStats.recordsUpdated;
    env.crm.stats.reset();
    const naiveIncremental = await naiveScript(pms, crm());
    const naiveIncStats = env.crm.stats.snapshot();
    progress(
      `  productSync wrote ${incWritten} of ${changedIds.length} changed in ${fmt(incremental.seconds, 1)} s; naive sent ${fmt(naiveIncremental.requests)} writes in ${fmt(naiveIncremental.seconds, 1)} s`,
    );

    progress('case 1d: productSync through Temporal, pages of 1,000 (the default)');
    await env.freshCrm();
    const { result: fullLargePages, peakBytes: peakWorkerBytesLargePages } = await withPeakRss(worker.rss, () =>
      runProductSync(worker.taskQueue, { watermark: null, pageSize: 1000 }),
    );
    progress(`  ${fmt(fullLargePages.summary.counts.created)} records in ${fmt(fullLargePages.seconds, 1)} s`);

    const remoteSample = Number(args['remote-sample']);
    const remoteLatencyMs = Number(args['remote-latency-ms']);
    progress(
      `case 1e: a CRM ${remoteLatencyMs} ms away (sandbox latency knob), first ${fmt(remoteSample)} products: naive script and productSync`,
    );
    const remotePmsUrl = await env.extraPms(remoteSample);
    const remoteNaive = await naiveScript(
      { url: remotePmsUrl, token: pmsToken },
      { url: await env.extraCrm({ latencyMs: remoteLatencyMs }), token: crmToken },
    );
    const remoteCrmUrl = await env.extraCrm({ latencyMs: remoteLatencyMs });
    const remoteWorker = await env.startWorker('bench-remote', '', { pmsUrl: remotePmsUrl, crmUrl: remoteCrmUrl });
    const remoteSync = await runProductSync(remoteWorker.taskQueue, { watermark: null });
    await remoteWorker.stop();
    progress(`  naive ${fmt(remoteNaive.seconds, 1)} s, productSync ${fmt(remoteSync.seconds, 1)} s`);

    progress(`case 4: rate-limited CRM (${rateLimit.requests} requests per ${rateLimit.perMs / 1000} s, 100 records per batch)`);
    await env.freshCrm({ rateLimit: { requests: rateLimit.requests, windowMs: rateLimit.perMs }, maxBatchSize: 100 });
    const limitedWorker = await env.startWorker(
      'bench-rate-limited',
      `systems:\n  crm:\n    maxWriteBatch: 100\n    rateLimit: { requests: ${rateLimit.requests}, perMs: ${rateLimit.perMs} }\n`,
    );
    env.crm.faults.resetCounters();
    const limited = await runProductSync(limitedWorker.taskQueue, { watermark: null, pageSize: 1000 });
    const limitedFaults = env.crm.faults.injected;
    await limitedWorker.stop();
    env.crm.faults.update({ rateLimit: null });
    const ceilingRecordsPerSecond = (rateLimit.requests * 100) / (rateLimit.perMs / 1000);
    progress(
      `  ${fmt(limited.summary.counts.created)} records in ${fmt(limited.seconds, 1)} s, ${limitedFaults.requests} requests, ${limitedFaults.rateLimited} answered 429`,
    );

    progress(`case 5: change latency over ${updates} updates, webhook path`);
    const receiver = createProductWebhookReceiver({
      secret: webhookSecret,
      client: env.client,
      taskQueue: worker.taskQueue,
      streams: new Map([['products', { windowMs: 500, maxBatch: 100 }]]),
      logger: createLogger('bench-webhooks', { level: 'warn' }),
    });
    const receiverUrl = await receiver.listen(0);
    const latencyIds = env.crm.store
      .all()
      .slice(0, updates)
      .map((record) => record.externalId);
    const setPrice = (base: number) => async (id: string, index: number) => {
      const current = env.pms.store.get(id)!;
      const price = base + index;
      const response = await fetch(`${env.pmsUrl}/api/products/${id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${pmsToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...current, price: { amount: price, currency: (current.price as { currency: string }).currency } }),
      });
      if (!response.ok) throw new Error(`PMS refused the update of ${id}: ${response.status}`);
      return price;
    };
    env.pms.webhooks.configure({ url: `${receiverUrl}${webhookPath('products')}`, secret: webhookSecret });
    const updateEveryMs = Number(args['update-every-ms']);
    const viaWebhook = await measureChangeLatency({
      ids: latencyIds,
      intervalMs: updateEveryMs,
      crm: crm(),
      update: setPrice(5000),
      timeoutMs: 30_000,
    });
    env.pms.webhooks.configure(null);
    await receiver.close();
    const streamHandle = env.client.workflow.getHandle('product-changes-products');
    const streamHistory = await chainHistory(env.client, streamHandle.workflowId, (await streamHandle.describe()).runId);
    await streamHandle.terminate('benchmark done');
    progress(`  p95 ${fmt(percentile(viaWebhook.latenciesMs, 95))} ms`);

    progress(`case 5: change latency over ${updates} updates, schedule every ${scheduleEvery} (takes about three intervals)`);
    const config = loadConfig({ PMS_URL: env.pmsUrl, CRM_URL: env.crmUrl, PMS_TOKEN: pmsToken, CRM_TOKEN: crmToken }, env.dir);
    const productSyncConfig = config.productSyncs[0]!;
    const sync = productSyncStart({
      ...productSyncConfig,
      schedule: { ...productSyncConfig.schedule, every: scheduleEvery, paused: false },
    });
    await ensureSchedule(env.client, sync, worker.taskQueue);
    // Spread over two intervals, so the figures do not all hang on where one tick falls.
    const scheduleUpdateEveryMs = Math.max(updateEveryMs, Math.round((2 * parseDurationMs(scheduleEvery)) / updates));
    const viaSchedule = await measureChangeLatency({
      ids: latencyIds,
      intervalMs: scheduleUpdateEveryMs,
      crm: crm(),
      update: setPrice(7000),
      timeoutMs: 60_000 + parseDurationMs(scheduleEvery),
    });
    await env.client.schedule.getHandle(sync.scheduleId).delete();
    progress(`  p95 ${fmt(percentile(viaSchedule.latenciesMs, 95))} ms`);

    const results: Results = {
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      date: new Date().toISOString(),
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
        node: process.version,
        loadAverageAtEnd: os.loadavg().map((load) => Number(load.toFixed(2))),
      },
      temporal: env.temporalDescription,
      products,
      fullSync: {
        naive: { ...naive, recordsPerSecond: perSecond(naive.records, naive.seconds) },
        rawCeiling: { ...raw, recordsPerSecond: perSecond(raw.records, raw.seconds) },
        productSync: {
          records: synced,
          seconds: full.seconds,
          recordsPerSecond: perSecond(synced, full.seconds),
          pages: full.summary.pages,
          runs: full.history.runs,
        },
        ratioProductSyncToNaive: perSecond(synced, full.seconds) / perSecond(naive.records, naive.seconds),
        ratioProductSyncToRaw: perSecond(synced, full.seconds) / perSecond(raw.records, raw.seconds),
        remoteCrm: {
          latencyMs: remoteLatencyMs,
          products: remoteSample,
          naive: { ...remoteNaive, recordsPerSecond: perSecond(remoteNaive.records, remoteNaive.seconds) },
          productSync: {
            records: remoteSync.summary.counts.created,
            seconds: remoteSync.seconds,
            recordsPerSecond: perSecond(remoteSync.summary.counts.created, remoteSync.seconds),
          },
          ratioProductSyncToNaive:
            perSecond(remoteSync.summary.counts.created, remoteSync.seconds) / perSecond(remoteNaive.records, remoteNaive.seconds),
        },
        productSyncPages1000: {
          records: fullLargePages.summary.counts.created,
          seconds: fullLargePages.seconds,
          recordsPerSecond: perSecond(fullLargePages.summary.counts.created, fullLargePages.seconds),
          pages: fullLargePages.summary.pages,
          runs: fullLargePages.history.runs,
          ratioToNaive: perSecond(fullLargePages.summary.counts.created, fullLargePages.seconds) / perSecond(naive.records, naive.seconds),
          ratioToRaw: perSecond(fullLargePages.summary.counts.created, fullLargePages.seconds) / perSecond(raw.records, raw.seconds),
          eventsPerWriteBatch: fullLargePages.history.events / Math.ceil(fullLargePages.summary.counts.created / 100),
          largestRunEvents: fullLargePages.history.largestRunEvents,
          largestRunBytes: fullLargePages.history.largestRunBytes,
        },
      },
      incremental: {
        changed: changedIds.length,
        productSync: { written: incWritten, seconds: incremental.seconds, fetched: incremental.summary.counts.fetched },
        naive: { sent: naiveIncremental.requests, changedInCrm: naiveIncStats.recordsUpdated, seconds: naiveIncremental.seconds },
      },
      history: {
        fullSync: full.history,
        incremental: incremental.history,
        rateLimited: limited.history,
        changeStream: streamHistory,
        eventsPer1000Records: (full.history.events / synced) * 1000,
        bytesPer1000Records: (full.history.bytes / synced) * 1000,
        eventsPerPage: full.history.events / full.summary.pages,
        eventsPerWriteBatch: full.history.events / Math.ceil(synced / 100),
        largestRunEvents: Math.max(
          ...[full, fullLargePages, incremental, limited].map((run) => run.history.largestRunEvents),
          streamHistory.largestRunEvents,
        ),
        largestRunBytes: Math.max(
          ...[full, fullLargePages, incremental, limited].map((run) => run.history.largestRunBytes),
          streamHistory.largestRunBytes,
        ),
      },
      rateLimited: {
        limit: rateLimit,
        records: limited.summary.counts.created,
        seconds: limited.seconds,
        recordsPerSecond: perSecond(limited.summary.counts.created, limited.seconds),
        shareOfCeiling: perSecond(limited.summary.counts.created, limited.seconds) / ceilingRecordsPerSecond,
        requests: limitedFaults.requests,
        requestsPerSecond: limitedFaults.requests / limited.seconds,
        answered429: limitedFaults.rateLimited,
      },
      changeLatency: {
        updates,
        updateEveryMs,
        webhook: latencySummary(viaWebhook),
        schedule: { every: scheduleEvery, updateEveryMs: scheduleUpdateEveryMs, ...latencySummary(viaSchedule) },
      },
      memory: {
        idleWorkerRssBytes: idleWorkerBytes,
        peakWorkerRssBytesDuringFullSync: peakWorkerBytes,
        peakWorkerRssBytesDuringFullSyncPages1000: peakWorkerBytesLargePages,
      },
      durationSeconds: (Date.now() - startedAt) / 1000,
    };
    report(results);
  } finally {
    await env.stop();
  }
}

function parseDurationMs(every: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(every);
  if (!match) throw new Error(`--schedule-every: expected e.g. 30s or 1m, got ${every}`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
}

function latencySummary(result: LatencyResult) {
  return {
    p50Ms: percentile(result.latenciesMs, 50),
    p95Ms: percentile(result.latenciesMs, 95),
    maxMs: Math.max(...result.latenciesMs),
    seen: result.latenciesMs.length,
    missing: result.missing,
  };
}

/** What bench/results.json holds. */
interface Results {
  command: string;
  date: string;
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; loadAverageAtEnd: number[] };
  /** Which local Temporal the run used. */
  temporal: string;
  products: number;
  fullSync: {
    naive: LoopResult & { recordsPerSecond: number };
    rawCeiling: LoopResult & { recordsPerSecond: number };
    productSync: { records: number; seconds: number; recordsPerSecond: number; pages: number; runs: number };
    ratioProductSyncToNaive: number;
    ratioProductSyncToRaw: number;
    remoteCrm: {
      latencyMs: number;
      products: number;
      naive: LoopResult & { recordsPerSecond: number };
      productSync: { records: number; seconds: number; recordsPerSecond: number };
      ratioProductSyncToNaive: number;
    };
    productSyncPages1000: {
      records: number;
      seconds: number;
      recordsPerSecond: number;
      pages: number;
      runs: number;
      ratioToNaive: number;
      ratioToRaw: number;
      eventsPerWriteBatch: number;
      largestRunEvents: number;
      largestRunBytes: number;
    };
  };
  incremental: {
    changed: number;
    productSync: { written: number; seconds: number; fetched: number };
    naive: { sent: number; changedInCrm: number; seconds: number };
  };
  history: {
    fullSync: ChainHistory;
    incremental: ChainHistory;
    rateLimited: ChainHistory;
    changeStream: ChainHistory;
    eventsPer1000Records: number;
    bytesPer1000Records: number;
    eventsPerPage: number;
    eventsPerWriteBatch: number;
    largestRunEvents: number;
    largestRunBytes: number;
  };
  rateLimited: {
    limit: { requests: number; perMs: number };
    records: number;
    seconds: number;
    recordsPerSecond: number;
    shareOfCeiling: number;
    requests: number;
    requestsPerSecond: number;
    answered429: number;
  };
  changeLatency: {
    updates: number;
    updateEveryMs: number;
    webhook: ReturnType<typeof latencySummary>;
    schedule: ReturnType<typeof latencySummary> & { every: string; updateEveryMs: number };
  };
  memory: { idleWorkerRssBytes: number; peakWorkerRssBytesDuringFullSync: number; peakWorkerRssBytesDuringFullSyncPages1000: number };
  durationSeconds: number;
}

function rows(r: Results): Row[] {
  const f = r.fullSync;
  const h = r.history;
  const rl = r.rateLimited;
  const lat = r.changeLatency;
  return [
    {
      case: `1a Full sync, naive script (${fmt(f.naive.records)} records)`,
      figure: `${fmt(f.naive.seconds, 1)} s, ${fmt(f.naive.recordsPerSecond)} records/s`,
    },
    {
      case: '1b Full sync, raw ceiling (batches of 100, 2 in flight)',
      figure: `${fmt(f.rawCeiling.seconds, 1)} s, ${fmt(f.rawCeiling.recordsPerSecond)} records/s`,
    },
    {
      case: '1c Full sync, productSync through Temporal',
      figure: `${fmt(f.productSync.seconds, 1)} s, ${fmt(f.productSync.recordsPerSecond)} records/s (${f.productSync.pages} pages, ${f.productSync.runs} runs)`,
    },
    { case: '1  c/a', figure: fmt(f.ratioProductSyncToNaive, 1), target: '>= 20', met: f.ratioProductSyncToNaive >= 20 },
    { case: '1  c/b', figure: fmt(f.ratioProductSyncToRaw, 2), target: '>= 0.7', met: f.ratioProductSyncToRaw >= 0.7 },
    {
      case: '1d Full sync, productSync with pageSize 1000',
      figure: `${fmt(f.productSyncPages1000.seconds, 1)} s, ${fmt(f.productSyncPages1000.recordsPerSecond)} records/s (${f.productSyncPages1000.pages} pages, ${f.productSyncPages1000.runs} runs)`,
    },
    {
      case: '1d d/a',
      figure: fmt(f.productSyncPages1000.ratioToNaive, 1),
      target: '>= 20',
      met: f.productSyncPages1000.ratioToNaive >= 20,
    },
    { case: '1d d/b', figure: fmt(f.productSyncPages1000.ratioToRaw, 2), target: '>= 0.7', met: f.productSyncPages1000.ratioToRaw >= 0.7 },
    {
      case: `1e CRM ${f.remoteCrm.latencyMs} ms away, ${fmt(f.remoteCrm.products)} products: naive / productSync`,
      figure: `${fmt(f.remoteCrm.naive.seconds, 1)} s / ${fmt(f.remoteCrm.productSync.seconds, 1)} s (${fmt(f.remoteCrm.naive.recordsPerSecond)} / ${fmt(f.remoteCrm.productSync.recordsPerSecond)} records/s)`,
    },
    {
      case: `1e c/a with the CRM ${f.remoteCrm.latencyMs} ms away`,
      figure: fmt(f.remoteCrm.ratioProductSyncToNaive, 1),
      target: '>= 20',
      met: f.remoteCrm.ratioProductSyncToNaive >= 20,
    },
    {
      case: `2  Incremental, ${r.incremental.changed} changed (1%): productSync`,
      figure: `${r.incremental.productSync.written} written, ${fmt(r.incremental.productSync.seconds, 1)} s`,
      target: `written = ${r.incremental.changed}`,
      met: r.incremental.productSync.written === r.incremental.changed,
    },
    { case: '2  Incremental: naive script', figure: `${fmt(r.incremental.naive.sent)} written, ${fmt(r.incremental.naive.seconds, 1)} s` },
    {
      case: '3  History per 1,000 records (full sync)',
      figure: `${fmt(h.eventsPer1000Records)} events, ${fmt(h.bytesPer1000Records / 1024)} KiB`,
    },
    {
      case: '3  History events per batch of 100 records',
      figure: `${fmt(h.eventsPerWriteBatch, 1)} (${fmt(h.eventsPerPage, 1)} per page)`,
      target: '<= 10',
      met: h.eventsPerWriteBatch <= 10,
    },
    {
      case: '3  History events per batch of 100, pageSize 1000',
      figure: fmt(f.productSyncPages1000.eventsPerWriteBatch, 1),
      target: '<= 10',
      met: f.productSyncPages1000.eventsPerWriteBatch <= 10,
    },
    {
      case: '3  Largest history of any run (any case)',
      figure: `${fmt(h.largestRunBytes / 1024)} KiB; most events in one run ${fmt(h.largestRunEvents)}`,
      target: 'bounded',
    },
    {
      case: '4  Rate-limited CRM (100 req / 10 s, 100 per batch)',
      figure: `${fmt(rl.recordsPerSecond)} records/s = ${fmt(rl.shareOfCeiling * 100, 1)}% of 1,000/s; ${fmt(rl.requestsPerSecond, 2)} requests/s`,
      target: '>= 90%',
      met: rl.shareOfCeiling >= 0.9,
    },
    { case: '4  429 answers received', figure: String(rl.answered429), target: '0', met: rl.answered429 === 0 },
    {
      case: `5  Change latency, webhook path (${lat.updates} updates, one every ${lat.updateEveryMs} ms)`,
      figure: `p50 ${fmt(lat.webhook.p50Ms)} ms, p95 ${fmt(lat.webhook.p95Ms)} ms, max ${fmt(lat.webhook.maxMs)} ms${lat.webhook.missing ? `, ${lat.webhook.missing} never seen` : ''}`,
      target: 'p95 < 2,000 ms',
      met: lat.webhook.p95Ms < 2000 && lat.webhook.missing === 0,
    },
    {
      case: `5  Change latency, schedule every ${lat.schedule.every} (one update every ${fmt(lat.schedule.updateEveryMs)} ms)`,
      figure: `p50 ${fmt(lat.schedule.p50Ms)} ms, p95 ${fmt(lat.schedule.p95Ms)} ms, max ${fmt(lat.schedule.maxMs)} ms${lat.schedule.missing ? `, ${lat.schedule.missing} never seen` : ''}`,
    },
    {
      case: '6  Peak worker memory during case 1c (1d)',
      figure: `${mib(r.memory.peakWorkerRssBytesDuringFullSync)} (${mib(r.memory.peakWorkerRssBytesDuringFullSyncPages1000)}) RSS; idle ${mib(r.memory.idleWorkerRssBytes)}`,
    },
  ];
}

function report(results: Results): void {
  const table = rows(results);
  const machine = `${results.machine.cores} cores (${results.machine.cpu}), ${results.machine.memoryGiB} GiB, Node ${results.machine.node}`;
  process.stdout.write(
    `\n${machine}; ${fmt(results.products)} products; ${fmt(results.durationSeconds)} s in all\n\n${textTable(table)}\n`,
  );
  if (args['no-write']) return;
  const benchDir = __dirname;
  writeFileSync(path.join(benchDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeBenchmarksMarkdown(
    path.join(benchDir, '..', 'BENCHMARKS.md'),
    [
      `Command: \`${results.command}\` (${results.date.slice(0, 16).replace('T', ' ')} UTC, ${fmt(results.durationSeconds)} s in all)`,
      '',
      `Machine: ${machine}; load average at the end ${results.machine.loadAverageAtEnd.join(' / ')}. Worker, sandbox systems and the Temporal server (${results.temporal}) share it.`,
      '',
      markdownTable(table),
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
